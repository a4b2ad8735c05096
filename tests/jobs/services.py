"""Real `docat` processes for the production-mode tests: migrate, serve, worker.

    async with running_stack(tmp, ("admin@example.com", "pw"), WORKER_MAX_JOBS="2") as stack:
        ...                                    # its own database and Redis, migrated, one API
    stack = ProductionStack(tmp, env)          # by hand: env DATABASE_URL, REDIS_URL, S3_*, QUEUE_NAME...
    stack.migrate(); stack.create_admin(email, password)
    api = stack.serve()                        # waits for /health
    worker = stack.worker()                    # its own process group (its PDF pool included)
    worker.kill()                              # SIGKILL to the whole group: a machine lost mid-job
    stack.close()

Output goes to files under the stack's folder, printed when a test fails, so a
pipe never fills up and blocks a service.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.redis_server import RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_WAIT = 60.0
STOP_WAIT = 30.0


class Service:
    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("wb")
        # A session of its own: kill() reaches the fork server and pool processes too.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "docat.cli", *args],
            cwd=folder,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the process group: no cleanup of any kind runs."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_WAIT)

    def stop(self) -> None:
        """SIGTERM (a rolling update), SIGKILL when it does not stop in time."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # leftovers of the group (pool processes)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_WAIT)
        self._log.close()


def production_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """What every production-mode stack of the tests sets: its database, a Redis, the test
    secret, a queue name of its own (Redis may be shared), one PDF process, no worker
    metrics port (several workers on one machine), plus `extra`."""
    from tests.conftest import TEST_SECRET

    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "QUEUE_NAME": f"docat-test:{uuid.uuid4().hex}",
        "PDF_PROCESSES": "1",
        "WORKER_METRICS_PORT": "0",
        **extra,
    }


class ProductionStack:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        # Its own redis-server when made by `running_stack`.
        self.redis: RedisServer | None = None
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "PYTHONPATH": str(REPO),
            "DATA_DIR": str(folder / "data"),
            "LOG_JSON": "false",
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.services: list[Service] = []
        self.api_url = ""
        self._workers = 0

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "docat.cli", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STARTUP_WAIT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def migrate(self) -> None:
        self.run("migrate")

    def create_admin(self, email: str, password: str) -> None:
        self.run("create-admin", email, "--password", password)

    def serve(self) -> str:
        port = free_port()
        service = Service("api", ["serve", "--host", "127.0.0.1", "--port", str(port)], self.env, self.folder)
        self.services.append(service)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_WAIT
        while time.monotonic() < deadline:
            assert service.running, service.log()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    self.api_url = url
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"docat serve did not answer /health:\n{service.log()}")

    def worker(self) -> Service:
        self._workers += 1
        service = Service(f"worker-{self._workers}", ["worker"], self.env, self.folder)
        self.services.append(service)
        return service

    def logs(self) -> str:
        return "\n".join(f"==== {s.name}\n{s.log()[-6000:]}" for s in self.services)

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()


@asynccontextmanager
async def running_stack(
    folder: Path, admin: tuple[str, str], *, serve: bool = True, **extra: str
) -> AsyncIterator[ProductionStack]:
    """A production stack with a PostgreSQL database and a redis-server of its own (the test
    may stop it: `stack.redis`), migrated, with an admin and (`serve`) one API process; `extra`
    goes into its environment. Everything is stopped and dropped afterwards."""
    database_url = await create_postgres_database()
    redis = RedisServer(folder)
    redis.start()
    stack = ProductionStack(folder, production_env(database_url, redis.url, **extra))
    stack.redis = redis
    try:
        stack.migrate()
        stack.create_admin(*admin)
        if serve:
            stack.serve()
        yield stack
    finally:
        stack.close()
        redis.stop()
        await drop_postgres_database(database_url)
