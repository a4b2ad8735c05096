"""The bus survives Redis trouble: a killed pub/sub connection, a restarted and a frozen server.

Only our own pub/sub connection on the shared Redis is killed (found by its CLIENT SETNAME); the
restart and freeze tests run a private redis-server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from docat.events import EventBus, EventBusUnavailable, is_resync, job_channel
from tests.fixtures.redis_server import RedisServer

from .conftest import next_event, next_raw, open_bus, wait_until


async def _own_pubsub_ids(bus: EventBus, admin: aioredis.Redis) -> list[str]:
    clients = await admin.client_list(_type="pubsub")
    return [client["id"] for client in clients if client["name"] == bus.pubsub_client_name]


async def test_killed_pubsub_connection_resubscribes_and_sends_resync(
    redis_bus: EventBus, redis_admin: aioredis.Redis
) -> None:
    channel = job_channel("killed")
    async with redis_bus.subscribe([channel]) as sub, redis_bus.subscribe(["other"]) as other:
        await redis_bus.publish(channel, {"n": 1})
        assert await next_event(sub) == {"n": 1}

        (client_id,) = await _own_pubsub_ids(redis_bus, redis_admin)
        await redis_admin.execute_command("CLIENT", "KILL", "ID", client_id)

        # Every subscribed channel is told, once re-subscribed, to re-read its state...
        assert is_resync(await next_raw(sub))
        assert is_resync(await next_raw(other))
        # ...and events published after that arrive again, on a new connection.
        await redis_bus.publish(channel, {"n": 2})
        assert await next_event(sub) == {"n": 2}
        assert redis_bus.disconnects >= 1
        (new_id,) = await _own_pubsub_ids(redis_bus, redis_admin)
        assert new_id != client_id


async def test_redis_restart_resubscribes_and_publish_fails_clearly_meanwhile(tmp_path: Path) -> None:
    channel = job_channel("restart")
    with RedisServer(tmp_path) as server:
        bus = await open_bus(server.url)
        try:
            async with bus.subscribe([channel]) as sub:
                await bus.publish(channel, {"n": 1})
                assert await next_event(sub) == {"n": 1}

                await asyncio.to_thread(server.stop)
                await wait_until(lambda: not bus.connected)
                with pytest.raises(EventBusUnavailable):
                    await bus.publish(channel, {"lost": True})
                # Known down: fails at once instead of retrying every time.
                with pytest.raises(EventBusUnavailable):
                    await bus.publish(channel, {"lost": True})
                with pytest.raises(EventBusUnavailable):
                    await bus.publish_many([channel, job_channel("other")], {"lost": True})

                await asyncio.to_thread(server.start)
                assert is_resync(await next_raw(sub))
                await bus.publish(channel, {"n": 2})
                assert await next_event(sub) == {"n": 2}
        finally:
            await bus.close()


async def test_frozen_server_is_detected_by_ping_and_recovered(tmp_path: Path) -> None:
    channel = job_channel("frozen")
    with RedisServer(tmp_path) as server:
        bus = await open_bus(server.url)
        try:
            async with bus.subscribe([channel]) as sub:
                await bus.publish(channel, {"n": 1})
                assert await next_event(sub) == {"n": 1}

                # SIGSTOP: the connection stays open but nothing answers; no read ever fails,
                # only the unanswered PING reveals it.
                server.freeze()
                try:
                    await wait_until(lambda: bus.disconnects >= 1)
                    assert not bus.connected
                finally:
                    server.thaw()

                assert is_resync(await next_raw(sub))
                await bus.publish(channel, {"n": 2})
                assert await next_event(sub) == {"n": 2}
        finally:
            await bus.close()


async def test_bus_opens_while_redis_is_down_and_catches_up(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)  # not started yet
    bus = await open_bus(server.url)
    try:
        assert not bus.connected
        async with bus.subscribe([job_channel("late")]) as sub:
            await asyncio.to_thread(server.start)
            assert is_resync(await next_raw(sub))
            await bus.publish(job_channel("late"), {"n": 1})
            assert await next_event(sub) == {"n": 1}
    finally:
        await bus.close()
        server.stop()
