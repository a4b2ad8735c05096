"""Objects completed from a plan answer exactly what graphql-core's own completion answers.

The same Strawberry schema runs with graphql-core's executor and with ours
(graphql_api.execution); every query must give the same data and the same
errors (message, path), including the cases where the plan gives up.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import graphql_api.execution as execution
from graphql_api.execution import ExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    GREEN = "green"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag:
    label: str
    weight: float | None


@strawberry.type
class Item(Named):
    count: int
    colour: Colour
    tags: list[Tag]
    maybe: Tag | None
    scores: list[int | None]
    required: str

    @strawberry.field
    def doubled(self) -> int:
        return self.count * 2


class Broken:
    """An attribute that raises: graphql-core reports it at its path."""

    name = "broken"
    count = 1
    colour = Colour.RED
    tags: list[Any] = []
    maybe = None
    scores: list[int | None] = []

    @property
    def required(self) -> str:
        raise RuntimeError("attribute failed")


def _item(n: int, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "name": f"item-{n}",
        "count": n,
        "colour": Colour.GREEN if n % 2 else Colour.RED,
        "tags": [Tag(label=f"t{n}", weight=n / 2), Tag(label="x", weight=None)],
        "maybe": Tag(label="m", weight=1.5) if n % 2 else None,
        "scores": [n, None, n + 1],
        "required": "yes",
    }
    values.update(overrides)
    return Item(**values)


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [_item(n) for n in range(5)]

    @strawberry.field
    def with_null_required(self) -> list[Item]:
        return [_item(1), _item(2, required=None)]

    @strawberry.field
    def with_bad_enum(self) -> list[Item]:
        return [_item(1, colour="purple")]

    @strawberry.field
    def with_bad_int(self) -> list[Item]:
        return [_item(1, count="many")]

    @strawberry.field
    def with_raising_attribute(self) -> list[Item]:
        return [_item(1), Broken()]  # type: ignore[list-item]

    @strawberry.field
    def named(self) -> list[Named]:
        return [_item(3)]


def _schema(context_class: type) -> strawberry.Schema:
    return strawberry.Schema(query=Query, types=[Item], execution_context_class=context_class)


REFERENCE = _schema(StrawberryGraphQLCoreExecutionContext)
OURS = _schema(ExecutionContext)

FIELDS = "name count colour required tags { label weight } maybe { label weight __typename } scores"
QUERIES = [
    f"{{ items {{ {FIELDS} }} }}",
    "{ items { a: name b: name __typename doubled tags { label } } }",
    "{ items { ...F } } fragment F on Item { name colour tags { ... on Tag { label } } }",
    "query Q($skip: Boolean!) { items { name count @skip(if: $skip) colour @include(if: $skip) } }",
    f"{{ withNullRequired {{ {FIELDS} }} }}",
    "{ withBadEnum { name colour } }",
    "{ withBadInt { name count } }",
    "{ withRaisingAttribute { name required } }",
    "{ named { name ... on Item { count colour } } }",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("skip", [True, False])
def test_same_answer_as_graphql_core(query: str, skip: bool) -> None:
    expected = REFERENCE.execute_sync(query, variable_values={"skip": skip})
    got = OURS.execute_sync(query, variable_values={"skip": skip})
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]


def test_plain_objects_take_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    planned: list[str] = []
    build_plan = execution.build_plan

    def spy(object_type: Any, *args: Any) -> Any:
        plan = build_plan(object_type, *args)
        planned.append(f"{object_type.name}:{plan is not None}")
        return plan

    monkeypatch.setattr(execution, "build_plan", spy)
    result = OURS.execute_sync(f"{{ items {{ {FIELDS} }} }}")
    assert not result.errors
    # One plan per field group, reused for all five items; `doubled` has a resolver: no plan.
    assert planned == ["Item:True"]
    planned.clear()
    OURS.execute_sync("{ items { name doubled } }")
    assert planned == ["Item:False"]
