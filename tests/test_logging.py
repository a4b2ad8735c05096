"""docat.logging: JSON lines with context ids, uvicorn routed through, the middleware."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from docat.logging import (
    RequestIdMiddleware,
    bind_document_id,
    bind_request_id,
    configure_logging,
    current_document_id,
    current_request_id,
    logging_config,
)

log = logging.getLogger("docat.test")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """JSON logging into a buffer; the previous logging setup is restored after."""
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (lg.level, lg.handlers[:], lg.propagate)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        for lg in [logging.getLogger(name)]
    }
    buffer = io.StringIO()
    configure_logging("DEBUG", json=True, stream=buffer)
    yield buffer
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, (level, handlers, propagate) in saved.items():
        lg = logging.getLogger(name)
        lg.setLevel(level)
        lg.handlers[:] = handlers
        lg.propagate = propagate
    logging.captureWarnings(False)


def records(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_record_is_one_json_object_with_ids(stream: io.StringIO) -> None:
    log.info("outside")
    with bind_request_id("req-1") as rid, bind_document_id(42):
        assert rid == "req-1"
        log.warning("inside %s", "args", extra={"pages": 3})
    first, second = records(stream)
    assert first["message"] == "outside"
    assert first["request_id"] is None and first["document_id"] is None
    assert second["message"] == "inside args"
    assert second["level"] == "WARNING"
    assert second["logger"] == "docat.test"
    assert second["request_id"] == "req-1"
    assert second["document_id"] == "42"
    assert second["pages"] == 3
    assert str(second["time"]).endswith("+00:00")


def test_binding_is_undone_on_exit() -> None:
    with bind_request_id() as generated:
        assert current_request_id() == generated and len(generated) == 32
        with bind_document_id("d1"):
            assert current_document_id() == "d1"
        assert current_document_id() is None
    assert current_request_id() is None


async def test_concurrent_tasks_keep_their_own_id(stream: io.StringIO) -> None:
    async def handle(rid: str) -> None:
        with bind_request_id(rid):
            await asyncio.sleep(0)
            log.info("handled")

    await asyncio.wait_for(asyncio.gather(*(handle(f"r{i}") for i in range(5))), timeout=5)
    handled = [str(r["request_id"]) for r in records(stream) if r["message"] == "handled"]
    assert sorted(handled) == [f"r{i}" for i in range(5)]


def test_exception_and_unserializable_extra(stream: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed", extra={"obj": object()})
    (entry,) = records(stream)
    assert "ValueError: boom" in str(entry["exception"])
    assert str(entry["obj"]).startswith("<object object")


def test_uvicorn_loggers_are_routed_through_json(stream: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info("Started server process", extra={"color_message": "x"})
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/health", "1.1", 200
    )
    started, access = records(stream)
    assert started["logger"] == "uvicorn.error" and "color_message" not in started
    assert access["method"] == "GET" and access["path"] == "/health" and access["status"] == 200


def test_uvicorn_accepts_the_dict_as_log_config() -> None:
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        # uvicorn.Config applies log_config itself (and again in each spawned worker).
        config = logging_config("INFO", True, stream=buffer)
        uvicorn.Config(app=Starlette(), log_config=config, log_level="info")
        logging.getLogger("uvicorn.error").info("hello from uvicorn")
    finally:
        root.handlers[:], root.level = saved
    assert json.loads(buffer.getvalue().splitlines()[-1])["message"] == "hello from uvicorn"


def test_text_mode_appends_ids() -> None:
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", json=False, stream=buffer)
        with bind_request_id("abc"):
            log.info("plain")
    finally:
        root.handlers[:], root.level = saved
        logging.captureWarnings(False)
    assert buffer.getvalue().rstrip().endswith("plain [request_id=abc]")


async def test_middleware_binds_and_returns_request_id(stream: io.StringIO) -> None:
    async def endpoint(request: Request) -> PlainTextResponse:
        log.info("in handler")
        return PlainTextResponse(current_request_id() or "")

    app = RequestIdMiddleware(Starlette(routes=[Route("/", endpoint)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=5) as client:
        kept = await client.get("/", headers={"X-Request-ID": "nginx-abc.1"})
        replaced = await client.get("/", headers={"X-Request-ID": "bad id\nforged log line"})
        fresh = await client.get("/")
    assert kept.text == kept.headers["x-request-id"] == "nginx-abc.1"
    assert replaced.text == replaced.headers["x-request-id"] != "bad id\nforged log line"
    assert len(fresh.headers["x-request-id"]) == 32
    logged = [r["request_id"] for r in records(stream) if r["message"] == "in handler"]
    assert logged == ["nginx-abc.1", replaced.text, fresh.text]
