"""cancelDocument, reprocessDocument, deleteDocument: states, holds, files, events, access."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from docat.events import Subscription, job_channel
from docat.resources import Resources
from models import CreditLog, Document, DocumentPage, JobStatus, ProcessingLog, User
from tests.documents.conftest import (
    DOCUMENT_FIELDS,
    RecordingQueue,
    finish_run,
    text_pdf,
    uploaded,
)
from tests.fixtures.corpus import ENCRYPTED_PASSWORD
from tests.fixtures.graphql_client import GraphQLClient

CANCEL = f"mutation($id: ID!) {{ cancelDocument(id: $id) {{ {DOCUMENT_FIELDS} }} }}"
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) }"
REPROCESS = f"""
mutation($id: ID!, $options: ProcessingOptionsInput) {{
  reprocessDocument(id: $id, options: $options) {{ {DOCUMENT_FIELDS} }}
}}"""
WAIT = 5.0


@asynccontextmanager
async def job_events(resources: Resources, doc_id: object) -> AsyncIterator[Subscription]:
    async with resources.bus.subscribe([job_channel(doc_id)]) as events:
        yield events


async def next_event(events: Subscription) -> dict[str, Any]:
    return await asyncio.wait_for(events.__anext__(), WAIT)


async def test_cancelling_a_queued_document(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token, text_pdf(3))
    await user.refresh_from_db()
    assert user.credits_reserved == 3
    async with job_events(resources, doc["uuid"]) as events:
        cancelled = (await gql.execute(CANCEL, {"id": doc["id"]}, token=user_token)).ok()["cancelDocument"]
        event = await next_event(events)
    assert cancelled["status"] == "CANCELLED"
    assert event["status"] == "CANCELLED" and event["documentId"] == doc["uuid"]
    assert queue.cancelled == [(await Document.get(id=doc["uuid"])).id]
    await user.refresh_from_db()
    assert user.credits_reserved == 0 and user.credits_used == 0
    # Terminal now: a second cancel is a mistake.
    again = await gql.execute(CANCEL, {"id": doc["id"]}, token=user_token)
    assert again.codes == ["BAD_USER_INPUT"]


async def test_cancelling_a_processing_document_asks_the_job(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue
) -> None:
    doc = await uploaded(gql, user_token)
    await Document.filter(id=doc["uuid"]).update(status=JobStatus.PROCESSING)
    cancelled = (await gql.execute(CANCEL, {"id": doc["id"]}, token=user_token)).ok()["cancelDocument"]
    # The job ends it; until then it is PROCESSING with the request recorded.
    assert cancelled["status"] == "PROCESSING"
    row = await Document.get(id=doc["uuid"])
    assert row.cancel_requested is True
    assert queue.cancelled == [row.id]


async def test_reprocess_runs_again_with_new_options(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token, text_pdf(3))
    still_queued = await gql.execute(REPROCESS, {"id": doc["id"]}, token=user_token)
    assert still_queued.codes == ["BAD_USER_INPUT"]

    await finish_run(resources, doc["uuid"], charge=3)
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == (3, 0)
    options = {"engine": "OCR", "pages": "2-3"}
    again = (await gql.execute(REPROCESS, {"id": doc["id"], "options": options}, token=user_token)).ok()
    redone = again["reprocessDocument"]
    assert redone["status"] == "QUEUED" and redone["stage"] == "QUEUED" and redone["progress"] == 0
    assert redone["options"]["engine"] == "OCR" and redone["options"]["pages"] == "2-3"
    assert redone["error"] is None

    row = await Document.get(id=doc["uuid"])
    assert row.run == 1 and row.formats == ["ORIGINAL"] and row.cancel_requested is False
    assert queue.enqueued[-1] == (row.id, 1, None)
    # The old run's results are gone; the original stays.
    keys = await resources.storage.list_older_than(f"documents/{row.id}/", row.created_at.replace(year=3000))
    assert keys == [f"documents/{row.id}/original.pdf"]
    assert await DocumentPage.filter(document_id=row.id).count() == 0
    # OCR on 2 pages: 10 credits held, on top of the 3 already spent.
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved, row.credits_reserved) == (3, 10, 10)


async def test_reprocess_keeps_the_options_when_none_are_given(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token, text_pdf(3), {"pages": "1", "engine": "TEXT"})
    await finish_run(resources, doc["uuid"])
    redone = (await gql.execute(REPROCESS, {"id": doc["id"]}, token=user_token)).ok()["reprocessDocument"]
    assert redone["options"] == doc["options"]


async def test_reprocess_checks_like_an_upload(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token, text_pdf(3))
    await finish_run(resources, doc["uuid"])
    bad = await gql.execute(REPROCESS, {"id": doc["id"], "options": {"pages": "7"}}, token=user_token)
    assert bad.codes == ["BAD_USER_INPUT"]
    user.credits_limit_override = 4
    await user.save(update_fields=["credits_limit_override"])
    poor = await gql.execute(REPROCESS, {"id": doc["id"], "options": {"engine": "OCR"}}, token=user_token)
    assert poor.codes == ["INSUFFICIENT_CREDITS"]
    # Refused: the document is exactly as it was.
    row = await Document.get(id=doc["uuid"])
    assert row.status == JobStatus.COMPLETED and row.run == 0 and "JSON" in row.formats
    await user.refresh_from_db()
    assert user.credits_reserved == 0
    assert [p.name for p in (resources.settings.data_dir / "tmp").glob("original-*")] == []


async def test_reprocessing_an_encrypted_pdf_needs_the_password_again(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources, encrypted_pdf: bytes
) -> None:
    doc = await uploaded(gql, user_token, encrypted_pdf, {"password": ENCRYPTED_PASSWORD})
    await finish_run(resources, doc["uuid"])
    without = await gql.execute(REPROCESS, {"id": doc["id"]}, token=user_token)
    assert without.codes == ["ENCRYPTED_PDF"]
    options = {"password": ENCRYPTED_PASSWORD, "engine": "TEXT"}
    with_password = await gql.execute(REPROCESS, {"id": doc["id"], "options": options}, token=user_token)
    assert with_password.ok()["reprocessDocument"]["status"] == "QUEUED"
    assert queue.enqueued[-1][1:] == (1, ENCRYPTED_PASSWORD)


async def test_delete_removes_rows_files_and_the_hold(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    done = await uploaded(gql, user_token)
    await finish_run(resources, done["uuid"])
    queued = await uploaded(gql, user_token)
    await user.refresh_from_db()
    assert user.credits_reserved == 2

    async with job_events(resources, queued["uuid"]) as events:
        assert (await gql.execute(DELETE, {"id": queued["id"]}, token=user_token)).ok() == {
            "deleteDocument": True
        }
        event = await next_event(events)
    assert event["status"] == "CANCELLED"  # subscribers of a deleted running job are told it ended
    assert (await Document.get(id=done["uuid"])).status == JobStatus.COMPLETED

    assert (await gql.execute(DELETE, {"id": done["id"]}, token=user_token)).ok() == {"deleteDocument": True}
    for doc in (done, queued):
        assert not await Document.exists(id=doc["uuid"])
        assert await ProcessingLog.filter(document_id=doc["uuid"]).count() == 0
        assert await resources.storage.list_older_than(f"documents/{doc['uuid']}/", _far_future()) == []
    await user.refresh_from_db()
    assert user.credits_reserved == 0 and user.credits_used == 2
    # The ledger keeps its history; the entry just loses its document.
    assert await CreditLog.filter(user_id=user.id, amount=2).count() == 1
    gone = await gql.execute(DELETE, {"id": done["id"]}, token=user_token)
    assert gone.codes == ["NOT_FOUND"]


def _far_future() -> Any:
    from datetime import UTC, datetime

    return datetime(3000, 1, 1, tzinfo=UTC)


async def test_someone_elses_document_is_not_found(
    gql: GraphQLClient, user_token: str, other_token: str, admin_token: str, queue: RecordingQueue
) -> None:
    doc = await uploaded(gql, user_token)
    for mutation in (CANCEL, REPROCESS, DELETE):
        result = await gql.execute(mutation, {"id": doc["id"]}, token=other_token)
        assert result.codes == ["NOT_FOUND"], mutation
    assert (await Document.get(id=doc["uuid"])).status == JobStatus.QUEUED
    # An admin may.
    cancelled = await gql.execute(CANCEL, {"id": doc["id"]}, token=admin_token)
    assert cancelled.ok()["cancelDocument"]["status"] == "CANCELLED"
