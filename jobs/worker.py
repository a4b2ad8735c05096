"""`docat worker`: an arq worker that runs process_document, any number per machine.

    run_worker(settings)                    # what `docat worker` calls; blocks until SIGTERM/SIGINT
    WakingWorker(**worker_settings(settings))   # the same worker, for tests and tools

The worker is arq's, woken as soon as a job is queued rather than at its next
poll (jobs/wakeup.py).

Start-up enters the job host (`jobs.host.worker_host`): the same Resources as
the API into `ctx["resources"]`, and what every worker runs beside its jobs:

- the sweeps: recovery (jobs/recovery.py), every `recovery_interval_seconds`,
  re-queues runs whose worker was killed, so no job is lost; due webhook
  deliveries whose task went missing are re-queued;
- heartbeat, queue depth and the metrics port (jobs/monitoring.py), and the
  PDF pool's processes started before the first job.

Here, not in the host, because arq schedules it:

- the retention sweep as an arq cron job, hourly; `unique` cron jobs get one
  job id per scheduled time, so one worker of the fleet runs each.

On SIGTERM arq cancels the running jobs: each puts its run back to QUEUED and
arq hands the job to the next worker (it resumes after the pages it saved).
Nothing goes through arq's abort: cancelDocument works through the
document's cancel_requested flag, which the job polls every half second.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import Any, cast

from arq.connections import RedisSettings
from arq.cron import cron
from arq.typing import WorkerCoroutine
from arq.worker import func

from docat.heartbeat import RunRegistry
from docat.logging import configure_logging
from docat.queue import JOB_FUNCTION
from docat.resources import Resources
from docat.settings import ConfigurationError, Settings
from jobs.documents import MAX_TRIES
from jobs.host import JOB_FUNCTIONS, worker_host
from jobs.retention import sweep_retention
from jobs.wakeup import WakingWorker
from jobs.webhooks_delivery import DELIVER_WEBHOOK

logger = logging.getLogger(__name__)

# Results are read by nobody (the database has the outcome); keep them briefly for debugging.
KEEP_RESULT_SECONDS = 300
# arq's own try limit stays above the job's (jobs.documents.MAX_TRIES), so the job always gets
# to record its own final failure; a shutdown redelivery also counts as a try.
ARQ_MAX_TRIES = MAX_TRIES + 3
HEALTH_CHECK_SECONDS = 30


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    configure_logging(settings.log_level, settings.log_json)
    stack = AsyncExitStack()
    try:
        # The runs this worker holds, beaten with its heartbeat: how others tell it died.
        ctx["runs"] = runs = RunRegistry()
        # arq runs the jobs; the job host runs everything beside them (jobs/host.py).
        resources = await stack.enter_async_context(worker_host(settings, ctx["redis"], runs))
    except BaseException:
        await stack.aclose()
        raise
    ctx["resources"] = resources
    ctx["exit_stack"] = stack
    logger.info(
        "worker ready: queue %s, %d jobs at once, %d PDF processes",
        settings.queue_name,
        settings.worker_max_jobs,
        resources.pdf_pool.workers,
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    stack: AsyncExitStack | None = ctx.pop("exit_stack", None)
    if stack is not None:
        await stack.aclose()


async def retention(ctx: dict[str, Any]) -> None:
    resources: Resources = ctx["resources"]
    await sweep_retention(resources)


# How often an idle worker looks at the queue without being woken (jobs/wakeup.py): only
# for deferred jobs (retry backoffs of seconds, the hourly cron) and a lost wake-up. An
# idle worker polling every 50 ms measured ~1.1% of a core and 20 Redis commands a second;
# every 0.5 s (arq's default), 0.1% and 2.
POLL_DELAY_SECONDS = 0.5


def worker_settings(settings: Settings) -> dict[str, Any]:
    """arq Worker arguments (arq accepts this dict wherever it takes a WorkerSettings class)."""
    if not settings.redis_url:
        raise ConfigurationError("`docat worker` needs REDIS_URL (the arq queue)")
    return {
        "functions": [
            func(
                cast(WorkerCoroutine, JOB_FUNCTIONS[JOB_FUNCTION]),
                name=JOB_FUNCTION,
                max_tries=ARQ_MAX_TRIES,
                timeout=settings.job_timeout_seconds,
            ),
            # One attempt; arq may hand it out again only after a worker died (the row's
            # lease makes that a no-op if the attempt did finish).
            func(
                cast(WorkerCoroutine, JOB_FUNCTIONS[DELIVER_WEBHOOK]),
                name=DELIVER_WEBHOOK,
                max_tries=3,
                timeout=settings.webhook_timeout_seconds + 10,
            ),
        ],
        "cron_jobs": [cron(retention, name="docat:retention", minute={17}, timeout=600)],
        "queue_name": settings.queue_name,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": {"settings": settings},
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout_seconds,
        "keep_result": KEEP_RESULT_SECONDS,
        "health_check_interval": HEALTH_CHECK_SECONDS,
        # The fallback between wake-ups, not what a new job waits for (see POLL_DELAY_SECONDS).
        "poll_delay": POLL_DELAY_SECONDS,
    }


def run_worker(settings: Settings) -> None:
    """Run one worker process until it is told to stop (SIGTERM, SIGINT)."""
    WakingWorker(**worker_settings(settings)).run()
