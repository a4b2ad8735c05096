"""A minimal GraphQL-over-WebSocket client for protocol-level tests (both subprotocols).

The acceptance tests use real third-party clients (gql, the npm graphql-ws); this one exists to
look at the wire: close codes, `connection_error`, server pings, a client that stops reading.

    async with WSClient(url, payload={"Authorization": f"Bearer {token}"}) as ws:
        async for message in ws.subscribe(QUERY, {"documentId": id}):   # next/data payloads
            ...
Every receive is bounded by `WAIT`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
WAIT = 20.0


class SubscriptionError(Exception):
    """The server answered the operation with `error` (payload: the GraphQL errors)."""

    def __init__(self, errors: Any) -> None:
        super().__init__(errors)
        self.errors = errors if isinstance(errors, list) else [errors]

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]


class WSClient:
    def __init__(
        self,
        url: str,
        payload: dict[str, Any] | None = None,
        *,
        protocol: str = TRANSPORT_WS,
        headers: dict[str, str] | None = None,
        send_init: bool = True,
        **connect_kwargs: Any,
    ) -> None:
        self.url = url
        self.payload = payload
        self.protocol = protocol
        self.headers = headers
        self.send_init = send_init
        self.connect_kwargs = connect_kwargs
        self.ws: ClientConnection | None = None
        self.ack: dict[str, Any] | None = None
        self.pings = 0
        self._ids = itertools.count(1)

    async def __aenter__(self) -> WSClient:
        self.ws = await connect(
            self.url,
            subprotocols=[self.protocol],  # type: ignore[list-item]
            additional_headers=self.headers,
            compression=None,
            open_timeout=WAIT,
            **self.connect_kwargs,
        )
        if self.send_init:
            message: dict[str, Any] = {"type": "connection_init"}
            if self.payload is not None:
                message["payload"] = self.payload
            await self.send(message)
            self.ack = await self.receive()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.ws is not None
        await self.ws.close()

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def receive(self, within: float = WAIT, *, keepalive: bool = False) -> dict[str, Any]:
        """The next message. Server pings are answered and counted, and legacy "ka" too; both
        are skipped unless `keepalive`."""
        assert self.ws is not None
        # One deadline for the whole wait: frequent pings must not keep it alive forever.
        async with asyncio.timeout(within):
            return await self._receive(keepalive)

    async def _receive(self, keepalive: bool) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("type") in ("ping", "ka"):
                self.pings += 1
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                if not keepalive:
                    continue
            return dict(message)

    async def start(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = str(next(self._ids))
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": operation_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )
        return operation_id

    async def stop(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete" if self.protocol == TRANSPORT_WS else "stop"})

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, within: float = WAIT
    ) -> AsyncIterator[dict[str, Any]]:
        """The `data` of each result until the server completes the operation."""
        operation_id = await self.start(query, variables)
        while True:
            message = await self.receive(within)
            if message.get("id") != operation_id:
                continue
            kind = message["type"]
            if kind in ("next", "data"):
                payload = message["payload"]
                if payload.get("errors"):
                    raise SubscriptionError(payload["errors"])
                yield payload["data"]
            elif kind == "error":
                raise SubscriptionError(message["payload"])
            elif kind == "complete":
                return

    async def until_closed(self, within: float = WAIT) -> list[dict[str, Any]]:
        """Every message the server sends until it closes the socket (pings answered, not kept);
        then `close_code` and `close_reason` tell how it closed."""
        assert self.ws is not None
        messages: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(within):
                while True:
                    message = await self._receive(keepalive=False)
                    messages.append(message)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(self.ws.wait_closed(), within)
        return messages

    @property
    def close_reason(self) -> str | None:
        assert self.ws is not None
        return self.ws.close_reason

    async def close_code(self, within: float = WAIT) -> int | None:
        """Wait for the server to close the socket; its close code."""
        assert self.ws is not None
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), within)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(self.ws.wait_closed(), within)
        return self.ws.close_code
