"""Webhook mutations: create, update, delete, rotate the secret."""

from __future__ import annotations

from typing import Annotated

import strawberry

from docat.errors import BadUserInput
from graphql_api.context import Info
from graphql_api.webhooks.access import get_webhook
from graphql_api.webhooks.types import WebhookEventEnum, WebhookType
from jobs.webhooks_http import RefusedTarget, resolve_target
from jobs.webhooks_signing import new_secret, seal_secret
from models import Webhook, WebhookEvent

MAX_URL_LENGTH = 2048
# Enough for any real integration; bounds the fan-out of one finished job.
MAX_WEBHOOKS_PER_USER = 20
DEFAULT_EVENTS = [WebhookEvent.COMPLETED, WebhookEvent.FAILED]
# Only the owner changes a webhook: anyone else's, an ADMIN's look included, is NOT_FOUND.
OWN_WEBHOOK = "NOT_FOUND if missing or not the caller's (ADMIN included)."
ID_ARGUMENT = strawberry.argument(description="The webhook's global ID.")


async def checked_url(info: Info, url: str) -> str:
    """The URL if a delivery could be sent to it now (same rules as the delivery itself)."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise BadUserInput(f"url must be at most {MAX_URL_LENGTH} characters")
    try:
        await resolve_target(url, allow_private=info.context.settings.webhook_allow_private)
    except RefusedTarget as exc:
        raise BadUserInput(f"url refused: {exc}") from exc
    return url


def checked_events(events: list[WebhookEventEnum]) -> list[str]:
    if not events:
        raise BadUserInput("events must name at least one of COMPLETED, FAILED, CANCELLED")
    return [e.value for e in WebhookEvent if e in events]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description=(
            "Be told (POST, signed per Standard Webhooks) when your jobs end. The answer carries the "
            "whsec_ signing secret; it is never shown again (rotateWebhookSecret makes a new one). "
            f"At most {MAX_WEBHOOKS_PER_USER} per user. Any signed-in user."
        )
    )
    async def create_webhook(
        self,
        info: Info,
        url: Annotated[
            str,
            strawberry.argument(
                description=(
                    f"Where to POST: http or https, at most {MAX_URL_LENGTH} characters, no credentials; "
                    "its host must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE)."
                )
            ),
        ],
        # The argument's default, shown in the schema; never mutated.
        events: Annotated[
            list[WebhookEventEnum] | None,
            strawberry.argument(
                description="The job outcomes to be told about, at least one (null: COMPLETED and FAILED)."
            ),
        ] = DEFAULT_EVENTS,
    ) -> WebhookType:
        viewer = await info.context.require_user()
        wanted = checked_events(DEFAULT_EVENTS if events is None else events)
        target = await checked_url(info, url)
        if await Webhook.filter(owner_id=viewer.id).count() >= MAX_WEBHOOKS_PER_USER:
            raise BadUserInput(f"at most {MAX_WEBHOOKS_PER_USER} webhooks per user")
        secret = new_secret()
        row = await Webhook.create(
            owner_id=viewer.id,
            url=target,
            events=wanted,
            secret_encrypted=seal_secret(info.context.settings, secret),
        )
        return WebhookType.from_model(row, secret=secret)

    @strawberry.mutation(
        description=(
            "Change a webhook's url, events or active flag; turning it on clears disabledReason. "
            f"{OWN_WEBHOOK} Any signed-in user."
        )
    )
    async def update_webhook(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARGUMENT],
        url: Annotated[
            str | None,
            strawberry.argument(description="The new URL, checked as in createWebhook; null: unchanged."),
        ] = None,
        events: Annotated[
            list[WebhookEventEnum] | None,
            strawberry.argument(description="The new job outcomes, at least one; null: unchanged."),
        ] = None,
        active: Annotated[
            bool | None,
            strawberry.argument(
                description=(
                    "false: no new deliveries, and pending ones are given up at their next try; "
                    "true: on again, disabledReason cleared; null: unchanged."
                )
            ),
        ] = None,
    ) -> WebhookType:
        viewer = await info.context.require_user()
        row = await get_webhook(viewer, id, to_change=True)
        if url is not None:
            row.url = await checked_url(info, url)
        if events is not None:
            row.events = checked_events(events)
        if active is not None:
            row.active = active
            if active:
                row.disabled_reason = None  # type: ignore[assignment]
                row.failing_since = None
        await row.save()
        return WebhookType.from_model(row)

    @strawberry.mutation(
        description=(
            f"Delete a webhook and its delivery history; answers true. {OWN_WEBHOOK} Any signed-in user."
        )
    )
    async def delete_webhook(self, info: Info, id: Annotated[strawberry.ID, ID_ARGUMENT]) -> bool:
        viewer = await info.context.require_user()
        row = await get_webhook(viewer, id, to_change=True)
        await row.delete()
        return True

    @strawberry.mutation(
        description=(
            "A new signing secret, in this answer only; the old one stops signing at once "
            f"(deliveries still pending are signed with the new one). {OWN_WEBHOOK} Any signed-in user."
        )
    )
    async def rotate_webhook_secret(
        self, info: Info, id: Annotated[strawberry.ID, ID_ARGUMENT]
    ) -> WebhookType:
        viewer = await info.context.require_user()
        row = await get_webhook(viewer, id, to_change=True)
        secret = new_secret()
        row.secret_encrypted = seal_secret(info.context.settings, secret)
        await row.save(update_fields=["secret_encrypted", "updated_at"])
        return WebhookType.from_model(row, secret=secret)
