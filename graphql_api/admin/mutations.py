"""Admin mutations: settings and provider keys."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from docat.admin_settings import set_setting, spec_for
from docat.errors import BadUserInput, NotFound
from docat.security import encrypt_secret
from graphql_api.admin.queries import list_settings
from graphql_api.admin.types import ProviderKeyType, Setting
from graphql_api.context import Info
from graphql_api.relay import expect_global_id
from jobs.llm.key_pool import PROVIDERS, normalize_provider
from models import ProviderKey


@strawberry.type
class AdminMutations:
    @strawberry.mutation(
        description="Set a setting (validated and typed); null restores the default. ADMIN only."
    )
    async def update_setting(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The setting's name (see `settings`).")],
        value: Annotated[
            str | None,
            strawberry.argument(
                description="The new value as text (JSON for numbers and booleans); null: default."
            ),
        ] = None,
    ) -> Setting:
        await info.context.require_admin()
        spec_for(key)
        await set_setting(key, value)
        return next(s for s in await list_settings(info) if s.key == key)

    @strawberry.mutation(
        description="Add an LLM provider key (openrouter or gemini), stored encrypted. ADMIN only."
    )
    async def add_provider_key(
        self,
        info: Info,
        provider: Annotated[
            str,
            strawberry.argument(
                description='"openrouter" or "gemini" (LlmProvider in lower case); "openai", "google" too.'
            ),
        ],
        key: Annotated[
            str, strawberry.argument(description="The API key, 8..500 characters without spaces.")
        ],
        label: Annotated[
            str | None, strawberry.argument(description="A note to tell keys apart, at most 200 characters.")
        ] = None,
    ) -> ProviderKeyType:
        await info.context.require_admin()
        name = normalize_provider(provider)
        if name not in PROVIDERS:
            raise BadUserInput(f"unknown provider {provider!r}; use one of: {', '.join(PROVIDERS)}")
        secret = key.strip()
        if len(secret) < 8 or len(secret) > 500 or any(c.isspace() for c in secret):
            raise BadUserInput("key must be 8 to 500 characters without spaces")
        if label is not None and len(label) > 200:
            raise BadUserInput("label must be at most 200 characters")
        row = await ProviderKey.create(
            provider=name,
            label=label,
            key_encrypted=encrypt_secret(info.context.settings.signing_key, secret),
            last4=secret[-4:],
        )
        return ProviderKeyType.from_model(row)

    @strawberry.mutation(description="Delete a provider key. ADMIN only.")
    async def remove_provider_key(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's global ID.")],
    ) -> bool:
        await info.context.require_admin()
        try:
            key_id = uuid.UUID(expect_global_id(id, "ProviderKey"))
        except ValueError as exc:
            raise NotFound("provider key not found") from exc
        deleted = await ProviderKey.filter(id=key_id).delete()
        if not deleted:
            raise NotFound("provider key not found")
        return True
