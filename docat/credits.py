"""Credits: reserved at upload, settled once when a job ends, every charge in the ledger.

Cost as the original product: 1 credit per text page, 5 per OCR page (local or
LLM). A reservation holds the worst case for the pages to process; settling
charges what the job really used (pages already done stay charged when a job
fails or is cancelled) and gives back the rest of the hold.

Both run in a transaction that locks the user's row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite serializes writers), so concurrent uploads of one user can
never spend past the limit. Settling is idempotent per (document, run): a
retried job finds its CreditLog row and charges nothing twice.
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
    """Hold `amount` credits for a document, or raise INSUFFICIENT_CREDITS."""
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
        user.credits_reserved += amount
        await user.save(update_fields=["credits_reserved"])
        await Document.filter(id=document_id).update(credits_reserved=amount)


async def settle(
    settings: Settings,
    document_id: uuid.UUID,
    run: int,
    charge: int,
    description: str,
) -> bool:
    """Charge `charge` credits for this run and release its hold. False if already settled."""
    key = f"settle:{document_id}:{run}"
    try:
        async with in_transaction():
            doc = await Document.select_for_update().get(id=document_id)
            user = await User.select_for_update().get(id=doc.owner_id)  # type: ignore[attr-defined]
            if await CreditLog.filter(idempotency_key=key).exists():
                return False
            user.credits_reserved = max(0, user.credits_reserved - doc.credits_reserved)
            user.credits_used += charge
            await user.save(update_fields=["credits_reserved", "credits_used"])
            doc.credits_used = charge
            doc.credits_reserved = 0
            await doc.save(update_fields=["credits_used", "credits_reserved"])
            limit = await credit_limit(settings, user)
            await CreditLog.create(
                user_id=user.id,
                document_id=doc.id,
                amount=charge,
                balance_after=limit - user.credits_used,
                description=description,
                idempotency_key=key,
            )
            return True
    except IntegrityError:
        # Another process settled the same run first.
        return False


async def release_hold(document_id: uuid.UUID) -> None:
    """Give back a document's hold without a charge (a job that never started, a deleted document)."""
    async with in_transaction():
        doc = await Document.select_for_update().get_or_none(id=document_id)
        if doc is None or doc.credits_reserved == 0:
            return
        user = await User.select_for_update().get(id=doc.owner_id)  # type: ignore[attr-defined]
        user.credits_reserved = max(0, user.credits_reserved - doc.credits_reserved)
        await user.save(update_fields=["credits_reserved"])
        doc.credits_reserved = 0
        await doc.save(update_fields=["credits_reserved"])
