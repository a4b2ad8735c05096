"""An arq worker that starts a new job when it is queued, not at its next poll.

    worker = WakingWorker(**worker_settings(settings))     # arq's Worker, the same arguments
    await notify_workers(redis, queue_name)                # docat/queue.py, after each enqueue

arq 0.28 looks for jobs by polling its queue (a sorted set) every `poll_delay`
seconds, so a job queued just after a poll waits for the next one: on average
half the delay, and most of a 1-page document's overhead. `ArqQueue` therefore
publishes a message on `wake_channel(queue)` after every enqueue, and this
worker listens on that channel: between two polls it waits for a message or
`poll_delay`, whichever comes first. The end of a job wakes it too, so a
worker that was full takes the next queued job at once.

arq stays the queue: the message carries nothing, and a worker that hears it
only polls early. Several workers hear it and race for the job as they would
at a poll (arq's WATCH on the in-progress key lets exactly one take it). Were
the message lost (the pub/sub connection is down: it reconnects with backoff),
the poll still finds the job within `poll_delay`, which remains the fallback
for deferred jobs (retries, cron) as well.

`WakingWorker.main` is arq 0.28's `Worker.main` with its fixed `poll()` sleep
replaced by that wait; everything else is arq's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from arq.connections import create_pool, log_redis_info
from arq.worker import Worker
from redis.exceptions import RedisError

from docat.queue import wake_channel

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

# Silence on the wake channel before it is PINGed; no answer by the next check: reconnect.
# A half-open connection never errors on read, and would quietly leave only the poll.
PING_AFTER_SECONDS = 30.0
# First and largest delay between reconnection attempts (doubling).
RECONNECT_DELAYS = (0.5, 10.0)


class WakingWorker(Worker):
    """arq's Worker, woken between polls by a message on the queue's wake channel."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake = asyncio.Event()
        #: Times the wake channel was (re)subscribed; tests wait for the first.
        self.wake_subscriptions = 0

    async def main(self) -> None:
        # arq 0.28's Worker.main up to the loop, which waits on `_wake` instead of sleeping.
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        logger.info("Starting worker for %d functions: %s", len(self.functions), ", ".join(self.functions))
        await log_redis_info(self.pool, logger.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)

        listener = asyncio.create_task(self._listen(), name="docat-worker-wake")
        try:
            while True:
                # Cleared before the poll: a message arriving during it makes the next wait
                # return at once, so no job queued meanwhile waits for the fallback poll.
                self._wake.clear()
                await self._poll_iteration()
                if self.burst and await self._burst_done():
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_delay_s):
                        await self._wake.wait()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _burst_done(self) -> bool:
        # arq 0.28's burst-mode exit, unchanged.
        if 0 <= self.max_burst_jobs <= self._jobs_started() or await self.pool.zcard(self.queue_name) == 0:
            await asyncio.gather(*self.tasks.values())
            return True
        return False

    def _release_sem_dec_counter_on_complete(self) -> None:
        # A job ended (arq's done-callback): a slot is free, so look at the queue now.
        super()._release_sem_dec_counter_on_complete()
        self._wake.set()

    async def _listen(self) -> None:
        """Set `_wake` on every message of the wake channel, for as long as the worker runs."""
        channel = wake_channel(self.queue_name)
        delay = RECONNECT_DELAYS[0]
        while True:
            pubsub = self.pool.pubsub()
            try:
                await pubsub.subscribe(channel)
                self.wake_subscriptions += 1
                # Jobs queued while nobody listened are already due: poll now.
                self._wake.set()
                delay = RECONNECT_DELAYS[0]
                await self._read(pubsub)
            except (RedisError, OSError, TimeoutError) as exc:
                logger.warning(
                    "worker wake-ups on %s interrupted (%r); polling every %.2f s, retrying in %.1f s",
                    channel,
                    exc,
                    self.poll_delay_s,
                    delay,
                )
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_DELAYS[1])

    async def _read(self, pubsub: PubSub) -> None:
        ping_sent = False
        while True:
            message = await pubsub.get_message(timeout=PING_AFTER_SECONDS)
            if message is not None:
                ping_sent = False
                if message["type"] == "message":
                    self._wake.set()
            elif ping_sent:
                raise TimeoutError(f"no answer to PING for {PING_AFTER_SECONDS:.0f} s")
            else:
                await pubsub.ping()
                ping_sent = True
