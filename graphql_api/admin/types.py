"""GraphQL types of admin settings, provider keys and usage."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.relay import Node, to_global_id
from models import ProviderKey


@strawberry.type(description="Secret values come back masked.")
class Setting:
    key: str
    value: str | None
    description: str | None
    secret: bool
    updated_at: datetime


@strawberry.type(name="ProviderKey")
class ProviderKeyType(Node):
    provider: str
    label: str | None
    last4: str
    is_active: bool
    requests: int
    failures: int
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, row: ProviderKey) -> ProviderKeyType:
        return cls(
            id=to_global_id("ProviderKey", row.id),
            provider=row.provider,
            label=row.label,
            last4=row.last4,
            is_active=row.is_active,
            requests=row.requests,
            failures=row.failures,
            last_used_at=row.last_used_at,
        )


@strawberry.type
class UsageDay:
    date: str
    documents: int
    pages: int
    credits: int


@strawberry.type
class Usage:
    documents: int
    pages: int
    credits_used: int
    credits_limit: int
    days: list[UsageDay]
