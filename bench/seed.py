"""A benchmark's own database: one admin with a token, limits lifted, some documents.

Runs against the Settings the benchmark's server will get (a temporary
DATA_DIR with SQLite, or a throw-away PostgreSQL database), through the
project's own account code, so the token is exactly what a client would get
from `login`. Rate limits are raised because a load generator is one user
sending thousands of requests a second.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from docat.accounts import access_token_for, create_or_promote_admin
from docat.admin_settings import set_setting
from docat.db import open_database
from docat.settings import Settings
from models import Document, JobStage, JobStatus, User

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-password-not-secret"
LIFTED = {
    "rate_requests_per_minute": "100000000",
    "rate_uploads_pro_per_hour": "1000000",
}


async def _add_documents(owner: User, count: int) -> None:
    now = datetime.now(UTC)
    for i in range(count):
        digest = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
        await Document.create(
            owner=owner,
            filename=f"report-{i:03d}.pdf",
            size_bytes=100_000 + i,
            sha256=digest,
            page_count=10,
            pdf_type="STRUCTURED",
            status=JobStatus.COMPLETED,
            stage=JobStage.DONE,
            progress=1.0,
            engine="TEXT",
            processing_ms=120,
            started_at=now - timedelta(minutes=i, seconds=2),
            finished_at=now - timedelta(minutes=i),
        )


async def _seed(settings: Settings, documents: int, migrate: bool) -> str:
    async with open_database(settings, migrate=migrate):
        admin, _ = await create_or_promote_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        for key, value in LIFTED.items():
            try:
                await set_setting(key, value)
            except Exception:  # a key another version does not know: nothing to lift
                pass
        await _add_documents(admin, documents)
        token, _ = access_token_for(settings, admin)
        return token


def seed(settings: Settings, documents: int = 0, migrate: bool = True) -> str:
    """Create the admin (and `documents` finished documents); returns a bearer token."""
    return asyncio.run(_seed(settings, documents, migrate))
