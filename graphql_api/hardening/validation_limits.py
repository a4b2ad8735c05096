"""Validation limits: depth and aliases (Strawberry's QueryDepthLimiter and MaxAliasesLimiter rules).

graphql_api.validation runs these rules (depth at most MAX_DEPTH, at most
MAX_ALIASES aliases) before the spec's rules, and validates a document of more
than THREAD_SELECTIONS selections in a worker thread.

The rule classes are made once at import: the validation cache is keyed by
the rule classes, and a class made per request would never hit it.
"""

from __future__ import annotations

from graphql import ValidationContext, ValidationRule
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

MAX_DEPTH = 12
MAX_ALIASES = 50
# Past this many selections, validation runs in a worker thread.
THREAD_SELECTIONS = 100

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
