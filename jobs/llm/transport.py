"""One POST to a provider, with the retry rules both clients share.

    429, 5xx, timeouts, connection errors,   -> back off exponentially (honoring
    a 200 whose body is not the expected       Retry-After, capped) and retry,
    JSON shape                                  up to `attempts` in all
    401, 402, 403 (the key is bad or broke)   -> rotate to the next key at once;
                                                 each key is tried once per call
    any other 4xx (the request is bad)        -> ProviderError at once

Messages of the ProviderError (which users see, on the document and in GraphQL
errors) say what happened in a few words: the HTTP status, a timeout. The
provider's own answer can hold anything (the prompt echoed back, account
details, internal hosts) and goes only to the server log, truncated.

Every outcome is reported to the KeyPool, which counts usage per key and rests
failing keys so the next call prefers a healthy one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from docat.errors import ProviderError
from jobs.llm.key_pool import ApiKey, KeyPool

logger = logging.getLogger(__name__)

# url, headers, JSON body for one attempt with one key.
RequestBuilder = Callable[[ApiKey], tuple[str, dict[str, str], dict[str, Any]]]
# The answer's text from the decoded JSON; raises ValueError/KeyError/IndexError/TypeError on a bad shape.
ResponseParser = Callable[[Any], str]

_KEY_REJECTED = frozenset({401, 402, 403})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    # A server asking for minutes gets this much patience, then the next attempt.
    retry_after_cap: float = 30.0
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(90.0, connect=10.0))

    def backoff(self, attempt: int) -> float:
        """Pause after the `attempt`-th failed attempt (1-based)."""
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))


def parse_retry_after(value: str | None, cap: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(seconds, cap))


async def post_with_retries(
    client: httpx.AsyncClient,
    pool: KeyPool,
    provider: str,
    build: RequestBuilder,
    parse: ResponseParser,
    policy: RetryPolicy,
) -> str:
    rejected: list[ApiKey] = []
    last_error = "no key"
    attempt = 0
    while attempt < policy.attempts:
        key = pool.acquire(provider, exclude=rejected)
        if key is None:
            raise ProviderError(f"{provider}: every API key was rejected ({last_error})")
        url, headers, body = build(key)
        retry_after: float | None = None
        try:
            response = await client.post(url, headers=headers, json=body, timeout=policy.timeout)
        except httpx.TimeoutException:
            last_error = "the request timed out"
            await pool.report(key, False)
        except httpx.TransportError as exc:
            last_error = f"connection failed ({type(exc).__name__})"
            await pool.report(key, False)
        else:
            status = response.status_code
            if status in _KEY_REJECTED:
                last_error = f"HTTP {status}"
                logger.warning("%s key …%s rejected with HTTP %s; rotating", provider, key.last4, status)
                await pool.report(key, False)
                rejected.append(key)
                continue  # a different key, at once: not an attempt, no sleep
            if status == 429 or status >= 500:
                last_error = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("retry-after"), policy.retry_after_cap)
                await pool.report(key, False, retry_after=retry_after)
            elif status >= 400:
                await pool.report(key, False, rest=False)
                logger.warning("%s refused a request (HTTP %s): %s", provider, status, _snippet(response))
                raise ProviderError(f"{provider}: the request was refused (HTTP {status})")
            else:
                try:
                    text = parse(response.json())
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    # The key worked; the answer did not. Often transient (truncated or filtered output).
                    last_error = "unexpected response"
                    logger.warning(
                        "%s answered HTTP %s with an unexpected body (%s: %s): %s",
                        provider,
                        status,
                        type(exc).__name__,
                        _clip(str(exc)),
                        _snippet(response),
                    )
                    await pool.report(key, False, rest=False)
                else:
                    await pool.report(key, True)
                    return text
        attempt += 1
        logger.info("%s attempt %d/%d failed: %s", provider, attempt, policy.attempts, last_error)
        if attempt < policy.attempts:
            await asyncio.sleep(max(policy.backoff(attempt), retry_after or 0.0))
    raise ProviderError(f"{provider}: giving up after {policy.attempts} attempts ({last_error})")


def _clip(text: str, limit: int = 200) -> str:
    text = text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    """The start of a provider's answer, for the server log only."""
    try:
        return _clip(response.text, limit)
    except Exception:  # undecodable bytes: the log says so rather than failing the call
        return f"<{len(response.content)} bytes>"


__all__ = ["RequestBuilder", "ResponseParser", "RetryPolicy", "parse_retry_after", "post_with_retries"]
