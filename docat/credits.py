"""Credits: reserved at upload, settled once when a job ends, every balance change in the ledger.

Cost as the original product: 1 credit per text page, 5 per OCR page (local or
LLM). A reservation holds the worst case for the pages to process; settling
charges what the job really used (pages already done stay charged when a job
fails or is cancelled) and gives back the rest of the hold.

Every function runs in one transaction that locks the user's row first and
the document's row second (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serializes writers). One lock order everywhere means two of them can never
deadlock, and the user's lock makes "check the balance, then hold" atomic:
concurrent uploads of one user can never spend past the limit.

The ledger (CreditLog) gets one row per change of the balance (limit - used):
- a settled run: `amount` = the charge, idempotent per (document, run) through
  a unique key, so a retried job never charges twice;
- an admin changing a user's limit or tier: `amount` 0, the description says
  "credit limit changed from X to Y by <admin>", `balanceAfter` the new balance.
Holds and releases are not rows: they move no credit, only `credits_reserved`.
"""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from docat.admin_settings import tier_credit_limit
from docat.errors import InsufficientCredits
from docat.settings import Settings
from models import CreditLog, Document, User

CREDITS_PER_TEXT_PAGE = 1
CREDITS_PER_OCR_PAGE = 5


def page_cost(ocr: bool) -> int:
    return CREDITS_PER_OCR_PAGE if ocr else CREDITS_PER_TEXT_PAGE


def job_cost(text_pages: int, ocr_pages: int) -> int:
    return text_pages * CREDITS_PER_TEXT_PAGE + ocr_pages * CREDITS_PER_OCR_PAGE


async def credit_limit(settings: Settings, user: User) -> int:
    if user.credits_limit_override is not None:
        return user.credits_limit_override
    return await tier_credit_limit(settings, user.tier.value)


async def reserve(settings: Settings, user_id: uuid.UUID, document_id: uuid.UUID, amount: int) -> None:
    """Hold `amount` more credits for a document, or raise INSUFFICIENT_CREDITS."""
    if amount <= 0:
        return
    async with in_transaction():
        user = await User.select_for_update().get(id=user_id)
        limit = await credit_limit(settings, user)
        available = limit - user.credits_used - user.credits_reserved
        if amount > available:
            raise InsufficientCredits(
                f"this job needs up to {amount} credits and {max(available, 0)} are left "
                f"(limit {limit}); ask an administrator for more"
            )
        doc = await Document.select_for_update().get(id=document_id)
        user.credits_reserved += amount
        await user.save(update_fields=["credits_reserved"])
        # Added, not set: a second hold on one document must be released in full later.
        doc.credits_reserved += amount
        await doc.save(update_fields=["credits_reserved"])


async def settle(
    settings: Settings,
    document_id: uuid.UUID,
    run: int,
    charge: int,
    description: str,
) -> bool:
    """Charge this run's cost and release its hold. False if this run was already settled."""
    key = f"settle:{document_id}:{run}"
    owner_id = await Document.filter(id=document_id).first().values_list("owner_id", flat=True)
    if owner_id is None:
        return False
    try:
        async with in_transaction():
            user = await User.select_for_update().get(id=owner_id)
            doc = await Document.select_for_update().get(id=document_id)
            if await CreditLog.filter(idempotency_key=key).exists():
                return False
            limit = await credit_limit(settings, user)
            # The hold was the worst case; should the real cost ever exceed it, the
            # charge stops at what the user could still afford: never past the limit.
            others_held = max(0, user.credits_reserved - doc.credits_reserved)
            affordable = max(0, limit - user.credits_used - others_held)
            amount = max(0, min(charge, affordable))
            user.credits_reserved = others_held
            user.credits_used += amount
            await user.save(update_fields=["credits_reserved", "credits_used"])
            # A document's credits add up over its runs (reprocessing is charged again).
            doc.credits_used += amount
            doc.credits_reserved = 0
            await doc.save(update_fields=["credits_used", "credits_reserved"])
            await CreditLog.create(
                user_id=user.id,
                document_id=doc.id,
                amount=amount,
                balance_after=limit - user.credits_used,
                description=description[:500],
                idempotency_key=key,
            )
            return True
    except IntegrityError:
        # Another process settled the same run first (the unique key is the last guard).
        return False


async def release_hold(document_id: uuid.UUID) -> None:
    """Give back a document's hold without a charge (a job that never started, a deleted document)."""
    owner_id = await Document.filter(id=document_id).first().values_list("owner_id", flat=True)
    if owner_id is None:
        return
    async with in_transaction():
        user = await User.select_for_update().get(id=owner_id)
        doc = await Document.select_for_update().get_or_none(id=document_id)
        if doc is None or doc.credits_reserved == 0:
            return
        user.credits_reserved = max(0, user.credits_reserved - doc.credits_reserved)
        await user.save(update_fields=["credits_reserved"])
        doc.credits_reserved = 0
        await doc.save(update_fields=["credits_reserved"])


async def log_limit_change(settings: Settings, user: User, before: int, actor: str) -> None:
    """A ledger row when an admin's change (limit, tier) moved the user's limit.

    Call it in the transaction that saved the change, with the limit read before it.
    """
    after = await credit_limit(settings, user)
    if after == before:
        return
    await CreditLog.create(
        user_id=user.id,
        amount=0,
        balance_after=after - user.credits_used,
        description=f"credit limit changed from {before} to {after} by {actor}"[:500],
    )
