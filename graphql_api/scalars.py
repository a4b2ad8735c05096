"""Scalars of the contract: Upload (multipart spec), DateTime, Date, JSON.

DateTime and Date are Strawberry's, with a description and `@specifiedBy` the scalars.graphql.org
specifications they follow (RFC 3339 with an offset; a full-date). The schema maps Python's
datetime and date to them (`SCALAR_MAP`, in schema.py).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from strawberry.file_uploads import Upload
from strawberry.scalars import JSON
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition


def _rfc3339(value: datetime) -> str:
    # Every timestamp here is UTC; a value read back without its zone (some drivers) gets it again,
    # so the output always carries the offset the specification requires.
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description=(
        "A moment in time: an RFC 3339 date-time with its UTC offset, e.g. "
        '"2026-01-31T09:30:00.123456+00:00". The service writes UTC.'
    ),
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
    serialize=_rfc3339,
)
DATE = dataclasses.replace(
    DateDefinition,
    description='A calendar day: an RFC 3339 full-date, "YYYY-MM-DD" (days are UTC days here).',
    specified_by_url="https://scalars.graphql.org/andimarek/local-date",
)
SCALAR_MAP: dict[object, ScalarDefinition] = {datetime: DATE_TIME, date: DATE}

__all__ = ["DATE", "DATE_TIME", "JSON", "SCALAR_MAP", "Upload"]
