"""The Strawberry schema: every domain's queries, mutations and subscriptions, plus extensions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from docat.errors import DocatError
from docat.logging import redact
from graphql_api.admin.mutations import AdminMutations
from graphql_api.admin.queries import AdminQueries
from graphql_api.admin.types import ProviderKeyType
from graphql_api.documents.mutations import DocumentMutations
from graphql_api.documents.queries import DocumentQueries
from graphql_api.documents.types import DocumentType
from graphql_api.errors import ErrorCodes
from graphql_api.execution import ExecutionContext
from graphql_api.hardening import MAX_BATCH, LimitedParserCache, hardening_extensions
from graphql_api.jobs.subscriptions import JobSubscriptions
from graphql_api.logs.queries import LogQueries
from graphql_api.logs.types import CreditLogType, ProcessingLogType
from graphql_api.node import NodeQueries
from graphql_api.observability import ObservabilityExtension
from graphql_api.scalars import SCALAR_MAP
from graphql_api.users.mutations import UserMutations
from graphql_api.users.queries import UserQueries
from graphql_api.users.types import UserType
from graphql_api.webhooks.mutations import WebhookMutations
from graphql_api.webhooks.queries import WebhookQueries
from jobs.pdf.errors import PdfError

log = logging.getLogger("docat.graphql")


class DocatSchema(strawberry.Schema):
    """Strawberry's schema, logging each error once and as what it is."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # A refused request (NOT_FOUND, a bad token, a validation error) is the client's
        # business, not the operator's: one INFO line, no traceback. Anything else keeps
        # Strawberry's ERROR with the traceback.
        unexpected = []
        for error in errors:
            original = error.original_error
            # A GraphQLError as the original is graphql-core's own refusal of a variable's value.
            if original is None or isinstance(original, DocatError | PdfError | GraphQLError):
                code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
                # The message may echo the input (a password given as a number): redacted.
                log.info("GraphQL request refused: %s: %s", code, redact(error.message))
            else:
                unexpected.append(error)
        for error in unexpected:
            original = error.original_error
            log.error(
                "unhandled error in a resolver: %s",
                type(original).__name__,
                exc_info=(type(original), original, original.__traceback__) if original else None,
            )


@strawberry.type(description="Reads. Each field says who may use it.")
class Query(NodeQueries, UserQueries, DocumentQueries, LogQueries, AdminQueries, WebhookQueries):
    pass


@strawberry.type(description="Changes. Each field says who may use it.")
class Mutation(UserMutations, DocumentMutations, AdminMutations, WebhookMutations):
    pass


@strawberry.type(
    description="Live streams over WebSocket (graphql-transport-ws, graphql-ws) or HTTP multipart."
)
class Subscription(JobSubscriptions):
    pass


def build_schema(
    *, extra_extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] | None = None
) -> strawberry.Schema:
    return DocatSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[UserType, DocumentType, ProcessingLogType, CreditLogType, ProviderKeyType],
        extensions=[
            ObservabilityExtension,
            ErrorCodes,
            # Size, depth, aliases, introspection, cost and the request budget: before any resolver.
            *hardening_extensions(),
            # Parsing and validating are most of the cost of a small query; both are pure.
            lambda: LimitedParserCache(maxsize=512),
            *(extra_extensions or []),
        ],
        # graphql-core 3.3 leaks per subscription event without it (see the module).
        execution_context_class=ExecutionContext,
        config=StrawberryConfig(
            auto_camel_case=True,
            batching_config={"max_operations": MAX_BATCH},
            scalar_map=SCALAR_MAP,
        ),
    )


schema = build_schema()
