"""GET /health: one real check per component, each bounded by a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from docat.db import ping_database
from docat.resources import Resources

CHECK_TIMEOUT = 3.0


async def _run(check: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
        return {"status": "ok", **(detail or {})}
    except TimeoutError:
        return {"status": "down", "error": f"no answer within {CHECK_TIMEOUT:.0f}s"}
    except Exception as exc:  # a health check reports every failure, it never raises
        return {"status": "down", "error": type(exc).__name__}


async def check_health(resources: Resources) -> dict[str, Any]:
    checks = {
        "database": await _run(ping_database),
        "storage": await _run(resources.storage.check),
    }
    status = "down" if any(c["status"] == "down" for c in checks.values()) else "ok"
    return {"status": status, "checks": checks}
