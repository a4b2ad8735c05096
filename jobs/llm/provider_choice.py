"""Choose and build the LLM provider a job uses.

Keys come from two places: the environment (Settings) and the admin's
provider keys (the lead's database rows, passed in as ApiKey objects with
their ids). OpenRouter (or any OpenAI-compatible server) is preferred when
both providers have keys, unless the caller prefers otherwise; a preferred
provider without keys falls back to the other rather than failing a job, and
with keys for both, a call the preferred one cannot answer goes to the other
(jobs.llm.failover).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx

from docat.errors import ProviderNotConfigured
from docat.settings import Settings
from jobs.llm import gemini, openai_compat
from jobs.llm.failover import FailoverProvider
from jobs.llm.key_pool import (
    GEMINI,
    OPENROUTER,
    ApiKey,
    KeyPool,
    RequestObserver,
    UsageCallback,
    normalize_provider,
)
from jobs.llm.protocol import LLMProvider
from jobs.llm.transport import RetryPolicy

DEFAULT_MODELS: dict[str, str] = {
    OPENROUTER: openai_compat.DEFAULT_MODEL,
    GEMINI: gemini.DEFAULT_MODEL,
}


def environment_keys(settings: Settings) -> list[ApiKey]:
    keys = []
    if settings.openrouter_api_key:
        keys.append(ApiKey(OPENROUTER, settings.openrouter_api_key))
    if settings.gemini_api_key:
        keys.append(ApiKey(GEMINI, settings.gemini_api_key))
    return keys


def build_key_pool(
    settings: Settings,
    extra_keys: Iterable[ApiKey] = (),
    *,
    on_usage: UsageCallback | None = None,
    on_request: RequestObserver | None = None,
) -> KeyPool:
    """The environment's keys plus the admin's (database) keys, in one pool."""
    return KeyPool([*environment_keys(settings), *extra_keys], on_usage=on_usage, on_request=on_request)


def is_configured(settings: Settings, extra_keys: Iterable[ApiKey] = ()) -> bool:
    """Cheap check at upload time: is there any active key for any provider?"""
    if settings.openrouter_api_key or settings.gemini_api_key:
        return True
    return any(k.active and normalize_provider(k.provider) in DEFAULT_MODELS for k in extra_keys)


def build_provider(
    settings: Settings,
    keys: KeyPool | Iterable[ApiKey] | None = None,
    preferred: str | None = None,
    *,
    models: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    policy: RetryPolicy | None = None,
) -> LLMProvider:
    """A ready provider; raises ProviderNotConfigured when no provider has a key.

    `keys` is a KeyPool (shared across jobs so rotation and resting carry over)
    or extra keys to add to the environment's. `models` maps a provider name to
    the admin's model setting.
    """
    pool = keys if isinstance(keys, KeyPool) else build_key_pool(settings, keys or ())
    order = [OPENROUTER, GEMINI]
    if preferred:
        wanted = normalize_provider(preferred)
        order = [wanted] + [p for p in order if p != wanted]
    usable = [p for p in order if p in DEFAULT_MODELS and pool.has_keys(p)]
    if not usable:
        raise ProviderNotConfigured(
            "no LLM provider is configured: set OPENROUTER_API_KEY or GEMINI_API_KEY, "
            "or add a provider key as an admin"
        )
    providers = [
        _client_for(name, settings, pool, (models or {}).get(name), client, policy) for name in usable
    ]
    return providers[0] if len(providers) == 1 else FailoverProvider(providers)


def _client_for(
    name: str,
    settings: Settings,
    pool: KeyPool,
    model: str | None,
    client: httpx.AsyncClient | None,
    policy: RetryPolicy | None,
) -> LLMProvider:
    model = model or DEFAULT_MODELS[name]
    if name == GEMINI:
        return gemini.GeminiProvider(
            pool, model=model, base_url=settings.gemini_base_url, client=client, policy=policy
        )
    return openai_compat.OpenAICompatProvider(
        pool, model=model, base_url=settings.openrouter_base_url, client=client, policy=policy
    )


__all__ = ["DEFAULT_MODELS", "build_key_pool", "build_provider", "environment_keys", "is_configured"]
