"""Query cost: the validated operation is priced before execution, at most MAX_COST.

Every selected field costs 1 times the product of the `first` (or the
`last`, when given) of the connections it is nested in (the variables' values,
else the argument's default). `documents(first: 100) { edges { node { logs(first: 100) { ... } } } }`
asks for up to 10,000 log rows and is priced so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

MAX_COST = 20_000


def _first_argument(field: FieldNode, field_def: Any, variables: dict[str, Any]) -> int | None:
    """The `first` this field will run with, or None if it has no such argument.

    A `last` given (backward paging, graphql_api.relay) replaces `first` and is priced instead.
    """
    argument = field_def.args.get("first") if field_def is not None else None
    if argument is None:
        return None
    nodes = {node.name.value: node for node in field.arguments or ()}
    last = nodes.get("last")
    if last is not None and "last" in field_def.args:
        if isinstance(last.value, IntValueNode):
            return max(0, int(last.value.value))
        if isinstance(last.value, VariableNode) and isinstance(variables.get(last.value.name.value), int):
            return max(0, variables[last.value.name.value])
    for node in field.arguments or ():
        if node.name.value != "first":
            continue
        if isinstance(node.value, IntValueNode):
            return max(0, int(node.value.value))
        if isinstance(node.value, VariableNode):
            value = variables.get(node.value.name.value)
            if isinstance(value, int):
                return max(0, value)
        break
    default = argument.default_value
    return max(0, default) if isinstance(default, int) else 1


class _CostCounter:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _field_def(self, parent: GraphQLNamedType | None, name: str) -> Any:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if parent is not None and (is_object_type(parent) or is_interface_type(parent)):
            return parent.fields.get(name)  # type: ignore[union-attr]
        return None

    def selection_set(
        self,
        node: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        multiplier: int,
        seen: frozenset[str],
    ) -> int:
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                field_def = self._field_def(parent, selection.name.value)
                total += multiplier
                first = _first_argument(selection, field_def, self.variables)
                child = get_named_type(field_def.type) if field_def is not None else None
                total += self.selection_set(
                    selection.selection_set, child, multiplier * (first if first is not None else 1), seen
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, target, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(fragment.selection_set, target, multiplier, seen | {name})
            if total > MAX_COST:
                # Past the budget the exact figure does not matter: stop walking.
                return total
        return total


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> int:
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    return _CostCounter(schema, fragments, variables or {}).selection_set(
        operation.selection_set, root, 1, frozenset()
    )


class QueryCost(SchemaExtension):
    """Price the validated operation before execution."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None:
            operation = get_operation_ast(document, ctx.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
                }
                cost = query_cost(ctx.schema._schema, operation, fragments, ctx.variables)
                if cost > MAX_COST:
                    # Coded here: an error raised in on_execute reaches the result after
                    # ErrorCodes has run, so it must leave this hook already shaped.
                    raise GraphQLError(
                        f"query cost {cost} exceeds the limit of {MAX_COST}: "
                        "ask for fewer rows (`first`) or fewer nested connections",
                        extensions={"code": "BAD_USER_INPUT"},
                    )
        yield
