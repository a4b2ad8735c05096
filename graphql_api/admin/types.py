"""GraphQL types of admin settings, provider keys and usage."""

from __future__ import annotations

from datetime import date as calendar_date
from datetime import datetime
from enum import Enum

import strawberry

from graphql_api.enums import described_enum
from graphql_api.relay import Node, to_global_id
from jobs.llm.key_pool import GEMINI, OPENROUTER
from models import ProviderKey


class LlmProvider(Enum):
    OPENROUTER = OPENROUTER
    GEMINI = GEMINI


described_enum(
    LlmProvider,
    name="LlmProvider",
    description="An LLM provider the service can call (translation, LLM OCR).",
    values={
        "OPENROUTER": "An OpenAI-compatible chat completions endpoint (OpenRouter or compatible).",
        "GEMINI": "The Google Gemini API.",
    },
)


@strawberry.type(description="An admin setting. Secret values come back masked.")
class Setting:
    key: str = strawberry.field(description="The setting's name, e.g. registration_open.")
    value: str | None = strawberry.field(
        description="The current value as text (JSON for numbers and booleans); masked when secret."
    )
    description: str | None = strawberry.field(description="What the setting controls.")
    secret: bool = strawberry.field(description="True when the value is masked (only its last 4 characters).")
    updated_at: datetime = strawberry.field(description="When an admin last set it (1970 when never).")


@strawberry.type(name="ProviderKey", description="An LLM provider API key added by an admin. ADMIN only.")
class ProviderKeyType(Node):
    provider: str = strawberry.field(
        description='The provider\'s name, "openrouter" or "gemini" (see `llmProvider`).'
    )
    label: str | None = strawberry.field(description="The admin's note to tell keys apart.")
    last4: str = strawberry.field(description="The key's last 4 characters; the key itself is never shown.")
    is_active: bool = strawberry.field(description="Whether jobs use the key (only active keys are).")
    requests: int = strawberry.field(description="Requests made with this key.")
    failures: int = strawberry.field(description="Of those, the ones that failed.")
    last_used_at: datetime | None = strawberry.field(description="When the key was last used.")

    @strawberry.field(description="The provider, as an enum (the same as `provider`).")
    def llm_provider(self) -> LlmProvider:
        return LlmProvider(self.provider)

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


@strawberry.type(description="One day (UTC) of an account's usage.")
class UsageDay:
    date: str = strawberry.field(
        description='The day as text, "YYYY-MM-DD". Kept for existing clients: `day` is the same as a Date.'
    )
    documents: int = strawberry.field(description="Documents uploaded that day.")
    pages: int = strawberry.field(description="Pages of those documents.")
    credits: int = strawberry.field(description="Credits charged that day.")

    @strawberry.field(description="The day (UTC), as a Date.")
    def day(self) -> calendar_date:
        return calendar_date.fromisoformat(self.date)


@strawberry.type(description="An account's usage over a span of days.")
class Usage:
    documents: int = strawberry.field(description="Documents uploaded in the span.")
    pages: int = strawberry.field(description="Pages of those documents.")
    credits_used: int = strawberry.field(description="Credits spent by the account so far (all time).")
    credits_limit: int = strawberry.field(description="Credits the account may spend.")
    days: list[UsageDay] = strawberry.field(
        description="Each day of the span, oldest first, days without use too."
    )
