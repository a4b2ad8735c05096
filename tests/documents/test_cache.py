"""Reuse of an identical earlier result: same bytes, same options, already COMPLETED."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from docat.events import user_channel
from docat.resources import Resources
from models import CreditLog, Document, DocumentPage, ProcessingLog, User
from tests.documents.conftest import RecordingQueue, finish_run, text_pdf, uploaded
from tests.documents.test_results import results
from tests.fixtures.graphql_client import GraphQLClient


async def test_an_identical_upload_of_the_same_owner_reuses_the_result_at_once(
    gql: GraphQLClient,
    user: User,
    user_token: str,
    queue: RecordingQueue,
    resources: Resources,
) -> None:
    pdf = text_pdf(2)
    first = await uploaded(gql, user_token, pdf, {"pages": "1-2"})
    await finish_run(resources, first["uuid"], charge=2)
    queue.enqueued.clear()
    await user.refresh_from_db()
    spent = (user.credits_used, user.credits_reserved)

    # The owner uploads the same bytes again; "all pages" written differently is the same request.
    async with resources.bus.subscribe([user_channel(user.id)]) as events:
        second = await uploaded(gql, user_token, pdf)
        event = await asyncio.wait_for(events.__anext__(), 5)
    assert second["status"] == "COMPLETED" and second["cached"] is True and second["creditsUsed"] == 0
    assert queue.enqueued == []
    assert event["documentId"] == second["uuid"] and event["status"] == "COMPLETED"

    row = await Document.get(id=second["uuid"])
    assert row.owner_id == user.id
    assert row.formats == ["ORIGINAL", "JSON", "MARKDOWN", "TEXT"]
    assert await DocumentPage.filter(document_id=row.id).count() == 1
    await user.refresh_from_db()
    assert (user.credits_used, user.credits_reserved) == spent
    ledger = await CreditLog.filter(document_id=row.id)
    assert [(entry.amount, "cached" in entry.description) for entry in ledger] == [(0, True)]
    logs = await ProcessingLog.filter(document_id=row.id).values_list("message", flat=True)
    assert any("reused" in str(m) for m in logs)

    # Its own copies: the first document going away changes nothing for the second.
    original = await results(gql, user_token, second["id"])
    assert (
        await gql.execute(
            "mutation($id: ID!) { deleteDocument(id: $id) }", {"id": first["id"]}, token=user_token
        )
    ).ok()
    assert await results(gql, user_token, second["id"]) == original
    assert original["content"]["pageCount"] == 2 and original["markdown"]


async def test_another_owners_upload_of_the_same_bytes_looks_and_costs_like_a_fresh_one(
    gql: GraphQLClient,
    user_token: str,
    other_user: User,
    other_token: str,
    queue: RecordingQueue,
    resources: Resources,
) -> None:
    """No cross-tenant oracle: nothing B sees or pays tells that A uploaded this file before."""
    pdf = text_pdf(2)
    first = await uploaded(gql, user_token, pdf)
    await finish_run(resources, first["uuid"], charge=2)
    queue.enqueued.clear()
    # What B's upload looks like when nobody uploaded these bytes: a control of the same shape.
    fresh = await uploaded(gql, other_token, text_pdf(2))
    queue.enqueued.clear()
    await other_user.refresh_from_db()
    held_before = other_user.credits_reserved

    async with resources.bus.subscribe([user_channel(other_user.id)]) as events:
        second = await uploaded(gql, other_token, pdf)
        event = await asyncio.wait_for(events.__anext__(), 5)
    # Queued for a real run, like the control; not COMPLETED at once, not cached, not free.
    assert {k: second[k] for k in ("status", "cached")} == {k: fresh[k] for k in ("status", "cached")}
    assert second["status"] == "QUEUED" and second["cached"] is False
    assert [doc_id for doc_id, _run, _password in queue.enqueued] == [UUID(second["uuid"])]
    assert event["documentId"] == second["uuid"] and event["status"] == "QUEUED"
    await other_user.refresh_from_db()
    assert other_user.credits_reserved - held_before == 2  # the same hold as any 2-page upload
    row = await Document.get(id=second["uuid"])
    assert row.formats == ["ORIGINAL"] and not row.cached
    assert await CreditLog.filter(document_id=row.id, amount=0).count() == 0


async def test_different_options_or_bytes_are_processed(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    pdf = text_pdf(2)
    first = await uploaded(gql, user_token, pdf)
    await finish_run(resources, first["uuid"])
    queue.enqueued.clear()
    variants: list[tuple[bytes, dict[str, Any] | None]] = [
        (pdf, {"engine": "OCR"}),
        (pdf, {"pages": "1"}),
        (pdf, {"ocrLanguage": "deu"}),
        (text_pdf(2), None),
    ]
    for content, options in variants:
        doc = await uploaded(gql, user_token, content, options)
        assert doc["status"] == "QUEUED" and doc["cached"] is False, options
    assert len(queue.enqueued) == len(variants)


async def test_an_unfinished_earlier_upload_is_no_cache(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue
) -> None:
    pdf = text_pdf(2)
    await uploaded(gql, user_token, pdf)
    second = await uploaded(gql, user_token, pdf)
    assert second["status"] == "QUEUED" and second["cached"] is False


async def test_a_vanished_result_falls_back_to_processing(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    pdf = text_pdf(2)
    first = await uploaded(gql, user_token, pdf)
    await finish_run(resources, first["uuid"])
    # The row still says COMPLETED, but a file is gone (deleted in the meantime).
    await resources.storage.delete(f"documents/{first['uuid']}/content.txt")
    second = await uploaded(gql, user_token, pdf)
    assert second["status"] == "QUEUED" and second["cached"] is False
    keys = await resources.storage.list_older_than(f"documents/{second['uuid']}/", _far_future())
    assert keys == [f"documents/{second['uuid']}/original.pdf"]  # no half-copied results


def _far_future() -> Any:
    from datetime import UTC, datetime

    return datetime(3000, 1, 1, tzinfo=UTC)
