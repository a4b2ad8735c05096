"""Literal substring search: user input never acts as a LIKE pattern or SQL."""

from __future__ import annotations

from tortoise.expressions import Q

MAX_SEARCH_LENGTH = 200


def contains_literally(field: str, text: str) -> Q:
    """Tortoise's `icontains` escapes %, _ and \\ itself and binds the value as a parameter."""
    return Q(**{f"{field}__icontains": text[:MAX_SEARCH_LENGTH]})
