"""Validation of a parsed operation: the house limits first, then the spec's rules, off the loop when large.

Two passes, each cached by document (the parser cache returns the same AST
for the same text) and each shaping its errors once:

1. the house limits (depth, aliases, introspection where it is off): a
   refusal of policy, BAD_USER_INPUT. A document they refuse never reaches
   the spec's rules, the expensive ones (OverlappingFieldsCanBeMerged is
   quadratic in fields of one name);
2. the spec's rules: GRAPHQL_VALIDATION_FAILED, the code clients and
   gateways key on, except a bad argument value, which stays BAD_USER_INPUT.

graphql_api.hardening has already refused a document with more than
MAX_SELECTIONS selections before this runs, so what remains is bounded; a
document with more than THREAD_SELECTIONS selections is still validated in a
worker thread, so the event loop keeps serving other requests (the thread
gives the GIL back every few milliseconds). Suggestions ("Did you mean
'email'?") are hidden where introspection is off: they would describe the
schema piece by piece.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ValidationRule,
    ValuesOfCorrectTypeRule,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from graphql_api.hardening import THREAD_SELECTIONS, AliasLimit, DepthLimit, selection_count

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"


class ArgumentValues(ValuesOfCorrectTypeRule):
    """The spec's rule for literal argument values, its errors coded as bad input (not a bad document)."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        super().report_error(error)


POLICY_RULES: tuple[type[ValidationRule], ...] = (DepthLimit, AliasLimit)
POLICY_RULES_NO_INTROSPECTION = (*POLICY_RULES, NoSchemaIntrospectionCustomRule)
SPEC_RULES: tuple[type[ASTValidationRule], ...] = (
    *(ArgumentValues if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules),
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)


def _coded(errors: list[GraphQLError], code: str) -> list[GraphQLError]:
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}
    return errors


@lru_cache(maxsize=512)
def validate_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    policy: tuple[type[ValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """Policy first, then the spec's rules; each error with its contract code. Pure, so cached."""
    refused = validate(schema, document, policy, hide_suggestions=hide_suggestions)
    if refused:
        return _coded(refused, BAD_USER_INPUT)
    return _coded(
        validate(schema, document, SPEC_RULES, hide_suggestions=hide_suggestions), VALIDATION_FAILED
    )


class DocumentValidation(SchemaExtension):
    """In place of Strawberry's validation (and its ValidationCache): see the module docstring."""

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None and ctx.pre_execution_errors is None:
            settings = getattr(ctx.context, "settings", None)
            closed = settings is not None and not settings.introspection_enabled
            policy = POLICY_RULES_NO_INTROSPECTION if closed else POLICY_RULES
            args = (ctx.schema._schema, document, policy, closed)
            if selection_count(document) > THREAD_SELECTIONS:
                errors = await asyncio.to_thread(validate_operation, *args)
            else:
                errors = validate_operation(*args)
            ctx.pre_execution_errors = list(errors)
        yield
