"""One Settings object, read once from the environment and `.env`.

The variables are exactly the contract's (../shared/contract/README.md), plus
a few operational knobs with safe defaults. Nothing else in the code reads
`os.environ`: the settings are passed down.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Storage of everything embedded mode keeps on disk.
    data_dir: Path = Path("./data")
    # Unset: SQLite file under DATA_DIR.
    database_url: str | None = None
    # Unset: jobs run in-process and events stay in-process.
    redis_url: str | None = None

    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_region: str | None = None

    # Unset: generated once and kept under DATA_DIR (embedded only).
    secret_key: str | None = None
    access_token_expire_minutes: int = Field(default=60, ge=1)

    openrouter_api_key: str | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    gemini_api_key: str | None = None
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"

    max_upload_mb: int = Field(default=25, ge=1)
    max_pages_user: int = Field(default=100, ge=1)
    max_pages_admin: int = Field(default=200, ge=1)
    cors_origins: str = ""
    # Request headers allowed from those origins beyond Authorization, Content-Type and
    # X-Request-ID, comma-separated (e.g. Apollo Client's apollo-require-preflight).
    cors_allow_headers: str = ""

    # Operational knobs beyond the contract.
    log_level: str = "INFO"
    log_json: bool = True
    # Processes for PyMuPDF work; 0 = one per core.
    pdf_processes: int = Field(default=0, ge=0)
    # Longest one job run may take (arq's job_timeout); a run past it is cancelled and retried.
    job_timeout_seconds: int = Field(default=1800, ge=10)
    # The arq queue (Redis sorted set); tests use a unique one per session.
    queue_name: str = "docat:queue"
    # Jobs one worker process (or the embedded API) runs at once.
    worker_max_jobs: int = Field(default=4, ge=1)
    # A PROCESSING job whose heartbeat is older than this lost its worker: it is re-queued.
    # Jobs beat every half second, so this only has to cover pauses of the whole process.
    job_stale_seconds: float = Field(default=60.0, gt=0)
    # How often each worker (and the embedded API) sweeps for stale and lost jobs.
    recovery_interval_seconds: float = Field(default=15.0, gt=0)
    # Runs of one document before repeated interruptions fail it with INTERNAL.
    job_max_attempts: int = Field(default=3, ge=1)
    # Introspection: on in embedded mode; in production only when asked.
    graphql_introspection: bool | None = None
    # Worker metrics port (each worker process serves its own /metrics); unset = 9100.
    worker_metrics_port: int | None = None
    # Address the worker metrics listen on: loopback unless the deployment scrapes them over a
    # private network (the compose file sets 0.0.0.0 inside its own network).
    worker_metrics_host: str = "127.0.0.1"
    # The API's /metrics: with a token, only `Authorization: Bearer <token>` may read it; without
    # one, embedded mode answers loopback clients only (production: scraped on a private network).
    metrics_token: str | None = None
    # Proxies whose X-Forwarded-For is believed: comma-separated addresses or networks
    # ("127.0.0.1,10.0.0.0/8"). The client is the right-most address that is not one of them.
    trusted_proxies: str = "127.0.0.1"
    # Webhooks (jobs/webhooks*.py). true: loopback and private addresses may be called
    # (development and tests); otherwise only public addresses are.
    webhook_allow_private: bool = False
    # One attempt's whole time budget (connect, send, answer).
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # First retry after about this long, doubling (with jitter) up to the maximum delay.
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_delay_seconds: float = Field(default=3600.0, gt=0)
    # A delivery is retried for this long before it is given up (at least a day).
    webhook_retry_hours: float = Field(default=26.0, gt=0)
    # A webhook whose attempts all failed for this long is turned off, with the reason shown.
    webhook_disable_after_hours: float = Field(default=72.0, gt=0)
    # How often each worker (and the embedded API) re-queues due deliveries whose job went missing.
    webhook_sweep_seconds: float = Field(default=15.0, gt=0)
    # Pixels the images of one page may decode to; more is refused at upload (an image bomb).
    max_image_pixels: int = Field(default=200_000_000, ge=1)

    @field_validator("database_url", "redis_url", "s3_bucket", "secret_key", "metrics_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    # ---- derived -------------------------------------------------------

    @property
    def is_postgres(self) -> bool:
        if not self.database_url:
            return False
        return self.database_url.split(":", 1)[0] in (
            "postgres",
            "postgresql",
            "asyncpg",
        )

    @property
    def embedded(self) -> bool:
        """Jobs and events in this process (no Redis)."""
        return self.redis_url is None

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Tortoise speaks `postgres://` and `sqlite://`; accept the common aliases.
            if url.startswith("postgresql://"):
                url = "postgres://" + url[len("postgresql://") :]
            return url
        return f"sqlite://{(self.data_dir / 'docat.sqlite3').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def cors_allow_header_list(self) -> list[str]:
        return [h.strip() for h in self.cors_allow_headers.split(",") if h.strip()]

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return not self.is_postgres

    @cached_property
    def signing_key(self) -> str:
        """SECRET_KEY, or in embedded mode one generated once under DATA_DIR."""
        if self.secret_key:
            return self.secret_key
        if self.is_postgres or self.redis_url or self.s3_bucket:
            raise ConfigurationError(
                "SECRET_KEY must be set when DATABASE_URL points at PostgreSQL (or Redis/S3 "
                "are used): every API and worker process must sign and verify tokens with the "
                "same key. Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        # Owner-only, like everything under DATA_DIR (docat.db, docat.storage.local).
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Written with 0600 so only the service's user can read it.
        path.touch(mode=0o600)
        path.write_text(key)
        return key

    def validate_for_startup(self) -> None:
        """Fail fast with a clear message before anything opens."""
        _ = self.signing_key


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; tests pass overrides instead of touching os.environ."""
    return Settings(**overrides)  # type: ignore[arg-type]
