"""Times every GraphQL operation into `docat_graphql_request_seconds`.

Queries and mutations are timed from the start of parsing to the response.
A subscription's operation hook spans the whole stream (minutes or hours), so
for subscriptions only the set-up is timed: the `on_execute` hook, which wraps
graphql-core's `subscribe()` call. A subscription rejected before it executes
(parse or validation error) is timed over that short operation instead.

Labels stay bounded: the operation type is one of query/mutation/subscription
(anything unparseable counts as "other"), and the client-chosen operation name
goes through `metrics.bound_operation_name` inside `observe_graphql`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationType
from strawberry.extensions import SchemaExtension

from docat import metrics

UNKNOWN_TYPE = "other"


class ObservabilityExtension(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        self._setup_observed = False
        yield
        if self._is_subscription() and self._setup_observed:
            return
        self._observe(time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        if not self._is_subscription():
            yield
            return
        started = time.perf_counter()
        yield
        self._setup_observed = True
        self._observe(time.perf_counter() - started)

    # Sync generators on purpose: strawberry runs them on both its sync and
    # async paths, and there is nothing to await here.

    def _operation_type(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # no document (parse error) or no such operation name
            return UNKNOWN_TYPE

    def _is_subscription(self) -> bool:
        return self._operation_type() == OperationType.SUBSCRIPTION.value

    def _observe(self, seconds: float) -> None:
        context = self.execution_context
        try:
            name = context.operation_name
        except Exception:  # a malformed document: the name is unknowable, not an error here
            name = None
        metrics.observe_graphql(self._operation_type(), name, seconds)
