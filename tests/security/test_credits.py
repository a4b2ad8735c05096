"""Credits: tier limits, atomic reservations, idempotent settling, a ledger row per balance change."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from docat import credits
from docat.errors import InsufficientCredits
from docat.settings import Settings
from graphql_api.relay import to_global_id
from models import CreditLog, Document, JobStatus, Tier, User
from tests.conftest import PASSWORD
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.security.conftest import make_document, text_pdf

CREDIT_LOGS = """
query { creditLogs(first: 50) { totalCount edges { node { amount balanceAfter description document { id } } } } }"""
UPDATE_USER = """
mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { creditsLimit tier } }"""


async def test_tier_limits(app: Starlette, settings: Settings) -> None:
    expected = {Tier.FREE: 500, Tier.PLUS: 50_000, Tier.PRO: 1_000_000}
    for tier, limit in expected.items():
        user = await User.create(email=unique_email(tier.value.lower()), password_hash="x", tier=tier)
        assert await credits.credit_limit(settings, user) == limit
    user.credits_limit_override = 42
    assert await credits.credit_limit(settings, user) == 42


async def test_concurrent_reservations_never_spend_past_the_limit(settings: Settings, user: User) -> None:
    """40 jobs of 50 credits race for a FREE user's 500: exactly 10 win, on SQLite and PostgreSQL."""
    docs = [await make_document(user, f"race-{i}.pdf", status=JobStatus.QUEUED) for i in range(40)]
    outcomes = await asyncio.gather(
        *(credits.reserve(settings, user.id, doc.id, 50) for doc in docs), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, InsufficientCredits)]
    assert [o for o in outcomes if o is not None and not isinstance(o, InsufficientCredits)] == []
    assert len(refused) == 30
    fresh = await User.get(id=user.id)
    assert fresh.credits_reserved == 500
    held = [d.credits_reserved for d in await Document.filter(owner_id=user.id)]
    assert sorted(held, reverse=True)[:10] == [50] * 10 and sum(held) == 500
    # Settling every winner at its full hold uses the limit exactly, never more.
    for doc in await Document.filter(owner_id=user.id, credits_reserved__gt=0):
        assert await credits.settle(settings, doc.id, 1, 50, "done")
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (500, 0)
    assert await CreditLog.filter(user_id=user.id).count() == 10


async def test_settling_is_idempotent_even_when_concurrent(settings: Settings, user: User) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING)
    await credits.reserve(settings, user.id, doc.id, 30)
    results = await asyncio.gather(*(credits.settle(settings, doc.id, 1, 12, "3 pages") for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert not await credits.settle(settings, doc.id, 1, 12, "a retried job")
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (12, 0)
    rows = await CreditLog.filter(document_id=doc.id)
    assert [(r.amount, r.balance_after) for r in rows] == [(12, 500 - 12)]
    doc = await Document.get(id=doc.id)
    assert (doc.credits_used, doc.credits_reserved) == (12, 0)


async def test_a_reprocessed_document_is_charged_per_run(settings: Settings, user: User) -> None:
    doc = await make_document(user)
    for run, charge in ((1, 3), (2, 15)):
        await credits.reserve(settings, user.id, doc.id, 15)
        assert await credits.settle(settings, doc.id, run, charge, f"run {run}")
    doc = await Document.get(id=doc.id)
    assert doc.credits_used == 18
    assert [r.balance_after for r in await CreditLog.filter(document_id=doc.id).order_by("id")] == [497, 482]


async def test_a_charge_never_goes_past_the_limit(settings: Settings, user: User) -> None:
    doc = await make_document(user)
    await credits.reserve(settings, user.id, doc.id, 450)
    # The job turned out to cost more than its hold and more than is left: it stops at the limit.
    assert await credits.settle(settings, doc.id, 1, 900, "more OCR than expected")
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (500, 0)
    assert (await CreditLog.get(document_id=doc.id)).balance_after == 0


async def test_a_released_hold_gives_everything_back(settings: Settings, user: User) -> None:
    doc = await make_document(user, status=JobStatus.QUEUED)
    await credits.reserve(settings, user.id, doc.id, 200)
    await credits.reserve(settings, user.id, doc.id, 100)
    await credits.release_hold(doc.id)
    await credits.release_hold(doc.id)
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (0, 0)
    assert await CreditLog.filter(user_id=user.id).count() == 0


async def test_insufficient_credits_is_a_clear_error(settings: Settings, user: User) -> None:
    doc = await make_document(user, status=JobStatus.QUEUED)
    try:
        await credits.reserve(settings, user.id, doc.id, 501)
    except InsufficientCredits as exc:
        assert exc.extensions["code"] == "INSUFFICIENT_CREDITS"
        assert "501" in exc.message and "500" in exc.message
    else:
        raise AssertionError("a reservation over the limit was accepted")


async def test_admin_limit_and_tier_changes_are_ledger_rows(
    client: GraphQLClient, settings: Settings, user: User, admin: User, admin_token: str, user_token: str
) -> None:
    doc = await make_document(user)
    await credits.reserve(settings, user.id, doc.id, 20)
    await credits.settle(settings, doc.id, 1, 20, "2 OCR pages of report.pdf")
    user_id = to_global_id("User", user.id)

    changed = await client.execute(
        UPDATE_USER, {"id": user_id, "input": {"creditsLimit": 1234}}, token=admin_token
    )
    assert changed.ok()["updateUser"]["creditsLimit"] == 1234
    unchanged = await client.execute(
        UPDATE_USER, {"id": user_id, "input": {"creditsLimit": 1234}}, token=admin_token
    )
    assert unchanged.ok()["updateUser"]["creditsLimit"] == 1234
    # Back to the tier's limit, then a tier change moves it again.
    await client.execute(UPDATE_USER, {"id": user_id, "input": {"creditsLimit": None}}, token=admin_token)
    tier = await client.execute(UPDATE_USER, {"id": user_id, "input": {"tier": "PLUS"}}, token=admin_token)
    assert tier.ok()["updateUser"] == {"creditsLimit": 50_000, "tier": "PLUS"}

    ledger = (await client.execute(CREDIT_LOGS, token=user_token)).ok()["creditLogs"]
    rows = [
        (e["node"]["amount"], e["node"]["balanceAfter"], e["node"]["description"]) for e in ledger["edges"]
    ]
    by = f"by admin {admin.email}"
    assert rows == [
        (0, 50_000 - 20, f"credit limit changed from 500 to 50000 {by}"),
        (0, 500 - 20, f"credit limit changed from 1234 to 500 {by}"),
        (0, 1234 - 20, f"credit limit changed from 500 to 1234 {by}"),
        (20, 500 - 20, "2 OCR pages of report.pdf"),
    ]
    assert ledger["totalCount"] == 4
    assert ledger["edges"][-1]["node"]["document"] == {"id": to_global_id("Document", doc.id)}


async def test_an_admin_edit_never_overwrites_a_concurrent_charge(
    client: GraphQLClient, settings: Settings, user: User, admin_token: str
) -> None:
    """updateUser writes only the columns it changes: a settle racing it keeps its charge."""
    docs = [await make_document(user, f"d{i}.pdf") for i in range(5)]
    for doc in docs:
        await credits.reserve(settings, user.id, doc.id, 10)
    user_id = to_global_id("User", user.id)
    edits = [
        client.execute(UPDATE_USER, {"id": user_id, "input": {"creditsLimit": 400 + i}}, token=admin_token)
        for i in range(5)
    ]
    settles = [credits.settle(settings, doc.id, 1, 10, "done") for doc in docs]
    await asyncio.gather(*edits, *settles)
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (50, 0)


async def test_credit_logs_are_the_callers_own(
    client: GraphQLClient, settings: Settings, user: User, other_user: User, other_token: str
) -> None:
    doc = await make_document(user)
    await credits.reserve(settings, user.id, doc.id, 5)
    await credits.settle(settings, doc.id, 1, 5, "mine")
    theirs = (await client.execute(CREDIT_LOGS, token=other_token)).ok()["creditLogs"]
    assert theirs == {"totalCount": 0, "edges": []}
    assert PASSWORD  # the shared fixtures' password; other_user logs in with it elsewhere
    assert other_user.email != user.email


UPLOAD = """
mutation($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { id status }
}"""


async def test_concurrent_uploads_never_spend_past_the_limit(
    client: GraphQLClient,
    app: Starlette,
    settings: Settings,
    user: User,
    user_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """8 uploads of 4 pages (4 credits each with engine TEXT) race for a limit of 12: 3 win."""
    queued: list[Any] = []

    async def hold_the_job(document_id: Any, run: int, *, password: str | None = None) -> None:
        # The jobs never run, so no hold is settled or released while the uploads race.
        queued.append(document_id)

    monkeypatch.setattr(app.state.resources.queue, "enqueue", hold_the_job)
    await User.filter(id=user.id).update(credits_limit_override=12)
    uploads = [
        client.upload(UPLOAD, {"options": {"engine": "TEXT"}}, "file", text_pdf(4), token=user_token)
        for _ in range(8)
    ]
    results = await asyncio.gather(*uploads)
    codes = sorted(str(r.codes) for r in results)
    assert codes == ["['INSUFFICIENT_CREDITS']"] * 5 + ["[]"] * 3, [r.body for r in results]
    fresh = await User.get(id=user.id)
    assert (fresh.credits_used, fresh.credits_reserved) == (0, 12)
    assert len(queued) == 3
    assert await Document.filter(owner_id=user.id).count() == 3
