"""GET /metrics as Prometheus reads it: GraphQL timings by operation, errors by code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import strawberry

from docat import metrics
from graphql_api.observability import ObservabilityExtension
from tests.fixtures.graphql_client import GraphQLClient
from tests.ops.prometheus import scrape, value


def label_for(name: str) -> str:
    """The label a name gets: itself, or "other" once the session has used up the distinct names."""
    return metrics.bound_operation_name(name)


async def test_a_query_moves_the_graphql_histogram(http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    labels = {"operation_type": "query", "operation_name": label_for("OpsMetricsProbe")}
    before = await scrape(http)
    (await gql.execute("query OpsMetricsProbe { __typename }")).ok()
    after = await scrape(http)
    count = "docat_graphql_request_seconds_count"
    assert value(after, count, **labels) == value(before, count, **labels) + 1
    assert value(after, "docat_graphql_request_seconds_sum", **labels) > value(
        before, "docat_graphql_request_seconds_sum", **labels
    )
    assert value(after, "docat_graphql_request_seconds_bucket", le="+Inf", **labels) == value(
        after, count, **labels
    )


async def test_an_anonymous_operation_and_a_hostile_name_stay_bounded(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    before = await scrape(http)
    (await gql.execute("{ __typename }")).ok()
    after = await scrape(http)
    count = "docat_graphql_request_seconds_count"
    anonymous = {"operation_type": "query", "operation_name": "anonymous"}
    assert value(after, count, **anonymous) == value(before, count, **anonymous) + 1
    # A name no label may carry (too long) is counted as "other", never as itself.
    hostile = "Q" + "x" * 80
    (await gql.execute(f"query {hostile} {{ __typename }}")).ok()
    names = {dict(ls).get("operation_name") for (n, ls) in (await scrape(http)) if n == count}
    assert hostile not in names
    assert "other" in names


async def test_an_unauthenticated_error_moves_errors_by_code(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    before = await scrape(http)
    result = await gql.execute("query OpsMe { me { id } }", token="not-a-token")
    assert result.codes == ["UNAUTHENTICATED"]
    after = await scrape(http)
    assert value(after, "docat_errors_total", code="UNAUTHENTICATED") == (
        value(before, "docat_errors_total", code="UNAUTHENTICATED") + 1
    )
    # The failed operation is timed too.
    labels = {"operation_type": "query", "operation_name": label_for("OpsMe")}
    assert value(after, "docat_graphql_request_seconds_count", **labels) == (
        value(before, "docat_graphql_request_seconds_count", **labels) + 1
    )


async def test_a_subscription_is_timed_once_at_set_up_not_over_its_lifetime(http: httpx.AsyncClient) -> None:
    release = asyncio.Event()

    @strawberry.type
    class Query:
        ok: bool = True

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def ticks(self) -> AsyncIterator[int]:
            yield 1
            await release.wait()
            yield 2

    schema = strawberry.Schema(query=Query, subscription=Subscription, extensions=[ObservabilityExtension])
    labels = {"operation_type": "subscription", "operation_name": label_for("OpsTicks")}
    count = "docat_graphql_request_seconds_count"
    before = value(await scrape(http), count, **labels)

    stream = await schema.subscribe("subscription OpsTicks { ticks }")
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    first = await anext(stream)
    assert first.data == {"ticks": 1}
    # Open and waiting: set-up already observed, once.
    assert value(await scrape(http), count, **labels) == before + 1
    release.set()
    assert (await anext(stream)).data == {"ticks": 2}
    await stream.aclose()
    assert value(await scrape(http), count, **labels) == before + 1
