"""The typed per-request context every resolver reads as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from docat.errors import Forbidden, Unauthenticated
from docat.resources import Resources
from docat.security import TokenClaims
from docat.settings import Settings
from models import Role, User

if TYPE_CHECKING:
    from strawberry.types import Info as _Info

    from graphql_api.socket_rights import SocketRights


@dataclass
class Context:
    request: Request | WebSocket
    resources: Resources
    # Set by the WebSocket transports from the connection_init payload.
    connection_params: dict[str, Any] | None = None
    # The authenticated user, resolved at most once per request.
    viewer: User | None = None
    viewer_loaded: bool = False
    # One DataLoader per kind per request, created on first use.
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    # The bearer token's verified claims, decoded at most once per request.
    claims: TokenClaims | None = field(default=None, init=False, repr=False)
    claims_decoded: bool = field(default=False, init=False, repr=False)
    # A WebSocket's standing once connection_init was accepted: the context lives as long as
    # the socket, so the viewer above is refreshed per operation and checked against this.
    socket: SocketRights | None = field(default=None, init=False, repr=False)

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def client_address(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"

    def loader(self, name: str, factory: Any) -> DataLoader[Any, Any]:
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]

    def token_claims(self) -> TokenClaims | None:
        """The bearer token's verified claims: None without a token, Unauthenticated if it is bad.

        Pure CPU (signature and expiry): who the token names, not whether that
        account still works. `user()` reads the account for that.
        """
        if not self.claims_decoded:
            # Late: graphql_api.auth imports this module (an import cycle at load time).
            from graphql_api.auth import request_token, verified_claims

            token = request_token(self)
            self.claims = verified_claims(self.settings.signing_key, token) if token is not None else None
            self.claims_decoded = True
        return self.claims

    async def user(self) -> User | None:
        if self.socket is not None and (reason := self.socket.denial()) is not None:
            # The socket lost its rights (it is being closed): nothing more runs on them.
            raise Unauthenticated(reason)
        if not self.viewer_loaded:
            # Late, as above.
            from graphql_api.auth import authenticate

            self.viewer = await authenticate(self)
            self.viewer_loaded = True
        return self.viewer

    async def require_user(self) -> User:
        user = await self.user()
        if user is None:
            raise Unauthenticated("authentication required: send Authorization: Bearer <accessToken>")
        return user

    async def require_admin(self) -> User:
        user = await self.require_user()
        if user.role != Role.ADMIN:
            raise Forbidden("this operation needs the ADMIN role")
        return user


if TYPE_CHECKING:
    Info = _Info[Context, None]
else:
    from strawberry.types import Info as _RuntimeInfo

    Info = _RuntimeInfo
