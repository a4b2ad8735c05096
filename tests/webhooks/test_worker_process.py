"""Production shape: real `docat worker` processes, a private Redis, PostgreSQL.

A worker is SIGKILLed while its delivery waits for the receiver's answer; the
delivery row's lease runs out, the next worker's sweep queues it again, and
the receiver gets the same message (same webhook-id, signed anew).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from standardwebhooks import Webhook as Verifier

from docat.accounts import access_token_for, create_user
from models import DeliveryStatus, Tier
from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.jobs import pdfs
from tests.jobs.services import ProductionStack, production_env
from tests.ops.conftest import private_redis, production_settings, run_isolated, running_app
from tests.webhooks.conftest import UPLOAD, create_webhook, deliveries, delivery_rows, eventually
from tests.webhooks.receiver import Receiver

WAIT = 180.0


async def test_a_worker_killed_mid_delivery_still_delivers(tmp_path: Path) -> None:
    database_url = await create_postgres_database()
    try:
        await run_isolated(lambda: scenario(tmp_path, database_url))
    finally:
        await drop_postgres_database(database_url)


async def scenario(tmp_path: Path, database_url: str) -> None:
    from docat.db import migrate_database

    with private_redis(tmp_path / "redis") as redis_server:
        env = production_env(
            database_url,
            redis_server.url,
            WEBHOOK_ALLOW_PRIVATE="true",
            WEBHOOK_TIMEOUT_SECONDS="5",
            WEBHOOK_SWEEP_SECONDS="2",
            WEBHOOK_RETRY_BASE_SECONDS="1",
        )
        settings = production_settings(
            tmp_path / "data",
            database_url,
            redis_server.url,
            queue_name=env["QUEUE_NAME"],
            webhook_allow_private=True,
        )
        await migrate_database(settings)
        stack = ProductionStack(tmp_path, env)
        try:
            async with running_app(settings) as (_app, http):
                await check(stack, GraphQLClient(http), settings)
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.close()


async def check(stack: ProductionStack, gql: GraphQLClient, settings: Any) -> None:
    user = await create_user(unique_email("webhook-worker"), "correct horse battery", tier=Tier.PRO)
    token = access_token_for(settings, user)[0]
    with Receiver() as receiver:
        receiver.hold.set()  # the first request gets no answer: the worker is in mid-delivery
        hook = await create_webhook(gql, token, receiver.url)
        first_worker = stack.worker()
        uploaded = await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)
        document_id = uploaded.ok()["uploadDocument"]["id"]

        async def arrived() -> bool | None:
            return True if receiver.arrived.is_set() else None

        await eventually(arrived, WAIT)
        first_worker.kill()  # SIGKILL: no cleanup, the attempt is never recorded
        receiver.hold.clear()
        [row] = await delivery_rows(hook["id"])
        assert row.status == DeliveryStatus.PENDING and row.lease_until is not None

        stack.worker()

        async def delivered() -> list[dict[str, Any]] | None:
            found = await deliveries(gql, token, hook["id"])
            return found if found and found[0]["status"] == "DELIVERED" else None

        [delivery] = await eventually(delivered, WAIT)
    assert len(receiver.requests) >= 2
    first, last = receiver.requests[0], receiver.requests[-1]
    assert first.headers["webhook-id"] == last.headers["webhook-id"] == delivery["messageId"]
    payload = Verifier(hook["secret"]).verify(last.body, last.headers)
    assert payload["data"]["documentId"] == document_id
    assert payload["data"]["status"] == "COMPLETED"
    # The killed attempt left no row; the one that reached the receiver after did.
    assert [a["statusCode"] for a in delivery["attempts"]][-1] == 200
