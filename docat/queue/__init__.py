"""The job queue: the job functions, two runners.

    queue = await open_queue(settings)       # ArqQueue when REDIS_URL is set, else InProcessQueue
    await queue.enqueue(doc.id, doc.run, password=options.password)
    await queue.cancel(doc.id)               # best effort; the job also polls Document.cancel_requested
    await queue.close()

Both run the functions jobs/host.py names (JOB_FUNCTION is
`jobs.documents.process_document(ctx, document_id, run, password_token)`)
with `ctx["resources"]` a Resources and `ctx["job_try"]` the delivery count, and
both honour `arq.Retry` (transient errors: run again later, same run). This
module knows them by name only: docat/ imports nothing from jobs/.

- `ArqQueue` only enqueues: `docat worker` processes (jobs/worker.py) run the
  jobs. The job id is "docat:<document>:<run>", so enqueueing a run twice is a
  no-op and every run is addressable (cancel, recovery). After each enqueue it
  publishes on `wake_channel(queue)`, which wakes idle workers at once instead
  of at their next poll (jobs/wakeup.py).
- `InProcessQueue` runs jobs as asyncio tasks of this process (embedded mode),
  at most `worker_max_jobs` at once, once the job host has started it with the
  functions (`jobs.host.open_host`).

The PDF password never reaches a database or a log: it travels in the job's
arguments Fernet-encrypted with a key derived from SECRET_KEY, and lives only
as long as the queued job (Redis) or the task (in-process). That is also why
recovery (`requeue`) re-uses the old job's token instead of asking for it.

Queueing a run also stamps `Document.heartbeat_at`: the recovery sweep
(jobs/recovery.py) reads it as "queued since" for runs whose job went missing.
In-process, only a job that has to wait for a slot is stamped: one that starts
at once gets its heartbeat from its claim.

The package: `protocol.py` (JobQueue, JOB_FUNCTION, Job, `job_id`, the password
token, `wake_channel`), `arq_queue.py` (ArqQueue), `in_process.py`
(InProcessQueue), `queued_rows.py` (the database writes: the "queued since"
stamp); `open_queue` is here.
"""

from __future__ import annotations

from docat.queue.arq_queue import ArqQueue
from docat.queue.in_process import InProcessQueue
from docat.queue.protocol import (
    JOB_FUNCTION,
    PASSWORD_PURPOSE,
    Job,
    JobQueue,
    job_id,
    job_password,
    password_token,
    wake_channel,
)
from docat.settings import Settings

__all__ = [
    "JOB_FUNCTION",
    "PASSWORD_PURPOSE",
    "ArqQueue",
    "InProcessQueue",
    "Job",
    "JobQueue",
    "job_id",
    "job_password",
    "open_queue",
    "password_token",
    "wake_channel",
]


async def open_queue(settings: Settings) -> JobQueue:
    """The one factory: ArqQueue when REDIS_URL is set, else InProcessQueue (start() it)."""
    if settings.redis_url:
        return await ArqQueue.open(settings)
    return InProcessQueue(settings)
