"""What every queue is and what both runners share: the JobQueue protocol, the job's
name and id, the PDF password's token (see docat.queue for why it travels so), and the
channel that wakes idle workers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from docat.security import decrypt_secret, encrypt_secret
from docat.settings import Settings

JOB_FUNCTION = "process_document"
PASSWORD_PURPOSE = "job-password"
Job = Callable[..., Awaitable[None]]


class JobQueue(Protocol):
    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None: ...

    async def cancel(self, document_id: uuid.UUID) -> None: ...

    async def depth(self) -> int: ...

    async def close(self) -> None: ...

    # ---- used by the recovery sweep -------------------------------------------------------

    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        """A job for this run is waiting or running (as far as this queue can tell)."""
        ...

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        """Queue `new_run` with the old run's password (if still known) and drop the old job."""
        ...

    # ---- small tasks beside the documents (webhook deliveries) -----------------------------

    async def enqueue_task(self, function: str, *args: str, task_id: str, delay: float = 0.0) -> None:
        """Run `function(ctx, *args)` in `delay` seconds; a `task_id` already queued is a no-op."""
        ...


def job_id(document_id: uuid.UUID | str, run: int) -> str:
    return f"docat:{document_id}:{run}"


def wake_channel(queue_name: str) -> str:
    """The pub/sub channel that tells the workers of `queue_name` a job is due now."""
    return f"{queue_name}:wake"


def password_token(settings: Settings, password: str | None) -> str | None:
    """The PDF password as it travels in the job's arguments (see docat.queue's docstring)."""
    if not password:
        return None
    return encrypt_secret(settings.signing_key, password, purpose=PASSWORD_PURPOSE)


def job_password(settings: Settings, token: str | None) -> str | None:
    """The password back from `password_token`; a ValueError means another SECRET_KEY."""
    if not token:
        return None
    return decrypt_secret(settings.signing_key, token, purpose=PASSWORD_PURPOSE)
