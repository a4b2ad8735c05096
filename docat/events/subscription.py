"""One subscriber's bounded queue (`Subscription`): what a full queue may drop.

See "Classification" in the package docstring (docat/events/__init__.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from docat.events.channels import _resync_marker

# ---- one subscriber's bounded queue ----------------------------------------------------------


class Subscription:
    """Events of one or more channels for one consumer, in arrival order, never more than maxsize.

    Iterate with ``async for``; the iteration ends when the bus closes.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 2:
            # Overflow collapses to [resync, newest]: two slots are the minimum.
            raise ValueError("maxsize must be at least 2")
        self.maxsize = maxsize
        #: Events this consumer lost to a full queue (intermediate ones, or collapsed on overflow).
        self.dropped = 0
        # Two queues ordered by a shared sequence number, so dropping the oldest intermediate
        # event is O(1) however many sticky events sit in front of it.
        self._sticky: deque[tuple[int, dict[str, Any]]] = deque()
        self._intermediate: deque[tuple[int, dict[str, Any]]] = deque()
        self._seq = 0
        self._wakeup = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._sticky) + len(self._intermediate)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not len(self):
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._pop()

    def _pop(self) -> dict[str, Any]:
        if not self._intermediate or (self._sticky and self._sticky[0][0] < self._intermediate[0][0]):
            return self._sticky.popleft()[1]
        return self._intermediate.popleft()[1]

    def _offer(self, event: dict[str, Any], sticky: bool) -> None:
        if self._closed:
            return
        if len(self) >= self.maxsize:
            if self._intermediate:
                self._intermediate.popleft()
                self.dropped += 1
            elif not sticky:
                self.dropped += 1
                return
            else:
                # Full of events we promised not to drop: the consumer has been stuck for long.
                # Rather than grow, ask it to re-read everything; keep the newest event (maybe
                # the terminal one) so a plain reader still sees it.
                self.dropped += len(self._sticky)
                self._sticky.clear()
                self._push(_resync_marker("overflow"), sticky=True)
        self._push(event, sticky)

    def _push(self, event: dict[str, Any], sticky: bool) -> None:
        self._seq += 1
        (self._sticky if sticky else self._intermediate).append((self._seq, event))
        self._wakeup.set()

    def _close(self) -> None:
        self._closed = True
        self._wakeup.set()
