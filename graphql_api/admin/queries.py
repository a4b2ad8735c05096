"""Admin queries (settings, providerKeys) and the caller's usage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from docat.admin_settings import SPECS, get_setting
from docat.errors import BadUserInput
from graphql_api.admin.types import ProviderKeyType, Setting, Usage, UsageDay
from graphql_api.context import Info
from graphql_api.users.types import credits_limit_of
from jobs.llm.languages import SUPPORTED_LANGUAGES
from models import CreditLog, Document, ProviderKey
from models import Setting as SettingRow

MAX_USAGE_DAYS = 366


def mask(value: str | None) -> str | None:
    if value is None:
        return None
    return "****" + value[-4:] if len(value) > 8 else "****"


async def list_settings(info: Info) -> list[Setting]:
    rows = {row.key: row for row in await SettingRow.all()}
    out: list[Setting] = []
    for key, spec in sorted(SPECS.items()):
        value = await get_setting(info.context.settings, key)
        text = None if value is None else (json.dumps(value) if not isinstance(value, str) else value)
        row = rows.get(key)
        out.append(
            Setting(
                key=key,
                value=mask(text) if spec.secret else text,
                description=spec.description,
                secret=spec.secret,
                updated_at=row.updated_at if row else datetime.fromtimestamp(0, UTC),
            )
        )
    return out


@strawberry.type
class AdminQueries:
    @strawberry.field(description="Every setting with its current value (secrets masked). ADMIN only.")
    async def settings(self, info: Info) -> list[Setting]:
        await info.context.require_admin()
        return await list_settings(info)

    @strawberry.field(description="Provider keys (only the last 4 characters are ever shown). ADMIN only.")
    async def provider_keys(self, info: Info) -> list[ProviderKeyType]:
        await info.context.require_admin()
        return [ProviderKeyType.from_model(k) for k in await ProviderKey.all().order_by("created_at")]

    @strawberry.field(
        description=(
            "The caller's usage over the last `days` days, per day, from the database. Any signed-in user."
        )
    )
    async def usage(
        self,
        info: Info,
        days: Annotated[
            int | None,
            strawberry.argument(description=f"How many days back, today included: 1..{MAX_USAGE_DAYS}."),
        ] = 30,
    ) -> Usage:
        user = await info.context.require_user()
        span = 30 if days is None else days
        if span < 1 or span > MAX_USAGE_DAYS:
            raise BadUserInput(f"days must be between 1 and {MAX_USAGE_DAYS}")
        today = datetime.now(UTC).date()
        start = datetime.combine(today - timedelta(days=span - 1), datetime.min.time(), UTC)
        per_day = {
            (today - timedelta(days=i)).isoformat(): UsageDay(
                date=(today - timedelta(days=i)).isoformat(), documents=0, pages=0, credits=0
            )
            for i in range(span - 1, -1, -1)
        }
        docs = await Document.filter(owner_id=user.id, created_at__gte=start).values(
            "created_at", "page_count"
        )
        for row in docs:
            day = per_day.get(row["created_at"].astimezone(UTC).date().isoformat())
            if day:
                day.documents += 1
                day.pages += row["page_count"] or 0
        charges = await CreditLog.filter(user_id=user.id, at__gte=start).values("at", "amount")
        for row in charges:
            day = per_day.get(row["at"].astimezone(UTC).date().isoformat())
            if day:
                day.credits += row["amount"]
        return Usage(
            documents=sum(d.documents for d in per_day.values()),
            pages=sum(d.pages for d in per_day.values()),
            credits_used=user.credits_used,
            credits_limit=await credits_limit_of(info, user),
            days=list(per_day.values()),
        )

    @strawberry.field(description="BCP 47 codes accepted by ProcessingOptionsInput.translateTo. Public.")
    def supported_languages(self) -> list[str]:
        return list(SUPPORTED_LANGUAGES)
