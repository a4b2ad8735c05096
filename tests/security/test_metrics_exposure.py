"""Metrics are not served to the world: worker metrics on loopback by default, the API's /metrics guarded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from docat.settings import load_settings
from graphql_api.app import create_app
from jobs.monitoring import start_metrics_server
from tests.conftest import TEST_SECRET
from tests.security.conftest import client_from, random_address

# Another loopback address of this host: a server bound to 0.0.0.0 answers on it, one bound
# to 127.0.0.1 does not (so a test can tell the two apart without leaving the machine).
OTHER_LOCAL_ADDRESS = "127.0.0.2"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False


async def test_worker_metrics_listen_on_loopback_only_by_default() -> None:
    port = start_metrics_server(0)
    assert port
    assert await asyncio.to_thread(_answers, "127.0.0.1", port)
    assert not await asyncio.to_thread(_answers, OTHER_LOCAL_ADDRESS, port)
    assert load_settings().worker_metrics_host == "127.0.0.1"


async def test_worker_metrics_listen_where_worker_metrics_host_says() -> None:
    settings = load_settings(worker_metrics_host=OTHER_LOCAL_ADDRESS)
    port = start_metrics_server(0, settings.worker_metrics_host)
    assert port
    assert await asyncio.to_thread(_answers, OTHER_LOCAL_ADDRESS, port)
    assert not await asyncio.to_thread(_answers, "127.0.0.1", port)


@pytest.mark.backend("sqlite")  # the shared app is embedded on its SQLite run only
async def test_embedded_metrics_answer_local_clients_only(app: Starlette) -> None:
    assert app.state.settings.embedded
    async with client_from(app, random_address()) as remote:
        refused = await remote.http.get("/metrics")
    assert refused.status_code == 403 and "docat_" not in refused.text
    async with client_from(app, "127.0.0.1") as local:
        served = await local.http.get("/metrics")
    assert served.status_code == 200 and "docat_graphql" in served.text


@pytest.fixture
async def token_app(tmp_path: Path) -> AsyncIterator[Starlette]:
    # /metrics reads no resource: the app is used without its lifespan.
    yield create_app(load_settings(data_dir=tmp_path, secret_key=TEST_SECRET, metrics_token="scrape-me-7f3a"))


async def test_a_metrics_token_is_required_from_everyone_when_set(token_app: Starlette) -> None:
    for address in ("127.0.0.1", random_address()):
        transport = httpx.ASGITransport(app=token_app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/metrics")).status_code == 403
            wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0000"})
            assert wrong.status_code == 403
            right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3a"})
            assert right.status_code == 200 and "docat_" in right.text
