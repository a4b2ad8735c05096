"""A/B of the plan-based field completion (graphql_api/execution.py) against graphql-core's own.

Both sides run the product's schema in one process, on one SQLite database, with the same
context; only the executor differs. B is our ExecutionContext with its plans switched off,
so the per-event memo fix (a memory fix, not a speed one) stays on both sides.

- list: `documents(first: 20)` with the fields a document list shows (bench/graphql_load.py's
  query), executed through `schema.execute`: resolvers and database included, HTTP not (so the
  executor's share is larger here than in a real request: the comparison favours the plans).
- delivery: a `jobProgress` subscription fed by the job's own ProgressPublisher on the
  in-memory bus; CPU per event received (publishing included, the same on both sides).

Rounds alternate A and B and each side keeps its best round (CPU time of this process), so
a busy machine slows both alike.

    python -m bench.executor_ab [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.requests import Request

from bench.seed import seed
from docat.resources import Resources
from docat.settings import Settings, load_settings
from graphql_api.context import Context
from graphql_api.execution import ExecutionContext
from graphql_api.relay import to_global_id
from graphql_api.schema import build_schema
from jobs.host import open_host
from jobs.progress import ProgressPublisher
from models import Document, User

LIST_QUERY = (
    "query Documents { documents(first: 20) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { cursor node { id filename status stage progress pageCount createdAt } } } }"
)
PROGRESS_SUBSCRIPTION = (
    "subscription Progress($id: ID!) { jobProgress(documentId: $id) "
    "{ documentId status stage progress page pageCount message at } }"
)


class GraphQLCoreCompletion(ExecutionContext):
    """B: every object completed field by field, as graphql-core does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans_allowed = False


def _context(resources: Resources, viewer: User) -> Context:
    request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})
    return Context(request=request, resources=resources, viewer=viewer, viewer_loaded=True)


async def _list_cpu(schema: Any, resources: Resources, viewer: User, requests: int) -> float:
    start = time.process_time()
    for _ in range(requests):
        result = await schema.execute(LIST_QUERY, context_value=_context(resources, viewer))
        assert not result.errors, result.errors
    return (time.process_time() - start) / requests


async def _delivery_cpu(schema: Any, resources: Resources, viewer: User, doc: Document, events: int) -> float:
    variables = {"id": to_global_id("Document", doc.id)}
    context = _context(resources, viewer)
    stream = await schema.subscribe(PROGRESS_SUBSCRIPTION, variable_values=variables, context_value=context)
    publisher = ProgressPublisher(resources.bus, doc.id, viewer.id, min_interval=0.0)
    await stream.__anext__()  # the current state, read from the database
    start = time.process_time()
    for i in range(1, events + 1):
        await publisher.progress("PROCESSING", "EXTRACTING", i / (events + 1), page=i, page_count=events)
        result = await stream.__anext__()
        assert not result.errors, result.errors
    spent = time.process_time() - start
    await stream.aclose()
    return spent / events


@asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[tuple[Resources, User, Document]]:
    async with open_host(settings, migrate=False, run_jobs=False) as host:
        resources = host.resources
        viewer = await User.get(email="bench-admin@example.com")
        doc = await Document.filter(owner=viewer).first()
        assert doc is not None
        doc.status, doc.progress = "PROCESSING", 0.0  # type: ignore[assignment]
        await doc.save(update_fields=["status", "progress"])
        yield resources, viewer, doc


async def _measure(settings: Settings, rounds: int, requests: int, events: int) -> dict[str, Any]:
    core = build_schema()
    core.execution_context_class = GraphQLCoreCompletion
    schemas = {"plans": build_schema(), "graphql-core": core}
    best: dict[str, dict[str, float]] = {name: {"list": 1e9, "delivery": 1e9} for name in schemas}
    async with _opened(settings) as (resources, viewer, doc):
        for schema in schemas.values():  # warm-up: imports, plans, statement caches
            await _list_cpu(schema, resources, viewer, 20)
            await _delivery_cpu(schema, resources, viewer, doc, 20)
        for _ in range(rounds):
            for name, schema in schemas.items():
                side = best[name]
                side["list"] = min(side["list"], await _list_cpu(schema, resources, viewer, requests))
                delivery = await _delivery_cpu(schema, resources, viewer, doc, events)
                side["delivery"] = min(side["delivery"], delivery)
    ours, theirs = best["plans"], best["graphql-core"]
    return {
        "list_us": {k: round(v["list"] * 1e6, 1) for k, v in best.items()},
        "delivery_us": {k: round(v["delivery"] * 1e6, 1) for k, v in best.items()},
        # How much more CPU graphql-core's own completion needs (0.25: 25% more).
        "list_gain": round(theirs["list"] / ours["list"] - 1, 3),
        "delivery_gain": round(theirs["delivery"] / ours["delivery"] - 1, 3),
    }


def run(quick: bool = False, rounds: int = 7, requests: int = 200, events: int = 500) -> dict[str, Any]:
    """One A/B in a throw-away SQLite database (bench/run.py's `executor` part)."""
    if quick:
        rounds, requests, events = 3, 100, 200
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), log_level="WARNING")
        seed(settings, documents=30)
        return asyncio.run(_measure(settings, rounds, requests, events))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.executor_ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(run(False, args.rounds, args.requests, args.events), indent=2))


if __name__ == "__main__":
    main()
