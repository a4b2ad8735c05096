"""Literal substring search: user input never acts as a LIKE pattern or SQL."""

from __future__ import annotations

from tortoise.expressions import Q

from docat.errors import BadUserInput

MAX_SEARCH_LENGTH = 200


def contains_literally(field: str, text: str) -> Q:
    """Tortoise's `icontains` escapes %, _ and \\ itself and binds the value as a parameter.

    PostgreSQL's text cannot hold a NUL character (the query would fail, not miss):
    refused as bad input on every database alike.
    """
    if "\x00" in text:
        raise BadUserInput("search text must not contain NUL characters")
    return Q(**{f"{field}__icontains": text[:MAX_SEARCH_LENGTH]})
