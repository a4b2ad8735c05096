"""An arq worker that starts a new job when it is queued, not at its next poll.

    worker = WakingWorker(**worker_settings(settings))     # arq's Worker, the same arguments
    await notify_workers(redis, queue_name)                # docat/queue/arq_queue.py, after each enqueue

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

Redis outages. arq lets a connection error of its poll out of `main`, and its
`run()` then closes the worker: a one-second Redis restart used to end every
idle worker. Here a poll that cannot reach Redis is retried after a capped,
jittered exponential backoff (`OUTAGE_DELAYS`), for as long as the outage
lasts; redis-py reconnects on the next command. arq's own bookkeeping around a
job gets the same treatment: a job slot taken just before the connection
dropped is given back, the end of a job (`finish_job`) is written once Redis is
back, and a job whose start could not be read is released for the next poll.
The job itself, meanwhile, goes on: its PostgreSQL writes do not need Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from arq.connections import create_pool, log_redis_info
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from docat.queue import wake_channel

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

# Silence on the wake channel before it is PINGed; no answer by the next check: reconnect.
# A half-open connection never errors on read, and would quietly leave only the poll.
PING_AFTER_SECONDS = 30.0
# First and largest delay between reconnection attempts (doubling).
RECONNECT_DELAYS = (0.5, 10.0)
# A poll (or arq's bookkeeping) that cannot reach Redis: first and largest delay before the
# next try, doubling, each with up to 50% jitter so a fleet does not reconnect in step.
OUTAGE_DELAYS = (0.25, 5.0)
# A poll that takes longer than this is treated as a lost connection (a frozen Redis answers
# nothing and never errors: arq sets no socket timeout).
POLL_TIMEOUT_SECONDS = 15.0
# What a lost or refused Redis connection raises (redis-py's, the socket's, a timeout).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    TimeoutError,
)


class Backoff:
    """Capped exponential delays with jitter: 0.25, 0.5, 1, 2, 4, 5, 5, ... seconds (+0..50%)."""

    def __init__(self, first: float = OUTAGE_DELAYS[0], cap: float = OUTAGE_DELAYS[1]) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        base = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return base * (1 + random.random() / 2)

    def reset(self) -> None:
        self.failures = 0


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
        outage = Backoff()
        try:
            while True:
                # Cleared before the poll: a message arriving during it makes the next wait
                # return at once, so no job queued meanwhile waits for the fallback poll.
                self._wake.clear()
                try:
                    async with asyncio.timeout(POLL_TIMEOUT_SECONDS):
                        await self._poll_iteration()
                    if self.burst and await self._burst_done():
                        return
                except CONNECTION_ERRORS as exc:
                    delay = outage.next_delay()
                    # Every try while it is short, then every tenth: the log must not flood.
                    if outage.failures <= 5 or outage.failures % 10 == 0:
                        logger.warning(
                            "worker cannot reach Redis (%r, %d tries); polling again in %.1f s",
                            exc,
                            outage.failures,
                            delay,
                        )
                    await asyncio.sleep(delay)
                    continue
                if outage.failures:
                    logger.warning("worker reached Redis again after %d failed polls", outage.failures)
                    outage.reset()
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

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # arq's start_jobs, one id at a time: arq takes a slot (semaphore and counter) before
        # its Redis round trips and never gives it back when one of them raises, so every
        # connection error during a start would cost the worker one job slot for good.
        for raw_id in job_ids:
            if self.job_counter >= self.max_jobs:
                return  # full; a job's end wakes the loop (`_release_sem_dec_counter_on_complete`)
            counted = self.job_counter
            try:
                await super().start_jobs([raw_id])
            except BaseException:
                if self.job_counter > counted and raw_id.decode() not in self.tasks:
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def run_job(self, job_id: str, score: int) -> None:
        try:
            await super().run_job(job_id, score)
        except CONNECTION_ERRORS as exc:
            # Raised by arq's own reads before the job function ran (its end is retried in
            # `finish_job`): give the job back by dropping its in-progress key, so the next
            # poll, here or elsewhere, starts it once Redis answers again.
            logger.warning(
                "job %s not started, Redis unreachable (%r); released for a later poll", job_id, exc
            )
            await self._until_redis_answers(
                lambda: self.pool.delete(in_progress_key_prefix + job_id), f"releasing job {job_id}"
            )

    async def finish_job(self, *args: Any, **kwargs: Any) -> None:
        # The job ran; its end (result, queue entry, in-progress key) is written once Redis is
        # back, however long that takes. The writes are idempotent, so a retry after an EXEC
        # whose answer was lost changes nothing.
        await self._until_redis_answers(
            lambda: super(WakingWorker, self).finish_job(*args, **kwargs), "finishing a job"
        )

    async def finish_failed_job(self, job_id: str, result_data: bytes | None) -> None:
        await self._until_redis_answers(
            lambda: super(WakingWorker, self).finish_failed_job(job_id, result_data), f"failing job {job_id}"
        )

    async def _until_redis_answers(self, write: Callable[[], Awaitable[Any]], what: str) -> None:
        backoff = Backoff()
        while True:
            try:
                await write()
                return
            except CONNECTION_ERRORS as exc:
                delay = backoff.next_delay()
                if backoff.failures <= 3 or backoff.failures % 10 == 0:
                    logger.warning("%s: Redis unreachable (%r); again in %.1f s", what, exc, delay)
                await asyncio.sleep(delay)

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
