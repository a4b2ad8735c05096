"""GraphQL over HTTP as clients expect it, layered on Strawberry's ASGI view (graphql_api.view).

- The GraphQL-over-HTTP spec's media types: a client accepting
  `application/graphql-response+json` (Apollo Client 4, graphql-http) gets
  that content type, and a request error (parse, validation, variables: no
  `data` at all) answers 4xx without a `data` entry. `application/json`
  clients keep the legacy 200 with `"data": null`.
- Automatic persisted queries (graphql_api.persisted_queries), also on GET;
  an anonymous, successful GET is cacheable for a minute.
- Subscriptions over HTTP: Apollo's multipart protocol
  (`Accept: multipart/mixed;subscriptionSpec=1.0`) with Strawberry's
  transport and heartbeats, the same context (token, user) and the same
  events as a WebSocket. A subscription over a plain request is refused with
  BAD_USER_INPUT and a message naming both ways to subscribe.
- Malformed requests are the client's: a multipart upload without `map`,
  a `map` that is not an object of lists, a batch whose queries add up to
  more than MAX_BATCH_QUERY_LENGTH characters are 400 BAD_USER_INPUT
  (graphql_api.request_guard gives Strawberry's plain-text 400s their JSON shape).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseView
from strawberry.http.streaming import HTTPStreamTransport, MultipartSubscriptionTransport
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from docat.errors import DocatError
from graphql_api.hardening import MAX_QUERY_LENGTH
from graphql_api.persisted_queries import PersistedQueries, resolve_persisted_query

log = logging.getLogger("docat.graphql")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# The queries of one batch together: no more than one large document.
MAX_BATCH_QUERY_LENGTH = MAX_QUERY_LENGTH // 2
ANONYMOUS_GET_MAX_AGE = 60
_REQUEST_ERROR_STATUS = {"RATE_LIMITED": 429, "UNAUTHENTICATED": 401, "FORBIDDEN": 403}
_SUBSCRIBE_HOW = (
    "subscriptions need a WebSocket (graphql-transport-ws) or, over HTTP, "
    "`Accept: multipart/mixed;subscriptionSpec=1.0`"
)


def prefers_graphql_response_json(accept: str) -> bool:
    """Whether `accept` ranks application/graphql-response+json above application/json."""
    best: dict[str, float] = {}
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media in (GRAPHQL_RESPONSE_JSON, "application/json") and quality > 0:
            # Equal quality: the one listed first wins.
            best.setdefault(media, quality - position * 1e-6)
    if GRAPHQL_RESPONSE_JSON not in best:
        return False
    return best[GRAPHQL_RESPONSE_JSON] > best.get("application/json", -1.0)


def is_request_error(response: Mapping[str, Any]) -> bool:
    """No execution started: parse, validation, variables, budget (errors without a path)."""
    errors = response.get("errors")
    return response.get("data") is None and bool(errors) and all("path" not in e for e in errors or ())


class MultipartTransport(MultipartSubscriptionTransport):
    """Strawberry's multipart subscriptions, also running queries (one part), as Apollo's protocol allows."""

    def allowed_operation_types(self, allowed_operation_types: set[OperationType]) -> Iterable[OperationType]:
        return {OperationType.SUBSCRIPTION, *(allowed_operation_types - {OperationType.MUTATION})}


class GraphQLHTTPProtocol(BaseView[Request]):
    """Mixed into DocatGraphQL ahead of Strawberry's GraphQL view: the HTTP side only."""

    stream_transport_classes_by_protocol: Mapping[str, type[HTTPStreamTransport]] = {
        MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartTransport,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocols = (*self.protocols, MULTIPART_SUBSCRIPTION_PROTOCOL)

    # ---- requests ----

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only APQ GET has no `query` either; it is an operation, not a page.
        return super().should_render_graphql_ide(request) and not request.query_params.get("extensions")

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        form = (await request.get_form_data()).form
        if "operations" not in form or "map" not in form:
            raise HTTPException(
                400,
                "a multipart request needs `operations` and `map` fields (GraphQL multipart request spec)",
            )
        files_map = form["map"]
        parsed_map = self.parse_json(files_map) if isinstance(files_map, str | bytes) else files_map
        if not isinstance(parsed_map, dict) or not all(
            isinstance(paths, list) and all(isinstance(p, str) for p in paths)
            for paths in parsed_map.values()
        ):
            raise HTTPException(400, "`map` must be an object of file field names to lists of variable paths")
        try:
            return await super().parse_multipart(request)  # type: ignore[misc,no-any-return]
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise HTTPException(400, "`map` names a path that is not in `operations`") from exc

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)  # type: ignore[misc]
        if isinstance(data, list):
            total = sum(len(item.query) for item in data if isinstance(item.query, str))
            if total > MAX_BATCH_QUERY_LENGTH:
                raise HTTPException(
                    400,
                    f"the batch's queries have {total} characters in all, "
                    f"more than the limit of {MAX_BATCH_QUERY_LENGTH}",
                )
        return data  # type: ignore[no-any-return]

    async def _persisted(self, request_data: GraphQLRequestData, context: Any) -> GraphQLError | None:
        """Fills in `request_data.query` from the APQ store; the error to answer with, if any."""
        resources = getattr(context, "resources", None)
        store = resources.shared(PersistedQueries).store if resources is not None else None
        resolved = await resolve_persisted_query(store, request_data.query, request_data.extensions)
        if isinstance(resolved, GraphQLError):
            log.info(
                "GraphQL request refused: %s: %s", (resolved.extensions or {}).get("code"), resolved.message
            )
            return resolved
        request_data.query = resolved
        return None

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Any,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        if isinstance(request_data, GraphQLRequestData) and self._get_stream_transport(request_data.protocol):
            refused = await self._persisted(request_data, context)
            if refused is not None:
                return ExecutionResult(data=None, errors=[refused])
            stream = await super().execute_operation(  # type: ignore[misc]
                request, request_adapter, request_data, context, root_value, sub_response
            )
            return _coded_stream(stream) if hasattr(stream, "__aiter__") else stream
        return await super().execute_operation(  # type: ignore[misc]
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def execute_single(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        refused = await self._persisted(request_data, context)
        if refused is not None:
            return ExecutionResult(data=None, errors=[refused])
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            result: ExecutionResult = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                raise HTTPException(400, _SUBSCRIBE_HOW) from exc
            raise HTTPException(400, exc.as_http_error_reason(request_adapter.method)) from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        if request_adapter.method == "GET":
            _cache_headers(request, sub_response, result)
        return result

    # ---- responses ----

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = await super().process_result(request, result)  # type: ignore[misc]
        if prefers_graphql_response_json(request.headers.get("accept", "")) and is_request_error(response):
            # The spec: a response without `data` is a request error, and its status says so.
            response.pop("data", None)
            errors: list[Any] = list(response.get("errors") or ())
            codes = [(e.get("extensions") or {}).get("code") for e in errors]
            request.state.graphql_status = next(
                (_REQUEST_ERROR_STATUS[c] for c in codes if c in _REQUEST_ERROR_STATUS), 400
            )
        return response

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        response = await super().run(request, context, root_value)  # type: ignore[misc]
        if not isinstance(request, Request) or not isinstance(response, Response):
            return response
        if (
            response.media_type == "application/json"
            or response.headers.get("content-type") == "application/json"
        ):
            if prefers_graphql_response_json(request.headers.get("accept", "")):
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
                status = getattr(request.state, "graphql_status", None)
                if status is not None:
                    response.status_code = status
            else:
                response.headers["content-type"] = "application/json; charset=utf-8"
        return response


def _cache_headers(request: Request, sub_response: Response, result: ExecutionResult) -> None:
    """A GET of an anonymous query that went well may be kept by HTTP caches; nothing else."""
    sub_response.headers["vary"] = "Accept, Authorization"
    if result.errors or "authorization" in request.headers:
        sub_response.headers["cache-control"] = "private, no-store"
    else:
        sub_response.headers["cache-control"] = f"public, max-age={ANONYMOUS_GET_MAX_AGE}"


async def _coded_stream(stream: Any) -> AsyncGenerator[Any, None]:
    """A stream whose refusal before the first event (the request budget) is an event, not a crash."""
    try:
        async for result in stream:
            yield result
    except DocatError as exc:
        log.info("GraphQL request refused: %s: %s", exc.code, exc.message)
        yield ExecutionResult(data=None, errors=[GraphQLError(exc.message, original_error=exc)])
