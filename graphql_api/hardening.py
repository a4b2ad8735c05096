"""GraphQL hardening: every operation is bounded before a resolver runs.

In the order an operation meets them:

1. before parsing (RequestBudget): one hit of the caller's request budget
   (`docat.rate_limits`), keyed by the verified token's subject without a
   database read, so a flood of costly documents is stopped by the rate limit
   before it costs anything to parse or validate;
2. parse (LimitedParserCache, in place of Strawberry's ParserCache): at most
   MAX_QUERY_LENGTH characters (refused before lexing) and MAX_TOKENS tokens
   (the lexer stops there, as Strawberry's MaxTokensLimiter does), then at
   most MAX_SELECTIONS selections (fields, fragment spreads, inline
   fragments), counted in one pass over the AST before any validation rule:
   `{ me{email} me{email} ...x1240 }` fits the token limit but would cost
   seconds in OverlappingFieldsCanBeMerged;
3. validation (graphql_api.validation): depth at most MAX_DEPTH, at most
   MAX_ALIASES aliases (Strawberry's QueryDepthLimiter and MaxAliasesLimiter
   rules), introspection only where `settings.introspection_enabled`, then
   the spec's rules, in a thread for documents over THREAD_SELECTIONS;
4. before execution: the query cost (below) at most MAX_COST.

Cost: every selected field costs 1 times the product of the `first` (or the
`last`, when given) of the connections it is nested in (the variables' values,
else the argument's default). `documents(first: 100) { edges { node { logs(first: 100) { ... } } } }`
asks for up to 10,000 log rows and is priced so.

The rule classes are made once at import: the validation cache is keyed by
the rule classes, and a class made per request would never hit it. Every
refusal here is BAD_USER_INPUT (a syntax error: GRAPHQL_PARSE_FAILED); the
budget raises RATE_LIMITED.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
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
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.language import parse
from graphql.utilities import get_operation_ast
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types import ExecutionContext

from docat import metrics
from docat.errors import DocatError, RateLimited

log = logging.getLogger("docat.graphql")

MAX_QUERY_LENGTH = 100_000
MAX_TOKENS = 5_000
MAX_DEPTH = 12
MAX_ALIASES = 50
MAX_COST = 20_000
# GraphiQL's introspection query has ~85 selections, the dashboard's largest ~40.
MAX_SELECTIONS = 400
# Past this many selections, validation runs in a worker thread.
THREAD_SELECTIONS = 100
# A batch (JSON array) request carries at most this many operations.
MAX_BATCH = 10

_StrawberryDepthRule = depth_validator(MAX_DEPTH, None)


class DepthLimit(_StrawberryDepthRule):  # type: ignore[misc,valid-type]
    """Strawberry's depth rule, minus its KeyError on an undefined fragment.

    KnownFragmentNames reports that fragment as the client's mistake; the
    depth rule must not turn it into an internal error first.
    """

    def __init__(self, context: ValidationContext) -> None:
        try:
            super().__init__(context)
        except KeyError:
            ValidationRule.__init__(self, context)


AliasLimit = aliases_validator(MAX_ALIASES)


class LimitedParserCache(ParserCache):
    """Strawberry's cached parse with the parser's own limits and a selection count.

    The limits refuse a long or token-heavy document before an AST is built. Nothing is
    raised from this hook: an exception here would escape a streamed operation (WebSocket,
    multipart) instead of answering it. A document that does not parse is left unset, so
    Strawberry parses it again with the same limits and reports the syntax error itself
    (graphql_api.errors codes it GRAPHQL_PARSE_FAILED); one with too many selections is
    refused through `refuse_before_validation`.
    """

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.parse_options["max_tokens"] = MAX_TOKENS
        # graphql-core 3.3's option; Strawberry's ParseOptions type does not list it yet.
        ctx.parse_options["max_source_length"] = MAX_QUERY_LENGTH  # type: ignore[typeddict-unknown-key]
        if ctx.graphql_document is None and ctx.query:
            try:
                document = self.cached_parse_document(ctx.query, **ctx.parse_options)
            except GraphQLError:
                document = None
            if document is not None:
                count = selection_count(document)
                if count > MAX_SELECTIONS:
                    refuse_before_validation(
                        ctx,
                        GraphQLError(
                            f"the document has {count} selections, more than the limit of "
                            f"{MAX_SELECTIONS}: split it into smaller operations",
                            extensions={"code": "BAD_USER_INPUT"},
                        ),
                    )
                else:
                    ctx.graphql_document = document
        yield


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def refuse_before_validation(ctx: ExecutionContext, error: GraphQLError) -> None:
    """Answer the operation with `error` before its document is parsed or validated.

    Strawberry's way to end an operation from a hook without raising: a document is in
    place (so it parses nothing) and pre-execution errors are set (so it validates
    nothing and returns them as the operation's result).
    """
    # A stand-in document: a query every transport allows, named as the request asks.
    name = ctx.operation_name
    ctx.graphql_document = parse(f"query {name if name and _NAME.fullmatch(name) else ''} {{ __typename }}")
    ctx.pre_execution_errors = [error]


@lru_cache(maxsize=512)
def selection_count(document: DocumentNode) -> int:
    """Fields, fragment spreads and inline fragments written in the document (each fragment once).

    Linear in the document and without recursion (a document nested to the token limit
    must not reach the interpreter's recursion limit); cached with the parsed document.
    """
    count = 0
    pending: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        selection_set = pending.pop()
        for selection in selection_set.selections:
            count += 1
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return count


class RequestBudget(SchemaExtension):
    """One hit of the caller's request budget, before the document is even parsed."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        try:
            await _charge_budget(self.execution_context.context)
        except RateLimited as exc:
            metrics.record_error(exc.code)
            refuse_before_validation(self.execution_context, GraphQLError(exc.message, original_error=exc))
        yield


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


async def _charge_budget(context: Any) -> None:
    resources = getattr(context, "resources", None)
    if resources is None:  # a context without the service's resources (a bare schema in a test)
        return
    try:
        await resources.rate_limiter.hit_request(context, _budget_subject(context))
    except RateLimited:
        raise
    except Exception:
        # The limiter's store (Redis) failing must not take the API down with it, nor
        # reach the client (errors raised here skip ErrorCodes): fail open, loudly.
        log.warning("request budget unavailable; operation allowed", exc_info=True)


def _budget_subject(context: Any) -> str | None:
    """Whose budget an operation spends: the user a verified token names, else None (the address).

    No database read: the signature proves who the token was issued to, and an
    operation that needs the account loads it (and refuses a deactivated one)
    in its resolvers. The token version is part of the key, so a token revoked
    by a password change cannot spend the budget of the user's current tokens.
    """
    if getattr(context, "viewer_loaded", False):
        viewer = context.viewer
        return f"{viewer.id}:v{viewer.token_version}" if viewer is not None else None
    token_claims = getattr(context, "token_claims", None)
    if token_claims is None:
        return None
    try:
        claims = token_claims()
    except DocatError:
        # A bad token: the resolvers answer UNAUTHENTICATED; count it by address.
        return None
    return f"{claims.user_id}:v{claims.token_version}" if claims is not None else None


def hardening_extensions() -> list[type[SchemaExtension]]:
    """For build_schema's extensions list (classes: one instance per operation)."""
    from graphql_api.validation import DocumentValidation

    return [RequestBudget, DocumentValidation, QueryCost]
