"""Webhook queries: webhooks, webhookDeliveries."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.relay import AFTER_ARGUMENT, Connection, Edge, first_argument, paginate
from graphql_api.webhooks.access import get_webhook
from graphql_api.webhooks.types import WebhookDeliveryType, WebhookType
from jobs.webhooks_sweep import HISTORY_DAYS
from models import Role, Webhook, WebhookAttempt, WebhookDelivery


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="The caller's webhooks, newest first. Any signed-in user; ADMIN sees all.")
    async def webhooks(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = 20,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
    ) -> Connection[WebhookType]:
        viewer = await info.context.require_user()
        query = Webhook.all() if viewer.role == Role.ADMIN else Webhook.filter(owner_id=viewer.id)
        return await paginate(
            query, first=first, after=after, time_field="created_at", convert=WebhookType.from_model
        )

    @strawberry.field(
        description=(
            "Deliveries of one webhook, newest first, each with its attempts; finished ones are kept "
            f"{HISTORY_DAYS} days. NOT_FOUND if missing or not the caller's. Owner or ADMIN."
        )
    )
    async def webhook_deliveries(
        self,
        info: Info,
        webhook_id: Annotated[strawberry.ID, strawberry.argument(description="The webhook's global ID.")],
        first: Annotated[int | None, first_argument(20)] = 20,
        after: Annotated[str | None, AFTER_ARGUMENT] = None,
    ) -> Connection[WebhookDeliveryType]:
        viewer = await info.context.require_user()
        webhook = await get_webhook(viewer, webhook_id)
        page = await paginate(
            WebhookDelivery.filter(webhook_id=webhook.id),
            first=first,
            after=after,
            time_field="created_at",
            convert=lambda row: row,
        )
        # Every attempt of the page in one query.
        ids = [edge.node.id for edge in page.edges]
        by_delivery: dict[object, list[WebhookAttempt]] = defaultdict(list)
        for attempt in await WebhookAttempt.filter(delivery_id__in=ids).order_by("at", "id"):
            by_delivery[attempt.delivery_id].append(attempt)
        return Connection(
            edges=[
                Edge(
                    node=WebhookDeliveryType.from_model(edge.node, by_delivery[edge.node.id]),
                    cursor=edge.cursor,
                )
                for edge in page.edges
            ],
            page_info=page.page_info,
            count_query=page.count_query,
            known_total=page.known_total,
        )
