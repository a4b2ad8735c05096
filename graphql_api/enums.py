"""The models' enums as GraphQL enums, described as a whole and value by value.

strawberry.enum registers a model's own enum in place (resolvers and models share one type), but
value descriptions need `strawberry.enum_value` inside the class, which would put GraphQL into
`models/`. Here they are set on the registered definition instead, so the models stay plain.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(cls: E, *, name: str, description: str, values: Mapping[str, str]) -> E:
    """Register `cls` as the GraphQL enum `name`, `values` describing its members by name.

    A member added to the model without a description here still works; it is only left
    undescribed, which tests/api/test_schema_descriptions.py reports. A name that is not a
    member is a typo and fails at import.
    """
    unknown = set(values) - set(cls.__members__)
    if unknown:
        raise ValueError(f"{name} has no members {sorted(unknown)}")
    registered = strawberry.enum(cls, name=name, description=description)
    definition: Any = registered.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values.get(value.name)
    return registered
