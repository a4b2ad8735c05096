"""Typed admin settings: the registry of keys, their types, defaults and validation.

Values live in the `settings` table as JSON; a key with no row uses its
default (for limits, the environment's value). Reads come from a snapshot of
the whole (small) table, refreshed at most every `CACHE_SECONDS`: hot paths
(every request's rate limit, every upload, `creditsLimit` of each user in a
list) cost no query, and concurrent misses share one SELECT instead of one
each. Writes drop the writing process's snapshot; other processes see the
change within `CACHE_SECONDS`, without a restart.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docat.errors import BadUserInput
from docat.model_names import check_model_name
from docat.settings import Settings
from models import Setting

CACHE_SECONDS = 5.0


_KIND_NAMES = {bool: "true or false", int: "a whole number", str: "a string"}
# Every whole-number setting fits GraphQL's Int (32 bits: `creditsLimit` shows the credit
# limits) and the database's integer columns; a setting with no maximum of its own gets this one.
INT_SETTING_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    kind: type  # bool, int, str
    description: str
    default: Callable[[Settings], Any]
    secret: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    # Further checks of a string value (key, value); raises BadUserInput.
    check: Callable[[str, str], None] | None = None

    def parse(self, raw: str | None) -> Any:
        """Validate a client's string (or JSON) value into the setting's type."""
        if raw is None:
            return None
        text = raw.strip()
        try:
            if self.kind is bool:
                lowered = text.lower()
                if lowered in ("true", "1", "yes", "on"):
                    return True
                if lowered in ("false", "0", "no", "off"):
                    return False
                raise ValueError
            if self.kind is int:
                value = int(text)
                if self.minimum is not None and value < self.minimum:
                    raise BadUserInput(f"{self.key} must be at least {self.minimum}")
                maximum = min(self.maximum, INT_SETTING_MAX) if self.maximum is not None else INT_SETTING_MAX
                if value > maximum:
                    raise BadUserInput(f"{self.key} must be at most {maximum}")
                return value
            if len(text) > 500:
                raise BadUserInput(f"{self.key} must be at most 500 characters")
            if self.choices is not None and text not in self.choices:
                raise BadUserInput(f"{self.key} must be one of: {', '.join(self.choices)}")
            if self.check is not None:
                self.check(self.key, text)
            return text
        except ValueError as exc:
            raise BadUserInput(f"{self.key} must be {_KIND_NAMES[self.kind]}") from exc


def _const(value: Any) -> Callable[[Settings], Any]:
    return lambda _settings: value


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("registration_open", bool, "Anyone may register an account", _const(False)),
        SettingSpec(
            "max_pages_user",
            int,
            "Page limit per document for USER",
            lambda s: s.max_pages_user,
            minimum=1,
            maximum=100_000,
        ),
        SettingSpec(
            "max_pages_admin",
            int,
            "Page limit per document for ADMIN",
            lambda s: s.max_pages_admin,
            minimum=1,
            maximum=100_000,
        ),
        SettingSpec(
            "max_upload_mb",
            int,
            "Largest upload in MiB (not above MAX_UPLOAD_MB)",
            lambda s: s.max_upload_mb,
            minimum=1,
            maximum=10_000,
        ),
        SettingSpec("credits_free", int, "Credit limit of the FREE tier", _const(500), minimum=0),
        SettingSpec("credits_plus", int, "Credit limit of the PLUS tier", _const(50_000), minimum=0),
        SettingSpec("credits_pro", int, "Credit limit of the PRO tier", _const(1_000_000), minimum=0),
        SettingSpec(
            "rate_login_per_minute",
            int,
            "Login attempts a minute per account and address (4x that per address)",
            _const(5),
            minimum=1,
        ),
        SettingSpec("rate_uploads_free_per_hour", int, "Uploads an hour for FREE", _const(10), minimum=1),
        SettingSpec("rate_uploads_plus_per_hour", int, "Uploads an hour for PLUS", _const(100), minimum=1),
        SettingSpec("rate_uploads_pro_per_hour", int, "Uploads an hour for PRO", _const(1000), minimum=1),
        SettingSpec(
            "rate_requests_per_minute", int, "GraphQL requests a minute per user", _const(600), minimum=1
        ),
        SettingSpec(
            "retention_days",
            int,
            "Days documents and their files are kept",
            _const(30),
            minimum=1,
            # A century: a cutoff date further back than datetime can hold would fail the sweep.
            maximum=36_500,
        ),
        SettingSpec(
            "translation_model_openrouter",
            str,
            "Model for translation on OpenRouter-compatible APIs",
            _const("openai/gpt-4o-mini"),
            check=check_model_name,
        ),
        SettingSpec(
            "ocr_model_openrouter",
            str,
            "Vision model for LLM_OCR on OpenRouter-compatible APIs",
            _const("openai/gpt-4o-mini"),
            check=check_model_name,
        ),
        SettingSpec(
            "translation_model_gemini",
            str,
            "Model for translation on Gemini",
            _const("gemini-2.0-flash"),
            check=check_model_name,
        ),
        SettingSpec(
            "ocr_model_gemini",
            str,
            "Vision model for LLM_OCR on Gemini",
            _const("gemini-2.0-flash"),
            check=check_model_name,
        ),
        SettingSpec(
            "preferred_provider",
            str,
            "openrouter or gemini: which provider to try first",
            _const("openrouter"),
            choices=("openrouter", "gemini"),
        ),
    )
}


class _Snapshot:
    """The raw rows of the settings table, with one refresh in flight at a time."""

    def __init__(self) -> None:
        self.rows: dict[str, str | None] = {}
        self.loaded_at = float("-inf")
        self.refreshing: asyncio.Future[dict[str, str | None]] | None = None
        # Bumped by clear(): a load that started before a write must not store stale rows.
        self.generation = 0

    async def get(self) -> dict[str, str | None]:
        if time.monotonic() - self.loaded_at < CACHE_SECONDS:
            return self.rows
        if self.refreshing is None:
            self.refreshing = asyncio.ensure_future(self._load())
        refreshing = self.refreshing
        try:
            # shield: a cancelled caller must not cancel the load others wait for.
            return await asyncio.shield(refreshing)
        finally:
            if self.refreshing is refreshing and refreshing.done():
                self.refreshing = None

    async def _load(self) -> dict[str, str | None]:
        generation = self.generation
        rows: dict[str, str | None] = {row.key: row.value for row in await Setting.all()}
        if generation == self.generation:
            self.rows, self.loaded_at = rows, time.monotonic()
        return rows

    def clear(self) -> None:
        self.generation += 1
        self.loaded_at = float("-inf")
        self.refreshing = None


# One snapshot per database: the tests run SQLite and PostgreSQL apps in one process.
_snapshots: dict[tuple[str | None, object], _Snapshot] = {}


def _snapshot_for(settings: Settings) -> _Snapshot:
    # Keyed by what names the database, not by `settings.db_url`: that resolves the SQLite
    # path on the filesystem, and this runs on every request (the request budget reads a
    # setting). Two spellings of one data_dir only mean two caches, both cleared on a write.
    key = (settings.database_url, None if settings.database_url else settings.data_dir)
    snapshot = _snapshots.get(key)
    if snapshot is None:
        snapshot = _snapshots[key] = _Snapshot()
    return snapshot


def spec_for(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise BadUserInput(f"unknown setting {key!r}; known: {', '.join(sorted(SPECS))}")
    return spec


async def get_setting(settings: Settings, key: str) -> Any:
    spec = spec_for(key)
    raw = (await _snapshot_for(settings).get()).get(key)
    if raw is None:
        return spec.default(settings)
    value = json.loads(raw)
    if spec.kind is int and isinstance(value, int) and not isinstance(value, bool):
        # A row written before the range was enforced must not break every reader.
        maximum = min(spec.maximum, INT_SETTING_MAX) if spec.maximum is not None else INT_SETTING_MAX
        value = min(value, maximum)
    return value


async def set_setting(key: str, raw: str | None) -> Setting:
    spec = spec_for(key)
    value = spec.parse(raw)
    stored = None if value is None else json.dumps(value)
    row, created = await Setting.get_or_create(key=key, defaults={"value": stored})
    if not created:
        row.value = stored  # type: ignore[assignment]  # a nullable column
        await row.save()
    clear_cache()
    return row


def clear_cache() -> None:
    for snapshot in _snapshots.values():
        snapshot.clear()


async def tier_credit_limit(settings: Settings, tier: str) -> int:
    return int(await get_setting(settings, f"credits_{tier.lower()}"))
