"""Structured logs: one JSON object per line, carrying the request and document ids.

The ids live in contextvars, so every record logged while handling a request
or a job carries them, in whatever module it was logged and across `await`s,
without passing them around:

    with bind_request_id(incoming_header):        # RequestIdMiddleware does this
        with bind_document_id(document.id):
            log.info("stored upload")              # {"request_id": ..., "document_id": ...}

`logging_config()` is a stdlib dictConfig; `configure_logging()` applies it.
Give the same dict to uvicorn as `log_config`: uvicorn re-applies it in each
process it spawns (`--workers N`), and its own loggers ("uvicorn",
"uvicorn.error", "uvicorn.access") then propagate to our one handler instead
of printing their own format.

No line carries a secret: every formatted record goes through `redact()`,
which blanks the values of secret-named fields (password, token, apiKey...)
in JSON, Python and GraphQL notation, bearer tokens and JWTs, provider keys,
values graphql-core echoes when it refuses a variable, and the query string
(signature, expiry) of `/files/...` links, so an access log line keeps the
path of a download but not the link that grants it.

This module shadows nothing: with absolute imports `import logging` below is
the standard library.
"""

from __future__ import annotations

import json as jsonlib
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("docat_request_id", default=None)
_document_id: ContextVar[str | None] = ContextVar("docat_document_id", default=None)

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "document_id", "taskName"}
)
# uvicorn adds an ANSI-coloured copy of its message; useless in JSON.
_DROPPED_EXTRAS = frozenset({"color_message"})


# ---- the context ----------------------------------------------------------


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def current_document_id() -> str | None:
    return _document_id.get()


@contextmanager
def bind_request_id(request_id: str | None = None) -> Iterator[str]:
    """Every record logged inside carries `request_id` (a new one if None)."""
    value = request_id or new_request_id()
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


@contextmanager
def bind_document_id(document_id: str | int) -> Iterator[str]:
    """Every record logged inside carries `document_id` (jobs, upload handling)."""
    value = str(document_id)
    token = _document_id.set(value)
    try:
        yield value
    finally:
        _document_id.reset(token)


# ---- redaction -----------------------------------------------------------

REDACTED = "[REDACTED]"
_SECRET_NAMES = (
    r"(?:new|current|old)?_?password|passwd|secret|(?:access|refresh|id)?_?token|api_?key|"
    r"provider_?key|authorization|signature|sig|credentials?"
)
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # OpenAI-style, Google API and webhook secrets.
    (re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|whsec_[A-Za-z0-9+/=_-]{8,})"), REDACTED),
    # password: "x" / 'password': 'x' / "password":"x" / password=x (GraphQL, repr, JSON, query strings)
    (
        re.compile(
            rf"""(?ix)(["']?\b(?:{_SECRET_NAMES})\b["']?\s*[:=]\s*)"""
            # Not a scheme word: "Authorization: Bearer <token>" is left to the Bearer pattern above.
            r"""(?!Bearer\b|Basic\b)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&)}\]]+)"""
        ),
        rf"\1{REDACTED}",
    ),
    # graphql-core echoes a refused value: "String cannot represent a non string value: ['hunter2']".
    (re.compile(r"(?i)(cannot represent [^:]*value):[^\n]*"), rf"\1: {REDACTED}"),
    (re.compile(r"(?i)(got invalid value) .*?(;|$)", re.MULTILINE), rf"\1 {REDACTED}\2"),
    # A signed download link: keep the path, drop what grants access.
    (re.compile(r"(/files/[^\s?\"'#]*)\?[^\s\"'#]*"), r"\1"),
)


def redact(text: str) -> str:
    """`text` without the secrets it may carry (see the module docstring)."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# ---- records --------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Copies the contextvars onto the record while still in the logging call's context."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.document_id = _document_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "document_id": getattr(record, "document_id", None),
        }
        if record.name == "uvicorn.access":
            entry.update(_access_fields(record))
        for key, val in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in _DROPPED_EXTRAS and not key.startswith("_"):
                entry.setdefault(key, redact(val) if isinstance(val, str) else val)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # default=str: an odd `extra` value must never make a log call raise.
        return jsonlib.dumps(entry, default=str, ensure_ascii=False)


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    # uvicorn logs access as '%s - "%s %s HTTP/%s" %d' with these five args.
    args = record.args
    if isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        return {
            "client": client,
            "method": method,
            "path": redact(path) if isinstance(path, str) else path,
            "http_version": http_version,
            "status": status,
        }
    return {}


class TextFormatter(logging.Formatter):
    """For a terminal (LOG_JSON=false): the usual line, ids appended when bound."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        ids = [
            f"{name}={val}"
            for name in ("request_id", "document_id")
            if (val := getattr(record, name, None)) is not None
        ]
        return f"{line} [{' '.join(ids)}]" if ids else line


# ---- configuration --------------------------------------------------------


def logging_config(level: str = "INFO", json: bool = True, stream: TextIO | None = None) -> dict[str, Any]:
    """The dictConfig for every docat process; also uvicorn's `log_config`."""
    level = level.upper()
    return {
        "version": 1,
        # Loggers created at import time (libraries) must keep working.
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "docat.logging.ContextFilter"}},
        "formatters": {
            "json": {"()": "docat.logging.JsonFormatter"},
            "text": {"()": "docat.logging.TextFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                # Containers collect stdout; one stream keeps lines in order.
                "stream": stream if stream is not None else "ext://sys.stdout",
                "formatter": "json" if json else "text",
                "filters": ["context"],
            }
        },
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {name: {"level": level, "handlers": [], "propagate": True} for name in UVICORN_LOGGERS},
    }


def configure_logging(level: str = "INFO", json: bool = True, stream: TextIO | None = None) -> None:
    """Route every logger (ours, libraries', uvicorn's) through one formatted handler."""
    logging.config.dictConfig(logging_config(level, json, stream))
    # Warnings (DeprecationWarning from libraries...) become records too.
    logging.captureWarnings(True)


# ---- HTTP ----------------------------------------------------------------

# A client-supplied id is echoed into logs: accept only harmless shapes.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestIdMiddleware:
    """Binds a request id around each HTTP request and WebSocket connection.

    Reuses a well-formed `X-Request-ID` (nginx sets one, so its access log and
    ours share the id), otherwise makes one, and returns it on the response.
    """

    def __init__(self, app: ASGIApp, header: str = "x-request-id") -> None:
        self.app = app
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(self.header)
        valid = incoming if incoming and _VALID_REQUEST_ID.fullmatch(incoming) else None
        with bind_request_id(valid) as request_id:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message)[self.header] = request_id
                await send(message)

            await self.app(scope, receive, send_with_id)


__all__ = [
    "ContextFilter",
    "JsonFormatter",
    "RequestIdMiddleware",
    "TextFormatter",
    "bind_document_id",
    "bind_request_id",
    "configure_logging",
    "current_document_id",
    "current_request_id",
    "logging_config",
    "new_request_id",
    "redact",
]
