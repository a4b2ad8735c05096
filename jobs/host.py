"""The job host: the one place that wires a process of the service for jobs.

    async with open_host(settings, migrate=True) as resources:     # the API lifespan
    async with open_host(settings, run_jobs=False) as resources:   # docat worker, benchmarks

It opens the shared Resources (docat/resources.py) with the PDF process pool
(jobs/process_pool.py, started on first use), and when this process runs jobs
itself, which is embedded mode (no REDIS_URL: the queue is in-process), starts
the queue with JOB_FUNCTIONS and the sweeps every job-running process keeps:
recovery of runs a crash left behind (jobs/recovery.py) and re-delivery of due
webhooks (jobs/webhooks_sweep.py). `docat worker` (jobs/worker.py) hands the
same functions to arq and starts the same sweeps with `job_sweeps`.

Keeping this out of docat/ is what lets docat/ stay the shared base that
imports nothing from jobs/ (import-linter checks it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from docat.queue import JOB_FUNCTION, InProcessQueue, Job
from docat.resources import Resources, open_resources
from docat.settings import Settings
from jobs.documents import process_document
from jobs.process_pool import PdfPool
from jobs.recovery import start_recovery
from jobs.webhooks_delivery import DELIVER_WEBHOOK, deliver_webhook
from jobs.webhooks_sweep import start_webhook_sweep

# What a queue runs, by the name it is enqueued under (arq's and the in-process queue's alike).
JOB_FUNCTIONS: Mapping[str, Job] = {
    JOB_FUNCTION: process_document,
    DELIVER_WEBHOOK: deliver_webhook,
}


@asynccontextmanager
async def job_sweeps(resources: Resources) -> AsyncIterator[None]:
    """The periodic work of every process that runs jobs, stopped on exit."""
    async with start_recovery(resources), start_webhook_sweep(resources):
        yield


@asynccontextmanager
async def open_host(
    settings: Settings, *, migrate: bool = False, run_jobs: bool = True
) -> AsyncIterator[Resources]:
    """Resources for a process of the service; with `run_jobs`, an in-process queue runs jobs.

    `run_jobs=False` is for processes whose jobs run elsewhere or not at all: the arq worker
    (arq runs its jobs), the benchmarks. With Redis the queue only enqueues anyway.
    """
    async with AsyncExitStack() as stack:
        resources = await stack.enter_async_context(
            open_resources(settings, pdf_pool=PdfPool(settings), migrate=migrate)
        )
        if run_jobs and isinstance(resources.queue, InProcessQueue):
            resources.queue.start({"resources": resources}, JOB_FUNCTIONS)
            await stack.enter_async_context(job_sweeps(resources))
        yield resources
