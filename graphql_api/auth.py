"""Who is calling: the bearer token of an HTTP request or a WebSocket's connection_init."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from docat.errors import Unauthenticated
from docat.security import decode_token
from models import User

if TYPE_CHECKING:
    from graphql_api.context import Context

# last_active_at is written at most this often per user, not on every request.
_ACTIVITY_RESOLUTION = timedelta(minutes=1)


def _bearer(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if not token:
        # A bare token (the `token` key of connection_init) is accepted as is.
        return scheme
    return None


def token_from_params(params: dict[str, Any] | None) -> str | None:
    """The contract's connection_init forms: Authorization, authorization or a bare token."""
    if not isinstance(params, dict):
        return None
    for key in ("Authorization", "authorization"):
        if key in params:
            return _bearer(params[key])
    headers = params.get("headers")
    if isinstance(headers, dict):
        nested = token_from_params(headers)
        if nested:
            return nested
    token = params.get("token")
    return token.strip() if isinstance(token, str) and token.strip() else None


def request_token(context: Context) -> str | None:
    token = token_from_params(context.connection_params)
    if token:
        return token
    header = context.request.headers.get("authorization")
    return _bearer(header) if header else None


async def user_for_token(secret: str, token: str) -> User:
    claims = decode_token(secret, token)
    user = await User.get_or_none(id=claims.user_id)
    # A deactivated user, or a token from before a password change, stops working at once.
    if user is None or not user.is_active or user.token_version != claims.token_version:
        raise Unauthenticated("invalid access token")
    return user


async def authenticate(context: Context) -> User | None:
    """None when no token was sent; Unauthenticated when one was sent and is bad."""
    token = request_token(context)
    if token is None:
        return None
    user = await user_for_token(context.settings.signing_key, token)
    now = datetime.now(UTC)
    if user.last_active_at is None or now - user.last_active_at > _ACTIVITY_RESOLUTION:
        user.last_active_at = now
        await User.filter(id=user.id).update(last_active_at=now)
    return user
