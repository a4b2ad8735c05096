"""Who may see and change a webhook: its owner, and (to see it) an ADMIN."""

from __future__ import annotations

import uuid

from docat.errors import NotFound
from graphql_api.relay import expect_global_id
from models import Role, User, Webhook


async def get_webhook(viewer: User, global_id: str, *, to_change: bool = False) -> Webhook:
    """Someone else's webhook answers exactly like a missing one; admins may read, not change, it."""
    try:
        key = uuid.UUID(expect_global_id(global_id, "Webhook"))
    except ValueError as exc:
        raise NotFound("Webhook not found") from exc
    query = Webhook.filter(id=key)
    if to_change or viewer.role != Role.ADMIN:
        query = query.filter(owner_id=viewer.id)
    row = await query.first()
    if row is None:
        raise NotFound("Webhook not found")
    return row
