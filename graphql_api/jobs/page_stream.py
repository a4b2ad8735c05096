"""The documentPages stream: finished pages first, then each page as it completes, ending with the job.

Subscribes to ``pages:<id>`` (PageResults) and ``job:<id>`` (for the terminal event) before reading
the database, like every stream here (see streams.py). Pages are sent at most once each, by page
number, and only those of the run that was current when the stream started. When the job ends
(its terminal event, or a resync that finds it ended) the pages the database holds and the stream
has not sent yet are flushed, then the stream completes: a PageResult published just before the
terminal event but lost, or delivered after it, is not missed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from docat.events import EventBus, is_resync, is_terminal, job_channel, pages_channel
from docat.storage import Storage
from graphql_api.jobs.snapshots import read_done_pages
from models import TERMINAL_STATUSES, Document

# PageResults are never dropped by the bus (only collapsed into a resync when this overflows,
# which re-reads the pages from the database), so the size only bounds memory.
PAGES_QUEUE_SIZE = 64


def _is_page_result(event: dict[str, Any]) -> bool:
    return (
        isinstance(event.get("page"), int) and isinstance(event.get("blocks"), list) and "stage" not in event
    )


def _of_other_run(event: dict[str, Any], run: int) -> bool:
    other = event.get("run")
    return isinstance(other, int) and other != run


async def document_page_events(
    bus: EventBus, storage: Storage, document_id: uuid.UUID
) -> AsyncIterator[dict[str, Any]]:
    channels = [pages_channel(document_id), job_channel(document_id)]
    async with bus.subscribe(channels, maxsize=PAGES_QUEUE_SIZE) as live:
        doc = await Document.get_or_none(id=document_id)
        if doc is None:
            return
        run = doc.run
        sent: set[int] = set()
        for page in await read_done_pages(doc, storage):
            sent.add(page["page"])
            yield page
        if doc.status in TERMINAL_STATUSES:
            return
        async for event in live:
            if _of_other_run(event, run):
                continue
            if _is_page_result(event):
                if event["page"] not in sent:
                    sent.add(event["page"])
                    yield event
                continue
            if not (is_resync(event) or is_terminal(event)):
                continue  # a progress event: only the end matters here
            doc = await Document.get_or_none(id=document_id)
            if doc is None or doc.run != run:
                return  # deleted, or reprocessed: this stream's run is over
            for page in await read_done_pages(doc, storage, skip=sent):
                sent.add(page["page"])
                yield page
            if is_terminal(event) or doc.status in TERMINAL_STATUSES:
                return
