"""What an open WebSocket may still do: its account's rights, kept current while it stays open.

A socket authenticates once, at connection_init, but its account can be demoted, deactivated,
deleted or have its password changed (token version bumped) afterwards, and its token expires.
So every socket holds a `SocketRights`:

  * every operation started on the socket re-reads the account first (like an HTTP request);
  * before each message goes out (a subscription's events included) `denial()` is consulted:
    no I/O, just a flag and the token's expiry;
  * the flag is set, and the socket closed with 4403 and a reason, by the process's
    `SocketWatch` when an account's rights change, and by a timer when the token expires.

Rights change wherever they are written (graphql_api.users.mutations): `publish_rights_change`
puts the account's id on the event bus, so with Redis every API replica hears it; embedded,
the in-process bus carries it the same way. Each process's watch re-reads the named accounts
(one query, only for accounts it holds sockets of) and closes what lost its rights. A change
nobody announced (SQL by hand, the create-admin CLI) or an event lost while Redis was away is
caught by the watch's periodic sweep and its resync handling.

    watch = socket_watch(resources)     # one per process (per event bus)
    await watch.start()                 # before reading the account: no change slips between
    rights = watch.open(claims, user, close)
    rights.denial()                     # per outgoing message
    await rights.recheck()              # per operation: the account read now, or None
    rights.release()                    # on disconnect
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any

from docat.events import EventBus, EventBusUnavailable, account_rights_channel, is_resync
from docat.resources import Resources
from docat.security import TokenClaims
from graphql_api.auth import TOKEN_EXPIRED, account_denial
from models import Role, User

logger = logging.getLogger(__name__)

# Account changes are rare; a burst beyond this collapses into a resync (a full sweep).
_QUEUE_SIZE = 1024
# Accounts read per query by a sweep (a bounded IN list).
_SWEEP_BATCH = 500
# How long a change is remembered for sockets still connecting: one whose account was read just
# before the change committed is registered just after the event went by.
_RECENT_SECONDS = 10.0

CloseSocket = Callable[[str], Coroutine[Any, Any, None]]


async def publish_rights_change(bus: EventBus, user_id: uuid.UUID) -> None:
    """Tell every API process that `user_id`'s role, active state or token version changed.

    Publish after the change is committed: the receivers read the account from the database.
    Never raises: a lost event is caught by the watches' sweep a little later.
    """
    try:
        await bus.publish(account_rights_channel(), {"type": "account-rights", "userId": str(user_id)})
    except EventBusUnavailable:
        logger.warning("account %s: rights change not published; open sockets are re-checked soon", user_id)


class SocketRights:
    """One socket's standing: the claims it connected with, the role it was granted, whether it
    was revoked. Created by `SocketWatch.open`."""

    def __init__(self, watch: SocketWatch, claims: TokenClaims, user: User, close: CloseSocket) -> None:
        self.watch = watch
        self.claims = claims
        self.user_id = claims.user_id
        self.granted_role = Role(user.role)
        #: Why the socket was refused after connecting (its close reason), once it was.
        self.revoked: str | None = None
        self._close = close
        self._closing: asyncio.Task[None] | None = None
        loop = asyncio.get_running_loop()
        delay = (claims.expires_at - datetime.now(UTC)).total_seconds()
        self._expiry = loop.call_later(max(0.0, delay), self.revoke, TOKEN_EXPIRED)

    def denial(self) -> str | None:
        """Why nothing more may be sent to this socket, or None. No I/O: safe per event."""
        if self.revoked is None and self.claims.expires_at <= datetime.now(UTC):
            # The timer may not have fired yet (a busy loop): expiry is exact all the same.
            self.revoke(TOKEN_EXPIRED)
        return self.revoked

    def judge(self, user: User | None) -> str | None:
        """Apply the account as just read: revoke on a loss of rights, take a promotion in."""
        if self.revoked is None:
            reason = account_denial(self.claims, user, self.granted_role)
            if reason is not None:
                self.revoke(reason)
            elif user is not None:
                self.granted_role = Role(user.role)
        return self.denial()

    async def recheck(self) -> User | None:
        """The account read now when it still honours this socket; None once revoked."""
        if self.denial() is not None:
            return None
        user = await User.get_or_none(id=self.user_id)
        return user if self.judge(user) is None else None

    def revoke(self, reason: str) -> None:
        """Refuse everything from now on and close the socket (4403, `reason`) in the background."""
        if self.revoked is not None:
            return
        self.revoked = reason
        self.release()
        logger.info("closing a WebSocket of account %s: %s", self.user_id, reason)
        self._closing = asyncio.get_running_loop().create_task(self._close(reason))

    def release(self) -> None:
        """The socket is gone (or going): stop watching it."""
        self._expiry.cancel()
        self.watch.forget(self)


class SocketWatch:
    """The sockets one API process holds, by account, and the listener that revokes them."""

    #: Seconds between re-reads of every watched account (changes nobody announced).
    sweep_interval = 15.0

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._sockets: dict[uuid.UUID, set[SocketRights]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        # Accounts announced lately -> when (loop time), oldest first; see `open`.
        self._recent: dict[uuid.UUID, float] = {}
        self._sweeps: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._sockets.values())

    async def start(self) -> None:
        """Listen for rights changes (once per process); returns when the bus subscription is live."""
        if self._listener is None or self._listener.done():
            self._ready = asyncio.get_running_loop().create_future()
            self._listener = asyncio.create_task(self._listen(self._ready), name="docat-socket-rights")
        assert self._ready is not None
        try:
            await asyncio.shield(self._ready)
        except Exception as exc:
            # Not fatal: operations still re-read the account and tokens still expire.
            logger.warning("socket rights: not listening for account changes (%r)", exc)

    def open(self, claims: TokenClaims, user: User, close: CloseSocket) -> SocketRights:
        rights = SocketRights(self, claims, user, close)
        self._sockets.setdefault(rights.user_id, set()).add(rights)
        if rights.user_id in self._recent:
            # Changed while this socket was connecting: its account may have been read before.
            task = asyncio.create_task(self.sweep([rights.user_id]))
            self._sweeps.add(task)
            task.add_done_callback(self._sweeps.discard)
        return rights

    def _remember(self, user_ids: list[uuid.UUID]) -> None:
        now = asyncio.get_running_loop().time()
        while self._recent and next(iter(self._recent.values())) < now - _RECENT_SECONDS:
            del self._recent[next(iter(self._recent))]
        for user_id in user_ids:
            self._recent.pop(user_id, None)
            self._recent[user_id] = now

    def forget(self, rights: SocketRights) -> None:
        sockets = self._sockets.get(rights.user_id)
        if sockets is not None:
            sockets.discard(rights)
            if not sockets:
                del self._sockets[rights.user_id]

    async def _listen(self, ready: asyncio.Future[None]) -> None:
        try:
            async with self.bus.subscribe([account_rights_channel()], maxsize=_QUEUE_SIZE) as events:
                ready.set_result(None)
                while True:
                    try:
                        event = await asyncio.wait_for(anext(events), self.sweep_interval)
                    except TimeoutError:
                        await self.sweep(list(self._sockets))
                        continue
                    except StopAsyncIteration:
                        return  # the bus closed: the process is stopping
                    if is_resync(event):
                        # Changes may have been missed while Redis was away.
                        await self.sweep(list(self._sockets))
                    else:
                        self._remember(user_ids := _user_ids(event))
                        await self.sweep(user_ids)
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            else:
                logger.exception("socket rights: the listener stopped; it restarts with the next socket")

    async def sweep(self, user_ids: Iterable[uuid.UUID]) -> None:
        """Re-read the watched accounts among `user_ids` and judge their sockets."""
        watched = [user_id for user_id in user_ids if user_id in self._sockets]
        for start in range(0, len(watched), _SWEEP_BATCH):
            batch = watched[start : start + _SWEEP_BATCH]
            try:
                users = {user.id: user for user in await User.filter(id__in=batch)}
            except Exception as exc:
                # The database is away: the next sweep, or the next operation, tries again.
                logger.warning("socket rights: accounts not re-read (%r)", exc)
                return
            for user_id in batch:
                for rights in list(self._sockets.get(user_id, ())):
                    rights.judge(users.get(user_id))


def _user_ids(event: dict[str, Any]) -> list[uuid.UUID]:
    with contextlib.suppress(KeyError, ValueError, TypeError):
        return [uuid.UUID(str(event["userId"]))]
    return []


def socket_watch(resources: Resources) -> SocketWatch:
    """The watch of this process's event bus (a new one if the bus was swapped, as tests do)."""
    watch = resources.find(SocketWatch)
    if watch is None or watch.bus is not resources.bus:
        watch = SocketWatch(resources.bus)
        resources.provide(SocketWatch, watch)
    return watch
