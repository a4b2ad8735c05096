"""Users: who may log in, their role, tier and credit balance."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


class Tier(StrEnum):
    FREE = "FREE"
    PLUS = "PLUS"
    PRO = "PRO"


class User(Model):
    id = fields.UUIDField(primary_key=True)
    # Stored lower-cased: emails compare case-insensitively everywhere.
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200, null=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=8, default=Role.USER)
    tier = fields.CharEnumField(Tier, max_length=8, default=Tier.FREE)
    is_active = fields.BooleanField(default=True)
    # Credits charged so far, and credits held for jobs still running.
    credits_used = fields.IntField(default=0)
    credits_reserved = fields.IntField(default=0)
    # An admin's per-user limit; null means the tier's limit (an admin setting).
    credits_limit_override = fields.IntField(null=True)
    # Bumped on password change and deactivation: tokens carry it, so old ones stop working.
    token_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_active_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.email
