"""A real `docat worker` next to a production-shaped API: /health sees it, its own /metrics move after a job.

In production the job counters live in the worker process (the API only
enqueues), so this reads them where Prometheus does: the worker's metrics port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pymupdf
from prometheus_client.parser import text_string_to_metric_families

from docat.accounts import access_token_for, create_user
from docat.settings import Settings
from models import Tier
from tests.conftest import TEST_SECRET
from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.fixtures.redis_server import free_port
from tests.ops.conftest import private_redis, production_settings, run_isolated, running_app, wait_for_value
from tests.ops.prometheus import Samples

REPO = Path(__file__).resolve().parents[2]
WAIT = 120.0

UPLOAD = "mutation OpsWorkerUpload($file: Upload!) { uploadDocument(file: $file) { id status } }"
STATUS = "query OpsWorkerStatus($id: ID!) { document(id: $id) { id status error { code message } } }"


def start_worker(settings: Settings, metrics_port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "PYTHONPATH": str(REPO),
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": TEST_SECRET,
        "WORKER_METRICS_PORT": str(metrics_port),
        "QUEUE_NAME": settings.queue_name,
        "PDF_PROCESSES": "1",
    }
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "docat.cli", "worker"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def worker_metrics(port: int) -> Samples:
    def fetch() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            return ""

    samples: Samples = {}
    for family in text_string_to_metric_families(await asyncio.to_thread(fetch)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def named(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def small_pdf() -> bytes:
    document = pymupdf.open()
    for number in range(2):
        document.new_page().insert_text((72, 72), f"Worker metrics, page {number + 1}.")
    data = bytes(document.tobytes())
    document.close()
    return data


async def test_a_worker_process_is_seen_by_health_and_its_metrics_move_after_a_job(tmp_path: Path) -> None:
    database_url = await create_postgres_database()
    try:
        await run_isolated(lambda: scenario(tmp_path, database_url))
    finally:
        await drop_postgres_database(database_url)


async def scenario(tmp_path: Path, database_url: str) -> None:
    from docat.db import migrate_database

    with private_redis(tmp_path / "redis") as redis_server:
        settings = production_settings(tmp_path / "data", database_url, redis_server.url)
        await migrate_database(settings)
        metrics_port = free_port()
        worker = start_worker(settings, metrics_port, tmp_path / "worker")
        try:
            async with running_app(settings) as (_app, http):
                await check_worker(http, settings, worker, metrics_port)
        finally:
            stop_worker(worker)


async def check_worker(
    http: httpx.AsyncClient, settings: Settings, worker: subprocess.Popen[bytes], metrics_port: int
) -> None:
    async def health() -> dict[str, Any]:
        return dict((await http.get("/health")).json())

    # The worker's first beat lands at start-up: /health goes from degraded to ok.
    report = await wait_for_value(health, lambda r: r["status"] == "ok", WAIT)
    assert report["status"] == "ok", report
    assert report["checks"]["workers"]["workers"] == 1

    samples = await wait_for_value(
        lambda: worker_metrics(metrics_port),
        lambda s: bool(named(s, "docat_worker_heartbeat_timestamp_seconds")),
    )
    label = dict(next(ls for (n, ls) in samples if n == "docat_worker_heartbeat_timestamp_seconds"))["worker"]
    assert label.endswith(f"-{worker.pid}")
    assert ("docat_queue_depth", ()) in samples
    before_completed = named(samples, "docat_documents_processed_total", status="completed")
    before_pages = named(samples, "docat_pages_processed_total")
    before_seconds = named(samples, "docat_pdf_processing_seconds_count", status="completed")

    user = await create_user(unique_email("ops-worker"), "correct horse battery", tier=Tier.PRO)
    token = access_token_for(settings, user)[0]
    gql = GraphQLClient(http)
    uploaded = await gql.upload(UPLOAD, {}, "file", small_pdf(), filename="worker.pdf", token=token)
    document_id = uploaded.ok()["uploadDocument"]["id"]

    async def status() -> dict[str, Any]:
        return dict((await gql.execute(STATUS, {"id": document_id}, token=token)).ok()["document"])

    finished = await wait_for_value(
        status, lambda d: d["status"] in ("COMPLETED", "FAILED", "CANCELLED"), WAIT
    )
    assert finished["status"] == "COMPLETED", finished

    after = await wait_for_value(
        lambda: worker_metrics(metrics_port),
        lambda s: named(s, "docat_documents_processed_total", status="completed") > before_completed,
    )
    assert named(after, "docat_documents_processed_total", status="completed") == before_completed + 1
    assert named(after, "docat_pdf_processing_seconds_count", status="completed") == before_seconds + 1
    assert named(after, "docat_pages_processed_total") >= before_pages + 2

    # A clean stop removes the worker's heartbeat at once: the API is degraded, not down.
    stop_worker(worker)
    report = await wait_for_value(health, lambda r: r["status"] == "degraded", WAIT)
    assert report["status"] == "degraded", report
    assert report["checks"]["workers"]["workers"] == 0
