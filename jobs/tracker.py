"""The live state of one running job: stage, progress, heartbeat, logs, cancellation.

    tracker = RunTracker(resources, document, run)
    async with tracker.ticking():                      # heartbeat + cancel poll, every TICK seconds
        await tracker.stage(JobStage.EXTRACTING, 0.05, "extracting 12 pages")
        tracker.advance(0.4, page=4)                   # cheap; the ticker writes and publishes it

Every write is conditional on (document, run, status PROCESSING, not
cancel_requested), so one query per tick is both the heartbeat and the cancel
poll: when it changes no row the run was cancelled or superseded, and the
ticker cancels the job's task (it is awaiting a chunk, a provider or storage,
so it stops within a tick). `stop_reason` then says why.

Progress never decreases within a run: the publisher clamps it, and the
database gets the publisher's value.

Inside `ticking()`, log lines are written behind the job (jobs/run_log.py),
all of them before `ticking()` exits; outside it, `log()` writes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from docat.resources import Resources
from jobs.progress import ProgressPublisher
from jobs.run_log import RunLog
from models import Document, JobStage, JobStatus, LogLevel, ProcessingLog

logger = logging.getLogger(__name__)

# Heartbeat (the row's heartbeat_at), cancel poll and progress report this often. The report
# is published only when a client would see something new (jobs/progress.py, "Repeats"), so a
# change goes out within half a second and an unchanged state is not sent again every tick.
TICK = 0.5


class RunGone(Exception):
    """The run was cancelled or superseded while the job was between two writes."""


class RunTracker:
    def __init__(self, resources: Resources, document: Document, run: int) -> None:
        self.resources = resources
        self.document = document
        self.run = run
        self.publisher = ProgressPublisher(
            resources.bus, document.id, document.owner_id, run=run, attempt=document.attempts + 1
        )
        self.current_stage = JobStage.ANALYZING
        self.page: int | None = None
        self.page_count: int | None = document.page_count
        self.message: str | None = None
        # Set by the ticker before it cancels the job's task: "cancelled" or "superseded".
        self.stop_reason: str | None = None
        self._target = 0.0
        self._run_log: RunLog | None = None
        # (stage, progress) as the row holds them: `document` is the row the job just claimed.
        self._stored = (document.stage, document.progress)

    @property
    def progress(self) -> float:
        return self.publisher.progress_value

    def _mine(self) -> Any:
        return Document.filter(
            id=self.document.id, run=self.run, status=JobStatus.PROCESSING, cancel_requested=False
        )

    async def _write(self, **values: Any) -> bool:
        now = datetime.now(UTC)
        progress = self.progress
        changed = await self._mine().update(heartbeat_at=now, progress=progress, **values)
        if changed:
            self._stored = (values.get("stage", self._stored[0]), progress)
        return bool(changed)

    def seed(self, progress: float) -> None:
        """Start from the progress an earlier try of this run already reported (monotonic).
        Nothing is published: the job's first `stage()` announces PROCESSING from there."""
        self._target = max(self._target, progress)
        self.publisher.raise_floor(progress)

    async def stage(self, stage: JobStage, progress: float, message: str | None = None) -> None:
        """Enter `stage`: published and written together (unless the row says so already),
        then logged."""
        self.current_stage = stage
        self.message = message
        self._target = max(self._target, progress)
        self.publisher.raise_floor(self._target)  # what both the event and the row say
        event = self.publisher.progress(
            JobStatus.PROCESSING,
            stage,
            self._target,
            page=self.page,
            page_count=self.page_count,
            message=message,
        )
        if (stage, self.progress) == self._stored:
            # The row says so already (the claim wrote ANALYZING): nothing to write, and the
            # ticker's next beat is the heartbeat and the cancel poll.
            await event
        else:
            # Redis and the database answer in parallel.
            _, mine = await asyncio.gather(event, self._write(stage=stage))
            if not mine:
                raise RunGone(f"document {self.document.id} run {self.run} is no longer processing")
        if message:
            await self.log(message)

    def advance(self, progress: float, *, page: int | None = None, message: str | None = None) -> None:
        """Note progress inside a stage; the ticker writes and publishes it."""
        self._target = max(self._target, min(progress, 1.0))
        if page is not None:
            self.page = page
        if message is not None:
            self.message = message

    async def publish_now(self) -> None:
        await self.publisher.progress(
            JobStatus.PROCESSING,
            self.current_stage,
            self._target,
            page=self.page,
            page_count=self.page_count,
            message=self.message,
        )

    async def log(self, message: str, level: LogLevel = LogLevel.INFO, stage: JobStage | None = None) -> None:
        if self._run_log is not None:
            self._run_log.add(level, stage or self.current_stage, message)
            return
        await ProcessingLog.create(
            document_id=self.document.id, level=level, stage=stage or self.current_stage, message=message
        )

    async def beat(self) -> bool:
        """Heartbeat + progress; False when the run is no longer ours to continue."""
        await self.publish_now()
        return await self._write()

    async def _why_gone(self) -> str:
        row = await Document.filter(id=self.document.id).values("run", "status", "cancel_requested")
        if row and row[0]["run"] == self.run and row[0]["cancel_requested"]:
            return "cancelled"
        return "superseded"

    async def _tick(self, task: asyncio.Task[Any]) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                alive = await self.beat()
            except Exception as exc:  # the database is briefly away: the job's own writes will tell
                logger.warning("heartbeat of document %s failed: %s", self.document.id, exc)
                continue
            if not alive:
                self.stop_reason = await self._why_gone()
                logger.info("document %s run %d %s: stopping", self.document.id, self.run, self.stop_reason)
                task.cancel()
                return

    @contextlib.asynccontextmanager
    async def ticking(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        run_log = RunLog(self.document.id)
        ticker = asyncio.create_task(self._tick(task), name=f"docat-tick:{self.document.id}")
        try:
            async with run_log.writing():
                self._run_log = run_log
                try:
                    yield
                finally:
                    self._run_log = None
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
