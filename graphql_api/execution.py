"""The executor every operation runs with: Strawberry's, with plain objects completed from a plan.

Two changes to graphql-core 3.3.2's executor:

- Objects whose selected fields are all plain attributes are completed by a
  plan made once per field group (graphql_api.plain_completion), instead of
  field by field; anything else, and any value that would be an error, takes
  graphql-core's own path.
- graphql-core runs each subscription event on `build_per_event_executor(payload)`,
  a shallow copy of the subscription's executor. The copy shares
  `_relevant_sub_fields`, the memo of collected subfields keyed by the identity
  of each field list, and every event collects its root fields anew: each event
  added an entry (~16 objects: lists, FieldDetails, CollectedFields) that lived
  as long as the subscription. With 1,000 subscriptions at 2 events/s the heap
  grew by ~30,000 objects a second and full garbage collections took 0.1 s, then
  0.7 s, every few seconds (bench/subscriptions.py). The memo only pays off within
  one execution, so each event gets its own.

Plans are keyed by the field nodes of the group (AST nodes of the operation's
document, which live as long as the operation), not by the group list's
identity: every subscription event collects new lists for the same nodes, and
its events share the subscription's plans, so an event completes its payload
without making a plan again. The keys are bounded by the document's size.
Variables cannot change what a plan holds: they are fixed for an operation.

Why it stays (bench/executor_ab.py, A/B in one process, best of 7 alternating rounds):
graphql-core's own completion needs ~32% more CPU to execute `documents(first: 20)`
(2.2 ms vs 1.7 ms, resolvers and SQLite included) and ~40% more per `jobProgress` event
(~118 µs vs ~84 µs, publishing included); over a whole HTTP request the list gain is
smaller (300 -> 316 requests/s). It reads graphql-core internals, so graphql-core is pinned
to 3.3.x in pyproject.toml, and tests/api/test_plain_completion.py runs every query through
both executors and compares data and errors.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_api.plain_completion import Plan, build_plan


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        # Where introspection is off, a refused variable gets no "Did you mean ...?": the
        # suggestions would describe the schema field by field (graphql_api.validation does
        # the same for the document).
        context = kwargs.get("context_value", args[3] if len(args) > 3 else None)
        settings = getattr(context, "settings", None)
        if settings is not None and not settings.introspection_enabled:
            kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (object type, ids of the group's field nodes) -> plan, or None for "not plain".
        self._plans: dict[tuple[GraphQLObjectType, tuple[int, ...]], Plan | None] = {}
        manager = self.middleware_manager
        # Field middleware (a schema extension with a `resolve` hook) must see every field.
        self._plans_allowed = not (manager is not None and manager.middlewares)

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # position_context is the incremental executor's delivery group map: set under @defer.
        if self._plans_allowed and position_context is None:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return plan.complete(result)
                except Exception:  # GiveUp, or an attribute that raised: graphql-core reports it at its path
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def _plan(self, return_type: GraphQLObjectType, field_details_list: list[FieldDetails]) -> Plan | None:
        key = (return_type, tuple([id(details.node) for details in field_details_list]))
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = build_plan(return_type, field_details_list, self.collect_subfields)
            return plan
