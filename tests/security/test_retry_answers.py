"""Which GraphQL answers get an HTTP status and a Retry-After header (graphql_api.retry_headers)."""

from __future__ import annotations

from typing import Any

from docat.outages import outage_of
from graphql_api.retry_headers import retry_answer


def error(code: str, retry_after: int | None = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if retry_after is not None:
        extensions["retryAfter"] = retry_after
    return {"message": code.lower(), "extensions": extensions}


def test_a_plain_answer_gets_nothing() -> None:
    assert retry_answer({"data": {"me": {"email": "a@example.com"}}}) == (None, {})
    assert retry_answer({"data": None, "errors": [error("NOT_FOUND")]}) == (None, {})


def test_rate_limited_keeps_200_and_says_when() -> None:
    assert retry_answer({"data": None, "errors": [error("RATE_LIMITED", 42)]}) == (
        None,
        {"Retry-After": "42"},
    )


def test_an_outage_of_the_whole_request_is_503() -> None:
    whole = {"data": None, "errors": [error("SERVICE_UNAVAILABLE", 5)]}
    assert retry_answer(whole) == (503, {"Retry-After": "5"})
    # A nullable root field that failed: nothing was answered either.
    assert retry_answer({"data": {"me": None}, "errors": [error("SERVICE_UNAVAILABLE", 5)]})[0] == 503


def test_a_partial_answer_or_a_mixed_batch_stays_200() -> None:
    partial = {"data": {"a": 1, "b": None}, "errors": [error("SERVICE_UNAVAILABLE", 5)]}
    assert retry_answer(partial) == (None, {"Retry-After": "5"})
    batch = [{"data": {"a": 1}}, {"data": None, "errors": [error("SERVICE_UNAVAILABLE", 3)]}]
    assert retry_answer(batch) == (None, {"Retry-After": "3"})
    down = [{"data": None, "errors": [error("SERVICE_UNAVAILABLE", 3)]}] * 2
    assert retry_answer(down) == (503, {"Retry-After": "3"})


def test_only_connection_errors_are_outages() -> None:
    import asyncpg.exceptions
    import redis.exceptions
    from tortoise.exceptions import IntegrityError, OperationalError

    assert outage_of(redis.exceptions.ConnectionError("refused")) == "redis"
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
        except Exception as inner:
            raise OperationalError(inner) from inner  # as Tortoise wraps it
    except OperationalError as wrapped:
        assert outage_of(wrapped) == "database"
    assert outage_of(ConnectionRefusedError()) == "network"
    assert outage_of(IntegrityError("duplicate key")) is None
    assert outage_of(ValueError("bad input")) is None
