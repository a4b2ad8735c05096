"""Parse limits: a document is bounded before validation sees it (LimitedParserCache).

At most MAX_QUERY_LENGTH characters (refused before lexing) and MAX_TOKENS
tokens (the lexer stops there, as Strawberry's MaxTokensLimiter does), then at
most MAX_SELECTIONS selections (fields, fragment spreads, inline fragments),
counted in one pass over the AST before any validation rule:
`{ me{email} me{email} ...x1240 }` fits the token limit but would cost
seconds in OverlappingFieldsCanBeMerged. `refuse_before_validation` is how a
hook here (or the request budget) ends an operation without raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.language import parse
from strawberry.extensions import ParserCache
from strawberry.types import ExecutionContext

MAX_QUERY_LENGTH = 100_000
MAX_TOKENS = 5_000
# GraphiQL's introspection query has ~85 selections, the dashboard's largest ~40.
MAX_SELECTIONS = 400


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
