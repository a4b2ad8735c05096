"""Webhook queries: webhooks, webhookDeliveries."""

from __future__ import annotations

from collections import defaultdict

import strawberry

from graphql_api.context import Info
from graphql_api.relay import Connection, Edge, paginate
from graphql_api.webhooks.access import get_webhook
from graphql_api.webhooks.types import WebhookDeliveryType, WebhookType
from models import Role, Webhook, WebhookAttempt, WebhookDelivery


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="The caller's webhooks (every user's for ADMIN), newest first.")
    async def webhooks(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[WebhookType]:
        viewer = await info.context.require_user()
        query = Webhook.all() if viewer.role == Role.ADMIN else Webhook.filter(owner_id=viewer.id)
        return await paginate(
            query, first=first, after=after, time_field="created_at", convert=WebhookType.from_model
        )

    @strawberry.field(description="Deliveries of one webhook, newest first, each with its attempts.")
    async def webhook_deliveries(
        self, info: Info, webhook_id: strawberry.ID, first: int | None = 20, after: str | None = None
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
