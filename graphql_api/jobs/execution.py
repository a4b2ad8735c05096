"""The executor every operation runs with: strawberry's, minus a per-event leak of graphql-core 3.3.

graphql-core 3.3.2 runs each subscription event on `build_per_event_executor(payload)`, a shallow
copy of the subscription's executor. The copy shares `_relevant_sub_fields`, the memo of
collected subfields keyed by the identity of each field list, and every event collects its root
fields anew: each event added an entry (~16 objects: lists, FieldDetails, CollectedFields) that
lived as long as the subscription. With 1,000 subscriptions at 2 events/s the heap grew by
~30,000 objects a second and full garbage collections took 0.1 s, then 0.7 s, every few seconds
(bench/subscriptions.py). The memo only pays off within one execution, so each event gets its own.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor
