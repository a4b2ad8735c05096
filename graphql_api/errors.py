"""The one place that shapes GraphQL errors for clients.

A DocatError already carries its contract code: graphql-core copies the
original error's `extensions` onto the GraphQLError. A syntax error is
GRAPHQL_PARSE_FAILED (a size limit's BAD_USER_INPUT); validation errors arrive
coded (graphql_api.validation); graphql-core's refusal of a variable is
BAD_USER_INPUT. Anything else is logged (once, with its traceback, by
graphql_api.schema.DocatSchema) and reaches the client only as INTERNAL with a
fixed message: never a stack trace, SQL or a file path. A dependency outage
(docat.outages) reaches it as SERVICE_UNAVAILABLE, retryable, with the same
fixed-message rule.
"""

from __future__ import annotations

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from docat import metrics
from docat.errors import DocatError, ServiceUnavailable
from docat.outages import outage_of
from jobs.pdf.errors import PdfError

INTERNAL_MESSAGE = "Internal server error"
SERVICE_UNAVAILABLE_MESSAGE = "A service this request needs is unavailable for a moment; try again shortly"


def client_error(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it, with `extensions.code` always set."""
    original = error.original_error
    if isinstance(original, DocatError | PdfError):
        return error
    if isinstance(original, GraphQLError):
        return client_error(original)
    if original is None:
        extensions = {"code": _request_error_code(error), **(error.extensions or {})}
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None, extensions
        )
    # Logged once, with its traceback, by DocatSchema.process_errors.
    if outage_of(original) is not None:
        # PostgreSQL, Redis or S3 is down: not the client's fault, and worth retrying.
        unavailable = ServiceUnavailable(SERVICE_UNAVAILABLE_MESSAGE)
        return GraphQLError(
            unavailable.message,
            error.nodes,
            error.source,
            error.positions,
            error.path,
            None,
            unavailable.extensions,
        )
    return GraphQLError(
        INTERNAL_MESSAGE, error.nodes, error.source, error.positions, error.path, None, {"code": "INTERNAL"}
    )


def _request_error_code(error: GraphQLError) -> str:
    """A syntax error is GRAPHQL_PARSE_FAILED, unless the parser stopped at a size limit (policy)."""
    if isinstance(error, GraphQLSyntaxError) and "Parsing aborted" not in error.message:
        return "GRAPHQL_PARSE_FAILED"
    return "BAD_USER_INPUT"


class ErrorCodes(MaskErrors):
    """MaskErrors' traversal (operations and streamed results), our classification."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        shaped = [client_error(e) for e in errors]
        for error in shaped:
            metrics.record_error(str((error.extensions or {}).get("code", "INTERNAL")))
        return shaped

    def _process_result(self, result: object) -> None:
        # MaskErrors asks isinstance(result, <a runtime-checkable Protocol>), which costs more than
        # the rest of this hook on every operation; an `errors` attribute is all it looks for.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]
