"""The per-operation request budget: one hit before the document is even parsed.

One hit of the caller's request budget (`docat.rate_limits`), keyed by the
verified token's subject without a database read, so a flood of costly
documents is stopped by the rate limit before it costs anything to parse or
validate. A spent budget refuses the operation with RATE_LIMITED; a limiter
that fails lets it through (fail open, logged).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from docat import metrics
from docat.errors import DocatError, RateLimited
from graphql_api.hardening.parsing import refuse_before_validation

log = logging.getLogger("docat.graphql")


class RequestBudget(SchemaExtension):
    """One hit of the caller's request budget, before the document is even parsed."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            await _charge_budget(self.execution_context.context)
        except RateLimited as exc:
            metrics.record_error(exc.code)
            refuse_before_validation(self.execution_context, GraphQLError(exc.message, original_error=exc))
        yield


async def _charge_budget(context: Any) -> None:
    resources = getattr(context, "resources", None)
    if resources is None:  # a context without the service's resources (a bare schema in a test)
        return
    try:
        await resources.rate_limiter.hit_request(context, _budget_subject(context))
    except RateLimited:
        raise
    except Exception:
        # The limiter's store (Redis) failing must not take the API down with it, nor
        # reach the client (errors raised here skip ErrorCodes): fail open, loudly.
        log.warning("request budget unavailable; operation allowed", exc_info=True)


def _budget_subject(context: Any) -> str | None:
    """Whose budget an operation spends: the user a verified token names, else None (the address).

    No database read: the signature proves who the token was issued to, and an
    operation that needs the account loads it (and refuses a deactivated one)
    in its resolvers. The token version is part of the key, so a token revoked
    by a password change cannot spend the budget of the user's current tokens.
    """
    if getattr(context, "viewer_loaded", False):
        viewer = context.viewer
        return f"{viewer.id}:v{viewer.token_version}" if viewer is not None else None
    token_claims = getattr(context, "token_claims", None)
    if token_claims is None:
        return None
    try:
        claims = token_claims()
    except DocatError:
        # A bad token: the resolvers answer UNAUTHENTICATED; count it by address.
        return None
    return f"{claims.user_id}:v{claims.token_version}" if claims is not None else None
