"""Relay plumbing: the Node interface, opaque global IDs and keyset connections.

Global IDs are base64("Type:key"): opaque to clients, decodable here only.
Cursors are base64 of the sort key of the row (created_at/at and id), so a
page is one indexed range query however deep the client pages. totalCount is
resolved on demand: a client that does not select it costs no COUNT.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from docat.errors import BadUserInput, NotFound

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@strawberry.interface(description="An object with an opaque global ID; `Query.node` resolves any of them.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, key: object) -> strawberry.ID:
    raw = f"{type_name}:{key}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def from_global_id(global_id: str) -> tuple[str, str]:
    """Decode a global ID; anything malformed is simply not found."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, key = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise NotFound("not found") from exc
    if not type_name or not key:
        raise NotFound("not found")
    return type_name, key


def expect_global_id(global_id: str, type_name: str) -> str:
    kind, key = from_global_id(global_id)
    if kind != type_name:
        raise NotFound(f"{type_name} not found")
    return key


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    # The rows the connection pages through, counted only if a client asks for totalCount.
    count_query: strawberry.Private[QuerySet[Any] | None] = None
    known_total: strawberry.Private[int | None] = None
    counting: strawberry.Private[asyncio.Task[int] | None] = None

    @strawberry.field
    async def total_count(self) -> int:
        if self.known_total is None:
            if self.counting is None:
                assert self.count_query is not None
                # One COUNT however many aliases select it (they resolve concurrently).
                self.counting = asyncio.ensure_future(self.count_query.count())
            self.known_total = await self.counting
        return self.known_total


def encode_cursor(at: datetime, key: object) -> str:
    raw = orjson.dumps([at.isoformat(), str(key)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Row ids are 64-bit integers in both databases; a larger number is nobody's row.
MAX_ROW_ID = 2**63 - 1
# A year both databases and Python's datetime can hold once converted to UTC.
_CURSOR_YEARS = range(1, 9999)


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, key) a cursor names; anything a client crafted is BAD_USER_INPUT, never a query error.

    The time comes back in UTC (a naive one is taken as UTC): an offset that pushes
    year 1 or 9999 past datetime's range would otherwise overflow in the driver.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment.year not in _CURSOR_YEARS:
            raise ValueError("cursor date out of range")
        moment = moment.astimezone(UTC)
        if not isinstance(key, str | int) or "\x00" in str(key):
            raise ValueError("cursor key")
        return moment, str(key)
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise BadUserInput("invalid cursor") from exc


def cursor_key(query: QuerySet[Any], key_field: str, key: str) -> object:
    """The cursor's key as the key column's type: a UUID or a 64-bit integer, else BAD_USER_INPUT."""
    field = query.model._meta.fields_map.get(key_field)
    kind = type(field).__name__ if field is not None else ""
    try:
        if "UUID" in kind:
            return uuid.UUID(key)
        if "Int" in kind:
            return row_id(key)
    except ValueError as exc:
        raise BadUserInput("invalid cursor") from exc
    return key


def row_id(key: str) -> int:
    """An integer row id from client text; ValueError if it is not one a row could have."""
    number = int(key)
    if not 0 < number <= MAX_ROW_ID:
        raise ValueError("row id out of range")
    return number


def check_page_size(first: int | None) -> int:
    if first is None:
        return 20
    if first < 0:
        raise BadUserInput("`first` must not be negative")
    if first > MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be at most {MAX_PAGE_SIZE}")
    return first


async def paginate(
    query: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    time_field: str,
    convert: Callable[[Any], T],
    key_field: str = "id",
) -> Connection[T]:
    """Newest first, keyset by (time_field, key_field) descending.

    totalCount costs a COUNT query only when the client selects it (and not
    even then on a first page that holds every row).
    """
    size = check_page_size(first)
    page_query = query
    if after:
        at, raw_key = decode_cursor(after)
        key = cursor_key(query, key_field, raw_key)
        before: dict[str, Any] = {f"{time_field}__lt": at}
        same_time: dict[str, Any] = {time_field: at}
        lower_key: dict[str, Any] = {f"{key_field}__lt": key}
        page_query = page_query.filter(Q(**before) | (Q(**same_time) & Q(**lower_key)))
    rows: Sequence[Any] = await page_query.order_by(f"-{time_field}", f"-{key_field}").limit(size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [
        Edge(node=convert(row), cursor=encode_cursor(getattr(row, time_field), getattr(row, key_field)))
        for row in rows
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_query=query,
        # A first page that holds every row has counted them already.
        known_total=len(rows) if after is None and not has_next else None,
    )
