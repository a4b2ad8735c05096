"""JobProgress.document and PageResult.document: the Document rides along with each event, in the
event's state, for the caller only (owner or ADMIN), read afresh for every event of a socket."""

from __future__ import annotations

from typing import Any

from docat.events import EventBus
from models import Document, DocumentPage, JobStage, JobStatus, User

from .conftest import gid, make_document, publisher
from .ws_client import WSClient

JOB_PROGRESS_WITH_DOCUMENT = """
subscription Progress($documentId: ID!) {
  jobProgress(documentId: $documentId) {
    status stage progress
    document { __typename id status stage progress filename }
  }
}"""
MY_JOBS_WITH_DOCUMENT = "subscription { myJobs { status document { id status progress } } }"
ALL_JOBS_WITH_DOCUMENT = "subscription { allJobs { documentId status document { id status } } }"
PAGES_WITH_DOCUMENT = """
subscription Pages($documentId: ID!) {
  documentPages(documentId: $documentId) { page document { id status pageCount } }
}"""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_each_event_carries_its_document_in_the_events_state(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.2)
    job = publisher(api_bus, doc)
    received: list[dict[str, Any]] = []
    async with WSClient(live_server, auth(user_token)) as ws:
        stream = ws.subscribe(JOB_PROGRESS_WITH_DOCUMENT, {"documentId": gid(doc)})
        received.append((await anext(stream))["jobProgress"])
        # Published before the row is written, as the worker does: the document follows the event.
        await job.progress("PROCESSING", "OCR", 0.6, page=3, page_count=5)
        received.append((await anext(stream))["jobProgress"])
        # The row ends first, then the terminal event: both say COMPLETED.
        await Document.filter(id=doc.id).update(status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
        await job.progress("COMPLETED", "DONE", 1.0)
        received += [data["jobProgress"] async for data in stream]

    assert [(e["status"], e["stage"], e["progress"]) for e in received] == [
        ("PROCESSING", "EXTRACTING", 0.2),
        ("PROCESSING", "OCR", 0.6),
        ("COMPLETED", "DONE", 1.0),
    ]
    for event in received:
        document = event["document"]
        assert (document["__typename"], document["id"], document["filename"]) == (
            "Document",
            gid(doc),
            "report.pdf",
        )
        assert (document["status"], document["stage"], document["progress"]) == (
            event["status"],
            event["stage"],
            event["progress"],
        )


async def test_a_stale_event_does_not_roll_the_document_back(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.ANALYZING, progress=0.0)
    job = publisher(api_bus, doc)
    async with WSClient(live_server, auth(user_token)) as ws:
        stream = ws.subscribe(MY_JOBS_WITH_DOCUMENT)
        first = (await anext(stream))["myJobs"]
        assert first["document"] == {"id": gid(doc), "status": "PROCESSING", "progress": 0.0}
        # The row moved on (another process wrote it) while this event was on its way.
        await Document.filter(id=doc.id).update(stage=JobStage.FINALIZING, progress=0.9)
        await job.progress("PROCESSING", "EXTRACTING", 0.4)
        event = (await anext(stream))["myJobs"]
    assert event["status"] == "PROCESSING"
    assert event["document"] == {"id": gid(doc), "status": "PROCESSING", "progress": 0.9}


async def test_an_admin_feed_carries_every_users_document(
    live_server: str, user: User, admin_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.OCR, progress=0.5)
    async with WSClient(live_server, auth(admin_token)) as ws:
        feed = ws.subscribe(ALL_JOBS_WITH_DOCUMENT)
        seen: dict[str, Any] = {}
        while gid(doc) not in seen:
            event = (await anext(feed))["allJobs"]
            seen[event["documentId"]] = event
    # ADMIN sees every document, as with Query.document.
    assert seen[gid(doc)]["document"] == {"id": gid(doc), "status": "PROCESSING"}


async def test_page_results_carry_their_document(live_server: str, user: User, user_token: str) -> None:
    doc = await make_document(
        user, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0, page_count=2
    )
    for page in (1, 2):
        await DocumentPage.create(document=doc, run=doc.run, page=page, page_count=2, blocks=[])
    async with WSClient(live_server, auth(user_token)) as ws:
        pages = [
            d["documentPages"] async for d in ws.subscribe(PAGES_WITH_DOCUMENT, {"documentId": gid(doc)})
        ]
    assert pages == [
        {"page": page, "document": {"id": gid(doc), "status": "COMPLETED", "pageCount": 2}} for page in (1, 2)
    ]


async def test_a_deleted_document_is_null_not_an_error(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.OCR, progress=0.5)
    job = publisher(api_bus, doc)
    async with WSClient(live_server, auth(user_token)) as ws:
        stream = ws.subscribe(JOB_PROGRESS_WITH_DOCUMENT, {"documentId": gid(doc)})
        assert (await anext(stream))["jobProgress"]["document"]["id"] == gid(doc)
        await Document.filter(id=doc.id).delete()
        await job.progress("CANCELLED", "DONE", 0.5)
        last = [data["jobProgress"] async for data in stream]
    assert [(e["status"], e["document"]) for e in last] == [("CANCELLED", None)]
