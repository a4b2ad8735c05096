"""Who may read the API's /metrics.

- METRICS_TOKEN set: only `Authorization: Bearer <token>` (any mode).
- Unset, embedded: loopback clients only. `docat serve --host 0.0.0.0` on a
  laptop or a small server must not hand out request counts, error rates and
  queue depths to the world; a Prometheus on the same host still scrapes it.
- Unset, production (REDIS_URL set): open. Prometheus scrapes each replica on
  the deployment's private network, and nginx answers /metrics with 404.

The client is the address after trusted proxies (TRUSTED_PROXIES), so a request
relayed by a local nginx for a remote client is not taken for a local one.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request

from docat.settings import Settings


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request, settings: Settings) -> bool:
    if settings.metrics_token:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), settings.metrics_token)
    if settings.embedded:
        return _is_loopback(request.client.host if request.client else None)
    return True


__all__ = ["metrics_allowed"]
