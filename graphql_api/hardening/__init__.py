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

Where each part lives:

- `budget.py`: RequestBudget (step 1), whose subject it charges, failing open;
- `parsing.py`: LimitedParserCache, MAX_QUERY_LENGTH, MAX_TOKENS, MAX_SELECTIONS,
  `selection_count` and `refuse_before_validation` (step 2);
- `validation_limits.py`: the DepthLimit and AliasLimit rules, MAX_DEPTH, MAX_ALIASES and
  THREAD_SELECTIONS, for graphql_api.validation (step 3; the introspection and
  suggestions policy is graphql_api.validation's own);
- `cost.py`: QueryCost, `query_cost`, MAX_COST (step 4);
- here: MAX_BATCH (operations in one batch request) and `hardening_extensions`.
"""

from __future__ import annotations

from strawberry.extensions import SchemaExtension

from graphql_api.hardening.budget import RequestBudget
from graphql_api.hardening.cost import MAX_COST, QueryCost, query_cost
from graphql_api.hardening.parsing import (
    MAX_QUERY_LENGTH,
    MAX_SELECTIONS,
    MAX_TOKENS,
    LimitedParserCache,
    refuse_before_validation,
    selection_count,
)
from graphql_api.hardening.validation_limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    THREAD_SELECTIONS,
    AliasLimit,
    DepthLimit,
)

__all__ = [
    "MAX_ALIASES",
    "MAX_BATCH",
    "MAX_COST",
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "MAX_SELECTIONS",
    "MAX_TOKENS",
    "THREAD_SELECTIONS",
    "AliasLimit",
    "DepthLimit",
    "LimitedParserCache",
    "QueryCost",
    "RequestBudget",
    "hardening_extensions",
    "query_cost",
    "refuse_before_validation",
    "selection_count",
]

# A batch (JSON array) request carries at most this many operations.
MAX_BATCH = 10


def hardening_extensions() -> list[type[SchemaExtension]]:
    """For build_schema's extensions list (classes: one instance per operation)."""
    from graphql_api.validation import DocumentValidation

    return [RequestBudget, DocumentValidation, QueryCost]
