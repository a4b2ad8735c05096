"""Channel names, event shapes and their wire format, the resync marker, EventBusUnavailable.

What publishers and subscribers share; imports nothing of broadcaster or Redis. See the package
docstring (docat/events/__init__.py) for what the channels carry and what a resync means.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

# ---- channel names --------------------------------------------------------------------------

ALL_JOBS_CHANNEL = "jobs"


def job_channel(document_id: object) -> str:
    return f"job:{document_id}"


def user_channel(owner_id: object) -> str:
    return f"user:{owner_id}"


def pages_channel(document_id: object) -> str:
    return f"pages:{document_id}"


def account_rights_channel() -> str:
    """One channel for every account whose role, active state or token version changed: each
    API process re-reads those accounts and closes the WebSockets that lost their rights."""
    return "account-rights"


# ---- event shapes ---------------------------------------------------------------------------

TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
RESYNC_TYPE = "resync"
# What the Redis backend hands broadcaster for "re-subscribed, send a resync": published events
# are always JSON objects ("{..."), so this cannot collide with one.
_RESYNC_WIRE = "\x00resync"


def is_resync(event: Mapping[str, Any]) -> bool:
    """True for the marker telling a subscriber to re-read its state from the database."""
    return event.get("type") == RESYNC_TYPE


def _resync_marker(reason: str) -> dict[str, Any]:
    return {"type": RESYNC_TYPE, "reason": reason}


def is_terminal(event: Mapping[str, Any]) -> bool:
    return event.get("status") in TERMINAL_STATUSES


def _json_default(value: object) -> object:
    # Enums (strawberry's and the models') and datetimes are the only non-JSON values callers
    # hand us; anything else is a bug and should fail loudly.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _serialize(event: Mapping[str, Any]) -> str:
    return json.dumps(event, default=_json_default, separators=(",", ":"), ensure_ascii=False)


class EventBusUnavailable(RuntimeError):
    """Redis could not take the event after brief retries; the event is lost (callers log it).

    Subscribers will get a resync marker once the connection is back, so they recover the state
    from the database.
    """
