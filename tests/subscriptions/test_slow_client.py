"""A client that stops reading neither stalls the others nor grows the server's memory: its
subscription keeps at most its bounded queue (intermediate progress dropped, never the end)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from urllib.parse import urlsplit

from docat.events import EventBus, job_channel
from graphql_api.jobs.streams import JOB_QUEUE_SIZE
from models import JobStage, JobStatus, User

from .conftest import JOB_PROGRESS, WAIT, gid, make_document, publisher, subscribers_of, wait_until
from .ws_client import WSClient

# Enough bytes to fill the stuck client's socket and the server's send buffers (≤ 4 MiB here).
EVENTS = 6000
PADDING = "x" * 1000


def stuck_socket(url: str) -> socket.socket:
    """A connected socket with a tiny receive buffer, so unread data backs up to the server."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    sock.setblocking(False)
    return sock


def assert_monotonic_until_completed(events: list[dict[str, Any]]) -> None:
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
    assert events[-1]["status"] == "COMPLETED"
    assert all(e["status"] == "PROCESSING" for e in events[:-1])


async def test_stuck_client_is_bounded_and_does_not_stall_others(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.0)
    job = publisher(api_bus, doc)
    variables = {"documentId": gid(doc)}
    auth = {"token": user_token}
    # max_queue=1: the client library stops reading its socket as soon as one message waits.
    async with (
        WSClient(live_server, auth, sock=stuck_socket(live_server), max_queue=1) as stuck,
        WSClient(live_server, auth) as healthy,
    ):
        stuck_stream = stuck.subscribe(JOB_PROGRESS, variables)
        stuck_received = [(await anext(stuck_stream))["jobProgress"]]
        healthy_stream = healthy.subscribe(JOB_PROGRESS, variables)
        healthy_received = [(await anext(healthy_stream))["jobProgress"]]

        async def read_healthy() -> None:
            async for data in healthy_stream:
                healthy_received.append(data["jobProgress"])

        reader = asyncio.create_task(read_healthy())
        for n in range(1, EVENTS + 1):
            await job.progress("PROCESSING", "EXTRACTING", n / (EVENTS + 1), message=PADDING)
            if n % 100 == 0:
                await asyncio.sleep(0)  # let the server write to both sockets as it goes
        await job.progress("COMPLETED", "DONE", 1.0)

        # The healthy client got to the end while the other one still reads nothing.
        await asyncio.wait_for(reader, WAIT)
        assert_monotonic_until_completed(healthy_received)

        (fanout,) = [f for c, f in api_bus._fanouts.items() if c == api_bus.namespace + job_channel(doc.id)]
        queues = list(fanout.subscribers)
        # The healthy stream completed and left; the stuck one has not even taken the terminal
        # event from its queue: the server pulls nothing while the socket cannot take it.
        assert len(queues) == 1
        (stuck_queue,) = queues
        assert len(stuck_queue) <= JOB_QUEUE_SIZE
        assert stuck_queue.dropped > 0  # intermediate progress went, not memory

        # Reading again, the stuck client gets a monotonic stream that still ends with COMPLETED.
        async for data in stuck_stream:
            stuck_received.append(data["jobProgress"])
        assert_monotonic_until_completed(stuck_received)
        assert len(stuck_received) < EVENTS
    await wait_until(lambda: subscribers_of(api_bus, job_channel(doc.id)) == 0)
