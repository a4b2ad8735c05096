"""The PDF process pool: PyMuPDF work off the event loop, in other processes.

    pool = PdfPool(settings)                      # nothing starts yet
    pages = await pool.run(extract_pages, path, None, [1, 2, 3], options, profile)
    await pool.close()

PyMuPDF is not thread-safe and its calls hold the GIL for their whole
duration, so CPU work goes to processes, never threads. The pool is created
on first use: an API process that never runs a job (production, where the
workers do) never pays for it.

Processes are started with "forkserver": the API and the worker have
threads (the metrics server, asyncpg, aioboto3), and forking a threaded
process can copy a held lock into the child. The fork server preloads the
pipeline once, so each new child starts warm. Children are replaced after
`MAX_TASKS_PER_CHILD` chunks, which bounds whatever MuPDF's allocator keeps.
Each child keeps the last PDF it opened open for the next chunk of the same
file (`jobs.pdf.kept_document`): a job's chunks do not reopen a large file.

Each child dies with its owner (docat/parent_death.py): a parent-death signal
on Linux and a watchdog on the parent and owner pids, so a SIGKILLed worker
leaves no pool process OCRing a dead job. The fork server exits by itself when
its owner's end of its pipe closes, and the resource tracker once every holder
of its pipe (the owner, the server, the children) is gone.

A child that dies (OOM killer, a MuPDF crash) breaks a ProcessPoolExecutor for
good; `run` then replaces the executor and raises `PoolBroken`, a transient
error the job retries.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from docat.parent_death import die_with
from docat.settings import Settings
from jobs.pdf.kept_document import keep_documents_open

T = TypeVar("T")

MAX_TASKS_PER_CHILD = 200
# Imported once in the fork server so every child starts with them loaded.
PRELOAD = ["jobs.pdf.extract", "jobs.pdf.profile", "jobs.pdf.translate_render", "jobs.analyze_in_pool"]


def _start_child(owner: int) -> None:
    """Runs first in each pool process: die with `owner` (the process that made the pool),
    and keep the last PDF open."""
    die_with(owner)
    keep_documents_open()


class PoolBroken(RuntimeError):
    """A pool process died; the executor was replaced and the work may be retried."""


def pool_size(settings: Settings) -> int:
    return settings.pdf_processes or os.cpu_count() or 1


def make_executor(processes: int) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor on a preloaded fork server (also used by `docat process`)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        max_tasks_per_child=MAX_TASKS_PER_CHILD,
        initializer=_start_child,
        initargs=(os.getpid(),),
    )


class PdfPool:
    """One lazily started process pool per process, shared by every job it runs."""

    def __init__(self, settings: Settings) -> None:
        self.workers = pool_size(settings)
        self._executor: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = make_executor(self.workers)
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a pool process. Cancelling the caller cancels the call if it has
        not started yet; a call already running finishes in its process and is discarded."""
        executor = self.executor()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, functools.partial(fn, *args))
        except BrokenProcessPool as exc:
            self._replace(executor)
            raise PoolBroken(f"a PDF process died: {exc}") from exc

    async def warm(self) -> None:
        """Start every process now (a worker at start-up), so the first job does not wait
        for the fork server to load PyMuPDF."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.workers)))

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        # Several jobs may see the same broken executor; replace it only once.
        if self._executor is broken:
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # Queued chunks are dropped; running ones finish (MuPDF calls cannot be interrupted).
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
