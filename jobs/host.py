"""The job host: the one place that wires a process of the service for jobs.

    async with open_host(settings, migrate=True) as host:        # the API lifespan
        host.resources, host.local_heartbeats
    async with worker_host(settings, redis, runs) as resources:  # `docat worker` (jobs/worker.py)
    async with open_host(settings, run_jobs=False) as host:      # benchmarks, tools

Every process gets the shared Resources (docat/resources.py) with the PDF
process pool (jobs/process_pool.py, started on first use). What runs beside
the jobs depends on who runs them:

- embedded (no REDIS_URL, `open_host`): this process is the worker. The
  in-process queue is started with JOB_FUNCTIONS; the sweeps run (recovery
  of runs a crash left behind, jobs/recovery.py; re-delivery of due webhooks,
  jobs/webhooks_sweep.py); the worker heartbeat goes to an in-process store
  (/health reads it); retention runs hourly (jobs/retention.py).
- `docat worker` (`worker_host`): arq runs JOB_FUNCTIONS; the same sweeps
  run; heartbeat (with the runs it holds), queue depth and the metrics port
  (jobs/monitoring.py); the pool's processes start before the first job.
  Retention is an arq cron job there (jobs/worker.py), so one worker of the
  fleet runs each hourly sweep.
- a production API process (`open_host` with REDIS_URL): only enqueues.

Keeping this out of docat/ is what lets docat/ stay the shared base that
imports nothing from jobs/ (import-linter checks it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from docat.heartbeat import LocalHeartbeats, RunRegistry, heartbeating
from docat.queue import JOB_FUNCTION, InProcessQueue, Job
from docat.resources import Resources, open_resources
from docat.settings import Settings
from jobs.documents import process_document
from jobs.monitoring import worker_monitoring
from jobs.process_pool import PdfPool
from jobs.recovery import start_recovery
from jobs.retention import periodic_retention
from jobs.webhooks_delivery import DELIVER_WEBHOOK, deliver_webhook
from jobs.webhooks_sweep import start_webhook_sweep

# What a queue runs, by the name it is enqueued under (arq's and the in-process queue's alike).
JOB_FUNCTIONS: Mapping[str, Job] = {
    JOB_FUNCTION: process_document,
    DELIVER_WEBHOOK: deliver_webhook,
}


@dataclass(frozen=True)
class JobHost:
    resources: Resources
    # Embedded: this process's own worker heartbeat, which /health's workers check reads.
    # None where arq workers beat into Redis, or where this process runs no jobs.
    local_heartbeats: LocalHeartbeats | None = None


@asynccontextmanager
async def job_sweeps(resources: Resources) -> AsyncIterator[None]:
    """The periodic work of every process that runs jobs, stopped on exit."""
    async with start_recovery(resources), start_webhook_sweep(resources):
        yield


@asynccontextmanager
async def open_host(
    settings: Settings, *, migrate: bool = False, run_jobs: bool = True
) -> AsyncIterator[JobHost]:
    """Resources for a process of the service; embedded with `run_jobs`, it runs the jobs too.

    `run_jobs=False` is for processes whose jobs run elsewhere or not at all: the arq worker
    (arq runs its jobs: `worker_host`), the benchmarks. With Redis the queue only enqueues.
    """
    async with AsyncExitStack() as stack:
        resources = await stack.enter_async_context(
            open_resources(settings, pdf_pool=PdfPool(settings), migrate=migrate)
        )
        if not (run_jobs and isinstance(resources.queue, InProcessQueue)):
            yield JobHost(resources)
            return
        resources.queue.start({"resources": resources}, JOB_FUNCTIONS)
        await stack.enter_async_context(job_sweeps(resources))
        heartbeats = LocalHeartbeats()
        await stack.enter_async_context(heartbeating(heartbeats))
        await stack.enter_async_context(periodic_retention(resources))
        yield JobHost(resources, local_heartbeats=heartbeats)


@asynccontextmanager
async def worker_host(settings: Settings, redis: Redis, runs: RunRegistry) -> AsyncIterator[Resources]:
    """Everything a `docat worker` runs beside arq's job loop; `runs` are the runs it holds,
    beaten with its heartbeat (how the others tell it died)."""
    async with AsyncExitStack() as stack:
        host = await stack.enter_async_context(open_host(settings, run_jobs=False))
        resources = host.resources
        await stack.enter_async_context(job_sweeps(resources))
        await stack.enter_async_context(
            worker_monitoring(settings, redis, queue_name=settings.queue_name, runs=runs)
        )
        # Start every pool process now, so the first job does not wait for PyMuPDF to load.
        await resources.pdf_pool.warm()
        yield resources
