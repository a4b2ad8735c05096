"""HTTP status and Retry-After for GraphQL answers that tell the client to wait.

    status, headers = retry_answer(response_data)      # in DocatGraphQL.create_response

- Any RATE_LIMITED error: `Retry-After` with its largest `retryAfter`. The status
  stays 200 (a GraphQL answer with errors, as every other refusal), so clients
  that read only the body still work; HTTP-level tooling (proxies, load testers,
  `curl -i`) sees the header.
- SERVICE_UNAVAILABLE: `Retry-After` too, and 503 when the whole request failed
  (no operation got anything but nulls, and every error is an outage): a load balancer or
  client library can retry it as it would any 503. A partial answer stays 200.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RATE_LIMITED = "RATE_LIMITED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
HTTP_SERVICE_UNAVAILABLE = 503


def _errors(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in result.get("errors") or () if isinstance(e, Mapping)]


def _code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    return extensions.get("code") if isinstance(extensions, Mapping) else None


def _retry_after(error: Mapping[str, Any]) -> int:
    extensions = error.get("extensions") or {}
    value = extensions.get("retryAfter") if isinstance(extensions, Mapping) else None
    return value if isinstance(value, int) and value > 0 else 1


def _nothing_answered(result: Mapping[str, Any]) -> bool:
    # A nullable root field that failed leaves {"me": null}: no more of an answer than no data.
    data = result.get("data")
    return data is None or (isinstance(data, Mapping) and all(v is None for v in data.values()))


def retry_answer(
    response_data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> tuple[int | None, dict[str, str]]:
    """(status to set or None, headers to add) for one answer or a batch's answers."""
    results = [response_data] if isinstance(response_data, Mapping) else list(response_data)
    waits: list[int] = []
    all_unavailable = bool(results)
    for result in results:
        errors = _errors(result)
        codes = [_code(e) for e in errors]
        waits.extend(
            _retry_after(e)
            for e, c in zip(errors, codes, strict=True)
            if c in (RATE_LIMITED, SERVICE_UNAVAILABLE)
        )
        failed = _nothing_answered(result) and bool(errors) and all(c == SERVICE_UNAVAILABLE for c in codes)
        all_unavailable = all_unavailable and failed
    if not waits:
        return None, {}
    return (HTTP_SERVICE_UNAVAILABLE if all_unavailable else None), {"Retry-After": str(max(waits))}


__all__ = ["retry_answer"]
