"""Completing objects whose selected fields are all plain attributes, without per-field machinery.

graphql-core completes every field of every object the same way: a Path, a
GraphQLResolveInfo, the resolver call, an awaitable check, then complete_value
recursing through NonNull/List wrappers. For the fields most responses are
made of (Strawberry "basic" fields: no resolver, no arguments, no field
extensions, so the value is an attribute of the source) that is ~4 µs a field,
and a list of 20 documents selects ~200 of them (bench/graphql_load.py).

A plan is made once per (object type, field group), the memo graphql-core
already keys its collected subfields by: for each response key, the attribute
to read and how to complete the value (a leaf's coerce_output_value, a nested
plain object's plan, a list of either). An object whose plan exists is
completed by running it; anything that is not plain (a resolver, arguments, an
abstract type, @defer/@stream, field middleware) has no plan and takes
graphql-core's path. Whatever would make graphql-core report an error (null
for a non-null field, a value a scalar cannot serialize, is_type_of saying no,
an attribute that raises) is not reproduced here: the plan gives up and
graphql-core completes that object from the start, so every error keeps its
message and path. Reading an attribute has no side effects, so reading it twice
is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import CustomGraphQLEnumType

# Directives the field collection applies itself; any other (@stream) leaves the field to graphql-core.
_COLLECTION_DIRECTIVES = frozenset({"skip", "include"})


class GiveUp(Exception):
    """The plan met a value graphql-core must complete itself (to report an error)."""


@dataclass(frozen=True, slots=True)
class Completion:
    """How one value (a field's, or a list's item) is completed."""

    non_null: bool
    # Exactly one of these three is set.
    leaf: GraphQLLeafType | None = None
    plan: Plan | None = None
    item: Completion | None = None
    # The object type's is_type_of, checked like graphql-core does before completing an object.
    is_type_of: Callable[[Any, Any], Any] | None = None
    # For a Strawberry enum: member -> GraphQL name (its coerce_output_value scans every value).
    enum_names: dict[Any, str] | None = None

    def complete(self, value: Any) -> Any:
        if value is None:
            if self.non_null:
                raise GiveUp
            return None
        if self.leaf is not None:
            if self.enum_names is not None:
                name = self.enum_names.get(value)
                if name is not None:
                    return name
            coerced = self.leaf.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise GiveUp
            return coerced
        if self.plan is not None:
            # Strawberry's is_type_of ignores its info argument.
            if self.is_type_of is not None and self.is_type_of(value, None) is not True:
                raise GiveUp
            return self.plan.complete(value)
        assert self.item is not None
        if not isinstance(value, list | tuple):
            raise GiveUp  # other iterables, and the error for a non-iterable, are graphql-core's
        complete_item = self.item.complete
        return [complete_item(item) for item in value]


@dataclass(frozen=True, slots=True)
class Plan:
    """The response keys of one object, each with its attribute reader and completion."""

    typename: str
    # (response key, reader or None for __typename, completion or None for __typename)
    fields: tuple[tuple[str, Callable[[Any], Any] | None, Completion | None], ...]

    def complete(self, source: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, read, completion in self.fields:
            if read is None:
                result[key] = self.typename
            else:
                assert completion is not None
                result[key] = completion.complete(read(source))
        return result


SubfieldCollector = Callable[[GraphQLObjectType, list[FieldDetails]], Any]


def build_plan(
    object_type: GraphQLObjectType, field_group: list[FieldDetails], collect: SubfieldCollector
) -> Plan | None:
    """The plan for these selections of `object_type`, or None if any of them is not plain.

    `collect` is the executor's memoized collect_subfields: (grouped field set,
    new defer usages, forbidden-field info).
    """
    grouped, new_defer_usages, *_ = collect(object_type, field_group)
    if new_defer_usages:
        return None
    fields: list[tuple[str, Callable[[Any], Any] | None, Completion | None]] = []
    for key, details in grouped.items():
        node = details[0].node
        if node.name.value == "__typename":
            fields.append((key, None, None))
            continue
        field = object_type.fields.get(node.name.value)
        if field is None or not _is_plain(field, details):
            return None
        read = _reader(field)
        completion = _completion(field.type, details, collect)
        if read is None or completion is None:
            return None
        fields.append((key, read, completion))
    return Plan(typename=object_type.name, fields=tuple(fields))


def _is_plain(field: Any, details: list[FieldDetails]) -> bool:
    # Strawberry marks the resolver of a field with no resolver and no extensions.
    if not getattr(field.resolve, "_is_default", False) or field.args:
        return False
    for detail in details:
        if detail.node.arguments:
            return False
        if any(d.name.value not in _COLLECTION_DIRECTIVES for d in detail.node.directives or ()):
            return False
    return True


def _reader(field: Any) -> Callable[[Any], Any] | None:
    definition = field.extensions.get("strawberry-definition") if field.extensions else None
    if definition is None:
        return None
    if definition.default_resolver is getattr:
        return attrgetter(definition.python_name)
    resolve = field.resolve
    return lambda source: resolve(source, None)


def _completion(
    output_type: GraphQLOutputType, details: list[FieldDetails], collect: SubfieldCollector
) -> Completion | None:
    non_null = isinstance(output_type, GraphQLNonNull)
    inner: Any = output_type.of_type if non_null else output_type  # type: ignore[union-attr]
    if is_leaf_type(inner):
        return Completion(non_null=non_null, leaf=inner, enum_names=_enum_names(inner))
    if isinstance(inner, GraphQLList):
        item = _completion(inner.of_type, details, collect)
        return Completion(non_null=non_null, item=item) if item is not None else None
    if is_object_type(inner):
        plan = build_plan(inner, details, collect)
        if plan is None:
            return None
        return Completion(non_null=non_null, plan=plan, is_type_of=inner.is_type_of)
    return None  # interfaces and unions: the runtime type is graphql-core's to resolve


# Per enum type, made on first use: plans are made per operation, enum types live with the schema.
_ENUM_NAMES: dict[CustomGraphQLEnumType, dict[Any, str]] = {}


def _enum_names(leaf: GraphQLLeafType) -> dict[Any, str] | None:
    """What CustomGraphQLEnumType.coerce_output_value answers for each member, as one lookup."""
    if not isinstance(leaf, CustomGraphQLEnumType):
        return None
    names = _ENUM_NAMES.get(leaf)
    if names is None:
        members: list[Enum] = list(leaf.wrapped_cls)
        names = _ENUM_NAMES[leaf] = {
            member: name
            for name, value in leaf.values.items()
            for member in members
            if member.value == value.value
        }
    return names
