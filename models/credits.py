"""The credit ledger: every change to a user's balance is one row."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.documents import Document
    from models.users import User


class CreditLog(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="credit_logs", on_delete=fields.CASCADE
    )
    document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="credit_logs", null=True, on_delete=fields.SET_NULL
    )
    user_id: uuid.UUID
    document_id: uuid.UUID | None
    at = fields.DatetimeField(auto_now_add=True)
    # Positive: credits spent; negative: credits given back (admin grant, refund).
    amount = fields.IntField()
    # Credits left after this change (limit - used).
    balance_after = fields.IntField()
    description = fields.CharField(max_length=500)
    # Unique per operation (e.g. "settle:<document>:<run>") so retries never charge twice.
    idempotency_key = fields.CharField(max_length=120, unique=True, null=True)

    class Meta:
        table = "credit_logs"
        indexes = (Index(fields=("user_id", "at")),)
