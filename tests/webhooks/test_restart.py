"""Embedded mode: a retry waiting in memory when the server stops is sent after it starts again."""

from __future__ import annotations

from pathlib import Path

from docat.accounts import access_token_for, create_user
from docat.settings import load_settings
from models import DeliveryStatus, Tier
from tests.conftest import TEST_SECRET
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.jobs import pdfs
from tests.ops.conftest import run_isolated, running_app
from tests.webhooks.conftest import UPLOAD, create_webhook, delivery_rows, eventually
from tests.webhooks.receiver import Receiver


async def test_a_pending_retry_survives_a_restart(tmp_path: Path) -> None:
    await run_isolated(lambda: scenario(tmp_path))


async def scenario(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=None,
        redis_url=None,
        secret_key=TEST_SECRET,
        webhook_allow_private=True,
        # The retry is due well after the stop, and the sweep after the start is quick.
        webhook_retry_base_seconds=4.0,
        webhook_sweep_seconds=1.0,
    )
    with Receiver(answers=[503]) as receiver:
        async with running_app(settings) as (_app, http):
            user = await create_user(unique_email("restart"), "correct horse battery", tier=Tier.PRO)
            token = access_token_for(settings, user)[0]
            gql = GraphQLClient(http)
            hook = await create_webhook(gql, token, receiver.url)
            (await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)).ok()

            async def failed_once() -> bool | None:
                rows = await delivery_rows(hook["id"])
                return True if rows and rows[0].attempts == 1 else None

            await eventually(failed_once)
        # Stopped: the retry that waited in this process's memory is gone with it.
        assert len(receiver.requests) == 1
        async with running_app(settings):

            async def delivered() -> bool | None:
                rows = await delivery_rows(hook["id"])
                return True if rows[0].status == DeliveryStatus.DELIVERED else None

            await eventually(delivered, 60)
            [row] = await delivery_rows(hook["id"])
            assert row.attempts == 2
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
