"""Typed admin settings: the registry of keys, their types, defaults and validation.

Values live in the `settings` table as JSON; a key with no row uses its
default (for limits, the environment's value). Reads are cached per process
for a few seconds so hot paths (every upload, every request's rate limit)
do not query the table each time; writes clear the cache of the writing
process, other processes see the change within `CACHE_SECONDS`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docat.errors import BadUserInput
from docat.settings import Settings
from models import Setting

CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    kind: type  # bool, int, str
    description: str
    default: Callable[[Settings], Any]
    secret: bool = False
    minimum: int | None = None
    maximum: int | None = None

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
                if self.maximum is not None and value > self.maximum:
                    raise BadUserInput(f"{self.key} must be at most {self.maximum}")
                return value
            if len(text) > 500:
                raise BadUserInput(f"{self.key} must be at most 500 characters")
            return text
        except ValueError as exc:
            raise BadUserInput(f"{self.key} must be a {self.kind.__name__}") from exc


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
            "Login attempts a minute per email and per address",
            _const(5),
            minimum=1,
        ),
        SettingSpec("rate_uploads_free_per_hour", int, "Uploads an hour for FREE", _const(10), minimum=1),
        SettingSpec("rate_uploads_plus_per_hour", int, "Uploads an hour for PLUS", _const(100), minimum=1),
        SettingSpec("rate_uploads_pro_per_hour", int, "Uploads an hour for PRO", _const(1000), minimum=1),
        SettingSpec(
            "rate_requests_per_minute", int, "GraphQL requests a minute per user", _const(600), minimum=1
        ),
        SettingSpec("retention_days", int, "Days documents and their files are kept", _const(30), minimum=1),
        SettingSpec(
            "translation_model_openrouter",
            str,
            "Model for translation on OpenRouter-compatible APIs",
            _const("openai/gpt-4o-mini"),
        ),
        SettingSpec(
            "ocr_model_openrouter",
            str,
            "Vision model for LLM_OCR on OpenRouter-compatible APIs",
            _const("openai/gpt-4o-mini"),
        ),
        SettingSpec(
            "translation_model_gemini", str, "Model for translation on Gemini", _const("gemini-2.0-flash")
        ),
        SettingSpec(
            "ocr_model_gemini", str, "Vision model for LLM_OCR on Gemini", _const("gemini-2.0-flash")
        ),
        SettingSpec(
            "preferred_provider",
            str,
            "openrouter or gemini: which provider to try first",
            _const("openrouter"),
        ),
    )
}

_cache: dict[str, tuple[float, Any]] = {}


def spec_for(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise BadUserInput(f"unknown setting {key!r}; known: {', '.join(sorted(SPECS))}")
    return spec


async def get_setting(settings: Settings, key: str) -> Any:
    spec = spec_for(key)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    row = await Setting.get_or_none(key=key)
    value = json.loads(row.value) if row and row.value is not None else spec.default(settings)
    _cache[key] = (now, value)
    return value


async def set_setting(key: str, raw: str | None) -> Setting:
    spec = spec_for(key)
    value = spec.parse(raw)
    stored = None if value is None else json.dumps(value)
    row, created = await Setting.get_or_create(key=key, defaults={"value": stored})
    if not created:
        row.value = stored
        await row.save()
    _cache.pop(key, None)
    return row


def clear_cache() -> None:
    _cache.clear()


async def tier_credit_limit(settings: Settings, tier: str) -> int:
    return int(await get_setting(settings, f"credits_{tier.lower()}"))
