"""Relay plumbing: the Node interface, opaque global IDs and keyset connections.

Global IDs are base64("Type:key"): opaque to clients, decodable here only.
Cursors are base64 of the sort key of the row (created_at/at and id), so a
page is one indexed range query however deep the client pages. totalCount is
resolved on demand: a client that does not select it costs no COUNT.

Both directions of the Relay spec: `first`/`after` page from the newest end,
`last`/`before` from the oldest end (backward paging); edges are newest first
either way, and `nodes` lists the edges' nodes for clients that need no cursors.
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

# The paging arguments of every connection field, described once.
AFTER_ARGUMENT = strawberry.argument(description="A cursor: the page takes rows after it (older rows).")
BEFORE_ARGUMENT = strawberry.argument(
    description="A cursor: the page takes rows before it (newer rows); page backward with `last`."
)
LAST_ARGUMENT = strawberry.argument(
    description=(
        f"Page size counted from the oldest end of the range (backward paging), 0..{MAX_PAGE_SIZE}; "
        "given, it replaces `first`."
    )
)


def first_argument(default: int) -> Any:
    return strawberry.argument(
        description=(
            f"Page size counted from the newest end of the range, 0..{MAX_PAGE_SIZE} "
            f"(null: {default}); ignored when `last` is given."
        )
    )


@strawberry.interface(description="An object with an opaque global ID; `Query.node` resolves any of them.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global ID: stable, unique across types; `Query.node` resolves it."
    )


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


@strawberry.type(
    description="Where a page of a connection sits in the whole list (Relay cursor connections)."
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when rows follow this page (older ones: the lists are newest first)."
    )
    has_previous_page: bool = strawberry.field(
        description="True when rows precede this page (newer ones): page back with `last` and `before`."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first edge of the page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge of the page; null when the page is empty."
    )


@strawberry.type(description="One row of a connection with its opaque cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The row itself.")
    cursor: str = strawberry.field(
        description="Opaque position of this row; pass it as `after` or `before` to page from here."
    )


@strawberry.type(description="One page of a list, newest first (Relay cursor connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The rows of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more rows exist either way.")
    # The rows the connection pages through, counted only if a client asks for totalCount.
    count_query: strawberry.Private[QuerySet[Any] | None] = None
    known_total: strawberry.Private[int | None] = None
    counting: strawberry.Private[asyncio.Task[int] | None] = None

    @strawberry.field(description="The rows of this page without their cursors, in the order of `edges`.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many rows the whole list has across all pages (one COUNT, made only when selected)."
    )
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


def check_page_size(first: int | None, *, default: int = 20, name: str = "first") -> int:
    if first is None:
        return default
    if first < 0:
        raise BadUserInput(f"`{name}` must not be negative")
    if first > MAX_PAGE_SIZE:
        raise BadUserInput(f"`{name}` must be at most {MAX_PAGE_SIZE}")
    return first


def _beyond(query: QuerySet[Any], cursor: str, time_field: str, key_field: str, *, newer: bool) -> Q:
    """Rows strictly after (older than) or before (newer than) `cursor` in newest-first order."""
    at, raw_key = decode_cursor(cursor)
    key = cursor_key(query, key_field, raw_key)
    op = "gt" if newer else "lt"
    other_time: dict[str, Any] = {f"{time_field}__{op}": at}
    same_time: dict[str, Any] = {time_field: at}
    other_key: dict[str, Any] = {f"{key_field}__{op}": key}
    return Q(**other_time) | (Q(**same_time) & Q(**other_key))


async def paginate(
    query: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    time_field: str,
    convert: Callable[[Any], T],
    key_field: str = "id",
    last: int | None = None,
    before: str | None = None,
    default_size: int = 20,
) -> Connection[T]:
    """Newest first, keyset by (time_field, key_field) descending.

    `first` takes the newest rows of the range (older than `after`, newer than `before`),
    `last` (which replaces `first`) the oldest ones; either way the page is one range query
    ordered by the index, edges newest first. totalCount costs a COUNT query only when the
    client selects it (and not even then on a page that holds every row).
    """
    # `first` has a default in the schema, so a client asking for `last` gets it too: `last` wins.
    backward = last is not None
    size = check_page_size(last, name="last") if backward else check_page_size(first, default=default_size)
    page_query = query
    if after:
        page_query = page_query.filter(_beyond(query, after, time_field, key_field, newer=False))
    if before:
        page_query = page_query.filter(_beyond(query, before, time_field, key_field, newer=True))
    if backward:
        # The oldest rows of the range: read oldest first, then turn the page around.
        order = (time_field, key_field)
    else:
        order = (f"-{time_field}", f"-{key_field}")
    rows: Sequence[Any] = await page_query.order_by(*order).limit(size + 1)
    more = len(rows) > size
    rows = list(rows[:size])
    if backward:
        rows.reverse()
    edges = [
        Edge(node=convert(row), cursor=encode_cursor(getattr(row, time_field), getattr(row, key_field)))
        for row in rows
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=before is not None if backward else more,
            has_previous_page=more if backward else after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_query=query,
        # A page of an unbounded range that holds every row has counted them already.
        known_total=len(rows) if after is None and before is None and not more else None,
    )
