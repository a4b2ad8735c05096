"""Subscriptions under load: one `docat serve` process, events published through Redis.

    python -m bench.subscriptions                       # 1,000 subscribers, 30 s of events
    python -m bench.subscriptions --subscribers 200 --seconds 15

(a) N jobProgress subscribers, each following its own job, at 2 events/s per job: the events
    come from a separate publisher process (ProgressPublisher over Redis, as a worker sends
    them). Reports delivery latency publish -> client (p50/p99), missed events, and the server's
    RSS per 1,000 idle subscriptions (after all are connected, before any event).
(b) 100 allJobs dashboards while jobs publish 50 events/s in total: every dashboard gets every event.

Everything is ours: a private redis-server (so the shared Redis never sees this load), a fresh
PostgreSQL database (dropped at the end), the API process; clients are raw graphql-transport-ws
over `websockets`, spread over a few processes so the client side does not become the bottleneck.
Each event carries its publish time (time.time()) and a sequence number in `message`; latency is
the client's time.time() at receipt minus that (one machine, one clock). It is a 2-core machine
shared by the server, Redis, the publisher and the clients: numbers are upper bounds.

Measured here (defaults: 1,000 subscribers, 100 dashboards, 30 s; bench/results.md of 2026-11-28,
machine load ~1.5 from others): (a) 60,000 deliveries, none missed, latency p50 0.8 ms / p99 3.6 ms /
max 12 ms, server CPU ~230 us per delivery (its CPU over the run, pings and connections included),
RSS +65 MiB per 1,000 idle subscriptions and flat while events flow; (b) 150,000 deliveries, none
missed, p50 7.2 ms / p99 18.7 ms, ~130 us per delivery. Before
graphql_api/execution.py (graphql-core's per-event leak) (a) had p99 0.6 s: full GCs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.procs import PYTHON, Server, free_port, rss_mb

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
OUT = Path(__file__).resolve().parent / "out" / "subscriptions.json"
CLIENT_PROCESSES = 4
CONNECTS_AT_ONCE = 25
EVENTS_PER_SECOND_PER_JOB = 2.0
DASHBOARDS = 100
DASHBOARD_JOBS = 25  # x 2 events/s = 50 events/s in total
JOB_PROGRESS = (
    "subscription($id: ID!) { jobProgress(documentId: $id) { documentId status progress message } }"
)
ALL_JOBS = "subscription { allJobs { documentId status progress message } }"


# ---- setup: database, Redis, the API ------------------------------------------------------------


async def _admin_sql(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _settings(env: dict[str, str]) -> Any:
    from docat.settings import load_settings

    return load_settings(
        database_url=env["DATABASE_URL"], redis_url=env["REDIS_URL"], secret_key=env["SECRET_KEY"]
    )


async def _seed(env: dict[str, str]) -> tuple[str, str]:
    """Migrate and create the admin: (token, its id)."""
    from docat.accounts import access_token_for, create_or_promote_admin
    from docat.admin_settings import set_setting
    from docat.db import open_database

    settings = _settings(env)
    async with open_database(settings, migrate=True):
        admin, _ = await create_or_promote_admin("bench-subscriptions@example.com", secrets.token_hex(12))
        # One user opens every subscription here: lift the per-user operation rate limit.
        await set_setting("rate_requests_per_minute", "100000000")
        token, _ = access_token_for(settings, admin)
        return token, str(admin.id)


async def _add_jobs(env: dict[str, str], owner_id: str, count: int) -> list[str]:
    """`count` PROCESSING documents of the admin: the jobs the publisher pretends to run."""
    from docat.db import open_database
    from models import Document, JobStage, JobStatus

    async with open_database(_settings(env)):
        docs = [
            Document(
                owner_id=owner_id,
                filename=f"bench-{i}.pdf",
                size_bytes=1,
                sha256=uuid.uuid4().hex * 2,
                status=JobStatus.PROCESSING,
                stage=JobStage.EXTRACTING,
                progress=0.0,
                run=1,
            )
            for i in range(count)
        ]
        await Document.bulk_create(docs, batch_size=500)
        return [str(d.id) for d in docs]


async def _finish(env: dict[str, str], document_ids: list[str]) -> None:
    """Mark (a)'s jobs COMPLETED, so (b)'s dashboards start from (b)'s jobs only."""
    from docat.db import open_database
    from models import Document, JobStage, JobStatus

    async with open_database(_settings(env)):
        await Document.filter(id__in=document_ids).update(status=JobStatus.COMPLETED, stage=JobStage.DONE)


def _start_redis(workdir: Path) -> Server:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is needed")
    port = free_port()
    args = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    redis = Server(args, {}, workdir / "redis.log", port)
    redis.start(ready_path=None)
    deadline = time.monotonic() + 10
    import socket

    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return redis
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


# ---- client processes ----------------------------------------------------------------------------


async def _subscriber(
    url: str, token: str, query: str, variables: dict[str, Any], snapshot: int, ready: asyncio.Semaphore,
    connected: list[int], record: Any, done: asyncio.Event,
) -> None:  # fmt: skip
    from websockets.asyncio.client import connect

    async with ready:  # a bounded number of handshakes at once
        ws = await connect(url, subprotocols=["graphql-transport-ws"], compression=None, ping_interval=None)  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})
        )
        for _ in range(snapshot):  # the current state(s) first
            assert json.loads(await ws.recv())["type"] == "next"
    connected[0] += 1
    try:
        while not done.is_set():
            raw = await ws.recv()
            received = time.time()
            message = json.loads(raw)
            kind = message["type"]
            if kind == "next":
                event = message["payload"]["data"]
                event = event.get("jobProgress") or event.get("allJobs")
                if event and event.get("message"):
                    sent, seq = event["message"].split("|")
                    if record(event["documentId"], int(seq), received - float(sent)):
                        return
            elif kind == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif kind in ("complete", "error"):
                return
    finally:
        await ws.close()


async def _client_main(spec: dict[str, Any]) -> dict[str, Any]:
    from graphql_api.relay import to_global_id

    latencies: list[float] = []
    seen: list[set[tuple[str, int]]] = []
    done = asyncio.Event()
    connected = [0]
    ready = asyncio.Semaphore(CONNECTS_AT_ONCE)
    # (a): one job's events per subscriber; (b): every job's events per dashboard.
    expected_each = spec["events"] * (1 if spec["mode"] == "jobs" else len(spec["jobs"]))
    tasks = []
    for target in spec["targets"]:
        got: set[tuple[str, int]] = set()
        seen.append(got)

        def record(document_id: str, seq: int, latency: float, got: set[tuple[str, int]] = got) -> bool:
            """Count a first delivery; True once this subscriber has everything."""
            if (document_id, seq) not in got:
                got.add((document_id, seq))
                latencies.append(latency)
            return len(got) == expected_each

        if spec["mode"] == "jobs":
            query, variables, snapshot = JOB_PROGRESS, {"id": to_global_id("Document", target)}, 1
        else:
            query, variables, snapshot = ALL_JOBS, {}, len(spec["jobs"])
        tasks.append(
            asyncio.create_task(
                _subscriber(
                    spec["url"], spec["token"], query, variables, snapshot, ready, connected, record, done
                )
            )
        )
    while connected[0] < len(tasks):
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    # Until every subscriber has everything, or the orchestrator says stop (a line on stdin).
    stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    all_done = asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait([stop, all_done], return_when=asyncio.FIRST_COMPLETED)  # type: ignore[list-item]
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    received = sum(len(s) for s in seen)
    return {"latencies": latencies, "received": received, "expected": expected_each * len(tasks)}


# ---- the publisher process -----------------------------------------------------------------------


class _PipelinedBus:
    """ProgressPublisher's bus (see jobs.progress.EventPublisher) that buffers what it is given;
    `flush` sends the buffer in one Redis pipeline. The events and channels are exactly what a
    worker publishes; batching only keeps this process's CPU out of the measurement (on this
    2-core machine a publish per round trip would starve the server)."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self.buffer: list[tuple[str, str]] = []

    async def publish(self, channel: str, event: Any) -> None:
        self.buffer.append((channel, json.dumps(event, separators=(",", ":"))))

    async def publish_many(self, channels: Any, event: Any) -> None:
        message = json.dumps(event, separators=(",", ":"))
        self.buffer.extend((channel, message) for channel in channels)

    async def flush(self) -> None:
        if self.buffer:
            pipe = self.redis.pipeline(transaction=False)
            for channel, message in self.buffer:
                pipe.publish(channel, message)
            self.buffer = []
            await pipe.execute()


async def _publisher_main(spec: dict[str, Any]) -> None:
    from redis import asyncio as aioredis

    from jobs.progress import ProgressPublisher

    redis = aioredis.Redis.from_url(spec["redis_url"])
    bus = _PipelinedBus(redis)
    events, rate, jobs = spec["events"], EVENTS_PER_SECOND_PER_JOB, spec["jobs"]
    publishers = [ProgressPublisher(bus, d, spec["owner_id"], run=1) for d in jobs]
    # Event `seq` of job `i` is due at start + i/(len(jobs)*rate) + (seq-1)/rate: evenly spread.
    due = sorted(
        (i / len(jobs) / rate + (seq - 1) / rate, seq, i)
        for i in range(len(jobs))
        for seq in range(1, events + 1)
    )
    start = time.monotonic() + 0.5
    late = 0
    position = 0
    while position < len(due):
        now = time.monotonic() - start
        if due[position][0] > now:
            await asyncio.sleep(min(0.005, due[position][0] - now))
            continue
        while position < len(due) and due[position][0] <= now:
            at, seq, i = due[position]
            late += now - at > 0.05
            status, progress = ("COMPLETED", 1.0) if seq == events else ("PROCESSING", seq / (events + 1))
            await publishers[i].progress(status, "EXTRACTING", progress, message=f"{time.time():.6f}|{seq}")
            position += 1
        await bus.flush()
    await redis.aclose()
    print(json.dumps({"late": late}), flush=True)


# ---- the orchestrator ----------------------------------------------------------------------------


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        PYTHON, "-m", "bench.subscriptions", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _phase(
    workdir: Path, name: str, mode: str, url: str, token: str, redis_url: str, owner_id: str,
    jobs: list[str], targets: list[str], events: int, server_pid: int,
) -> dict[str, Any]:  # fmt: skip
    """Connect the subscribers (spread over client processes), publish, collect."""
    chunks = [targets[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
    clients = []
    rss_before = rss_mb(server_pid)
    connect_started = time.monotonic()
    for i, chunk in enumerate(c for c in chunks if c):
        spec = workdir / f"{name}-client-{i}.json"
        spec.write_text(
            json.dumps(
                {"url": url, "token": token, "mode": mode, "targets": chunk, "jobs": jobs, "events": events}
            )
        )
        out = workdir / f"{name}-result-{i}.json"
        clients.append((await _spawn("client", "--spec", str(spec), "--out", str(out)), out))
    for process, _ in clients:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 600)
        if line.strip() != b"ready":
            raise RuntimeError(f"a client process failed: {line!r}")
    connect_seconds = time.monotonic() - connect_started
    await asyncio.sleep(2)  # let the server settle before reading its memory
    rss_idle = rss_mb(server_pid)

    spec = workdir / f"{name}-publisher.json"
    spec.write_text(
        json.dumps({"redis_url": redis_url, "owner_id": owner_id, "jobs": jobs, "events": events})
    )
    cpu_before = cpu_seconds(server_pid)
    publisher = await _spawn("publish", "--spec", str(spec))
    assert publisher.stdout is not None
    published = json.loads(await asyncio.wait_for(publisher.stdout.readline(), events / 2 + 120))
    await publisher.wait()
    await asyncio.sleep(5)  # a grace period for the last deliveries, then stop the clients
    server_cpu = cpu_seconds(server_pid) - cpu_before
    rss_after = rss_mb(server_pid)
    latencies: list[float] = []
    received = expected = 0
    for process, out in clients:
        assert process.stdin is not None
        with_stop = process.stdin
        with_stop.write(b"stop\n")
        await with_stop.drain()
        await asyncio.wait_for(process.wait(), 60)
        result = json.loads(out.read_text())
        latencies += result["latencies"]
        received += result["received"]
        expected += result["expected"]
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(1000 * latencies[min(len(latencies) - 1, math.ceil(p * len(latencies)) - 1)], 2)
            if latencies
            else math.nan
        )

    return {
        "subscribers": len(targets),
        "jobs": len(jobs),
        "events_per_job": events,
        "deliveries": len(latencies),
        "missed": expected - received,
        "latency_ms": {
            "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0),
            "mean": round(1000 * statistics.fmean(latencies), 2) if latencies else math.nan,
        },
        "publisher_late_events": published["late"],
        "server_cpu_us_per_delivery": round(1e6 * server_cpu / max(1, len(latencies)), 1),
        "connect_seconds": round(connect_seconds, 1),
        "server_rss_mb": {
            "before": round(rss_before, 1), "idle": round(rss_idle, 1), "after": round(rss_after, 1),
        },
        "server_rss_mb_per_1000_idle": round((rss_idle - rss_before) * 1000 / len(targets), 1),
    }  # fmt: skip


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-subscriptions-"))
    database = f"docat_bench_subs_{uuid.uuid4().hex[:10]}"
    await _admin_sql(f'CREATE DATABASE "{database}"')
    redis = _start_redis(workdir)
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "QUEUE_NAME": f"docat-bench-subs:{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATA_DIR": str(workdir / "data"),
        "LOG_LEVEL": "WARNING",
    }
    api: Server | None = None
    try:
        token, owner_id = await _seed(env)
        a_jobs = await _add_jobs(env, owner_id, args.subscribers)
        port = free_port()
        api = Server(
            [PYTHON, "-m", "docat.cli", "serve", "--port", str(port)], env, workdir / "api.log", port
        )
        await asyncio.to_thread(api.start)
        ws_url = f"ws://127.0.0.1:{port}/graphql"
        events = max(2, int(args.seconds * EVENTS_PER_SECOND_PER_JOB))
        results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
        if args.only in (None, "a"):
            results["a_job_progress"] = await _phase(
                workdir,
                "a",
                "jobs",
                ws_url,
                token,
                env["REDIS_URL"],
                owner_id,
                a_jobs,
                a_jobs,
                events,
                api.pid,
            )
            print(json.dumps({"a_job_progress": results["a_job_progress"]}, indent=2), flush=True)
        if args.only in (None, "b"):
            await _finish(env, a_jobs)
            b_jobs = await _add_jobs(env, owner_id, DASHBOARD_JOBS)
            dashboards = [f"dashboard-{i}" for i in range(args.dashboards)]
            results["b_all_jobs"] = await _phase(
                workdir, "b", "dashboards", ws_url, token, env["REDIS_URL"], owner_id,
                b_jobs, dashboards, events, api.pid,
            )  # fmt: skip
            print(json.dumps({"b_all_jobs": results["b_all_jobs"]}, indent=2), flush=True)
        return results
    except BaseException:
        if api is not None:
            print(f"API log: {api.log_tail(4000)}", file=sys.stderr)
        raise
    finally:
        if api is not None:
            api.stop()
        redis.stop()
        await _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="the benchmark (default)")
    for p in (parser, run):
        p.add_argument(
            "--subscribers", type=int, default=1000, help="(a): jobProgress subscribers, one job each"
        )
        p.add_argument("--dashboards", type=int, default=DASHBOARDS, help="(b): allJobs subscribers")
        p.add_argument("--seconds", type=float, default=30.0, help="how long each job publishes")
        p.add_argument("--only", choices=["a", "b"], help="run one part only")
    for name in ("client", "publish"):
        internal = sub.add_parser(name, help=argparse.SUPPRESS)
        internal.add_argument("--spec", required=True)
        internal.add_argument("--out")
    args = parser.parse_args()
    if args.command == "client":
        result = asyncio.run(_client_main(json.loads(Path(args.spec).read_text())))
        Path(args.out).write_text(json.dumps(result))
        os._exit(0)  # the stdin reader thread would keep the process alive
    elif args.command == "publish":
        asyncio.run(_publisher_main(json.loads(Path(args.spec).read_text())))
    else:
        results = asyncio.run(_run(args))
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {OUT}")


if __name__ == "__main__":
    main()
