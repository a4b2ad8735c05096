"""A subscription holds its bus subscription and the active-subscriptions gauge only while it runs:
a client that stops it, or simply goes away, releases both."""

from __future__ import annotations

from docat import metrics
from docat.events import EventBus, user_channel
from models import JobStage, JobStatus, User

from .conftest import MY_JOBS, make_document, subscribers_of, wait_until
from .ws_client import WSClient


def active() -> float:
    return float(metrics.ACTIVE_SUBSCRIPTIONS._value.get())


async def test_stopping_or_disconnecting_releases_the_subscription(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING)
    channel = user_channel(user.id)
    baseline = active()
    async with WSClient(live_server, {"token": user_token}) as ws:
        stopped = await ws.start(MY_JOBS)
        await ws.start(MY_JOBS)  # kept until the client goes away
        for _ in range(2):
            assert (await ws.receive())["type"] == "next"  # both have sent their snapshot
        assert subscribers_of(api_bus, channel) == 2
        assert active() == baseline + 2

        await ws.stop(stopped)  # `complete` from the client
        await wait_until(lambda: subscribers_of(api_bus, channel) == 1 and active() == baseline + 1)
        assert ws.ws is not None
        ws.ws.transport.abort()  # gone without a close frame
        await wait_until(lambda: subscribers_of(api_bus, channel) == 0 and active() == baseline)
