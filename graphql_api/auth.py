"""Who is calling: the bearer token of an HTTP request or a WebSocket's connection_init."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from docat.errors import Unauthenticated
from docat.security import TokenClaims, decode_token
from models import Role, User

if TYPE_CHECKING:
    from graphql_api.context import Context

# last_active_at is written at most this often per user, not on every request.
_ACTIVITY_RESOLUTION = timedelta(minutes=1)

# Why a token or a socket is refused. Each is the first clause of the Unauthenticated message
# and, on a WebSocket, the close frame's reason (clients may key on them: keep them stable).
MISSING_TOKEN = "missing access token"
INVALID_TOKEN = "invalid access token"
TOKEN_EXPIRED = "access token expired"
TOKEN_REVOKED = "access token revoked"  # the password changed, or an admin reset it
ACCOUNT_DISABLED = "account disabled"
ACCOUNT_DELETED = "account deleted"
ROLE_CHANGED = "role changed"  # an open socket's account lost a role it had when it connected

_ROLE_RANK = {Role.USER: 0, Role.ADMIN: 1}


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


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> TokenClaims:
    # Only tokens that verified are kept (lru_cache keeps no exception); the claims
    # of a given token string never change, so its signature is checked once.
    return decode_token(secret, token)


def verified_claims(secret: str, token: str) -> TokenClaims:
    """decode_token's answer, remembered for recent tokens: a token is verified once, not per request.

    Expiry is checked again on every use. Whether the account still works
    (deactivated, password changed) is not a claim: user_for_claims reads it.
    """
    claims = _verified(secret, token)
    if claims.expires_at <= datetime.now(UTC):
        raise Unauthenticated(f"{TOKEN_EXPIRED}; log in again")
    return claims


def account_denial(claims: TokenClaims, user: User | None, granted_role: Role | None = None) -> str | None:
    """Why `user` (read now) no longer honours `claims`, or None while it does.

    granted_role: the role an open socket was granted; holding less now is a denial (more is not).
    """
    if user is None:
        return ACCOUNT_DELETED
    if not user.is_active:
        return ACCOUNT_DISABLED
    # A token from before a password change (or an admin's reset) stops working at once.
    if user.token_version != claims.token_version:
        return TOKEN_REVOKED
    if granted_role is not None and _ROLE_RANK[Role(user.role)] < _ROLE_RANK[granted_role]:
        return ROLE_CHANGED
    return None


async def user_for_claims(claims: TokenClaims) -> User:
    """The account a verified token names, read now: the token alone does not say it still works."""
    user = await User.get_or_none(id=claims.user_id)
    denial = account_denial(claims, user)
    if denial is not None:
        raise Unauthenticated(f"{denial}; log in again")
    assert user is not None
    return user


async def user_for_token(secret: str, token: str) -> User:
    return await user_for_claims(verified_claims(secret, token))


async def authenticate(context: Context) -> User | None:
    """None when no token was sent; Unauthenticated when one was sent and is bad."""
    claims = context.token_claims()
    if claims is None:
        return None
    user = await user_for_claims(claims)
    now = datetime.now(UTC)
    if user.last_active_at is None or now - user.last_active_at > _ACTIVITY_RESOLUTION:
        user.last_active_at = now
        await User.filter(id=user.id).update(last_active_at=now)
    return user
