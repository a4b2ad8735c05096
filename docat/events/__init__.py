"""The event bus (docat/events/bus.py until it is split into one module per concern)."""

from docat.events.bus import (
    ALL_JOBS_CHANNEL,
    RESYNC_TYPE,
    TERMINAL_STATUSES,
    EventBus,
    EventBusUnavailable,
    RedisOptions,
    Subscription,
    _Fanout,
    account_rights_channel,
    is_resync,
    is_terminal,
    job_channel,
    open_event_bus,
    pages_channel,
    user_channel,
)

__all__ = [
    "ALL_JOBS_CHANNEL",
    "RESYNC_TYPE",
    "TERMINAL_STATUSES",
    "EventBus",
    "EventBusUnavailable",
    "RedisOptions",
    "Subscription",
    "_Fanout",
    "account_rights_channel",
    "is_resync",
    "is_terminal",
    "job_channel",
    "open_event_bus",
    "pages_channel",
    "user_channel",
]
