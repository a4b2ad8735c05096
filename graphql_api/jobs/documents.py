"""The Document behind a live event (`JobProgress.document`, `PageResult.document`).

A normalized client cache (Apollo, urql) keys objects by `__typename` and `id`: an event that
carries its Document, with the fields the client selects, updates that Document in place. The
row is read through the per-request document loader; a subscription's context lives as long as
its socket, so the row is cleared from the loader first: each event reads it afresh (concurrent
events of one socket still share one query).

The event and the row may disagree for a moment (the worker publishes some states before
writing the row): the Document then shows the event's status, stage and progress, unless the
row is already further along, so a client sees the same state in the event and in its Document.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from typing import Any

from graphql_api.context import Info
from graphql_api.documents.types import DocumentType
from graphql_api.jobs.ordering import is_progress_event, supersedes
from graphql_api.jobs.snapshots import document_event
from graphql_api.loaders import document_loader
from models import Document, JobStage, JobStatus, Role


async def visible_event_document(info: Info, document_id: str) -> Document | None:
    """The row, if the caller may see it now (owner or ADMIN, as `Query.document`); else None."""
    viewer = await info.context.require_user()
    key = uuid.UUID(document_id)
    loader = info.context.loader("documents", document_loader)
    with contextlib.suppress(KeyError):  # strawberry's clear() of a key it never loaded
        loader.clear(key)
    doc: Document | None = await loader.load(key)
    if doc is None or (viewer.role != Role.ADMIN and doc.owner_id != viewer.id):  # type: ignore[attr-defined]
        return None  # deleted, or not the caller's: the same answer, as everywhere
    return doc


def with_event_state(doc: Document, event: dict[str, Any]) -> DocumentType:
    """The Document as the client should cache it along with `event`."""
    document = DocumentType.from_model(doc)
    if not is_progress_event(event) or supersedes(document_event(doc), event):
        return document  # the row is newer than the event: it wins
    return dataclasses.replace(
        document,
        status=JobStatus(event["status"]),
        stage=JobStage(event["stage"]),
        progress=float(event["progress"]),
    )
