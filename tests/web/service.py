"""`docat serve` as a real process (embedded: SQLite, in-process jobs) for the browser tests.

It can be killed and started again on the same port and data directory, as an operator's
restart would. Users are made the public way: `docat create-admin`, then GraphQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pymupdf

from tests.fixtures.graphql_client import GraphQLClient, unique_email
from tests.fixtures.redis_server import free_port
from tests.pdf.generate import long_pdf, report_pdf

PASSWORD = "correct horse battery"
START_WAIT = 60.0
# Variables of the engineer's shell that would turn the embedded server into something else.
_FOREIGN = (
    "DATABASE_URL",
    "REDIS_URL",
    "S3_",
    "AWS_",
    "SECRET_KEY",
    "OPENROUTER",
    "GEMINI",
    "DATA_DIR",
    "QUEUE_NAME",
)

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
CREATE_USER = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }"
UPLOAD = """mutation($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { id status } }"""
SET_SETTING = "mutation($k: String!, $v: String) { updateSetting(key: $k, value: $v) { key } }"
DOCUMENT = "query($id: ID!) { document(id: $id) { id status stage progress } }"


@dataclass
class Account:
    email: str
    token: str


@dataclass
class DocatService:
    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        env.update(
            DATA_DIR=str(self.data_dir),
            SECRET_KEY="web-tests-secret-key-0123456789-abcdefghij",
            LOG_JSON="false",
            LOG_LEVEL="WARNING",
            PDF_PROCESSES="1",
            # A job whose server died is taken up again within seconds of the restart.
            JOB_STALE_SECONDS="3",
            RECOVERY_INTERVAL_SECONDS="1",
        )
        env.update(self.extra_env)
        return env

    def _docat(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "docat.cli", *args]

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "server.log").open("ab") as log:
            return subprocess.Popen(
                self._docat("serve", "--port", str(self.port)),
                env=self.env(),
                cwd=self.data_dir,  # no .env of the repository is read
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        self.process = self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_WAIT
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"docat serve exited: {self.log_tail()}")
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    raise RuntimeError(f"docat serve did not answer /health: {self.log_tail()}")
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, sockets drop as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # ---- accounts and documents, through the public interfaces -------------------------------

    def create_admin(self, email: str) -> None:
        subprocess.run(
            self._docat("create-admin", email, "--password", PASSWORD),
            env=self.env(),
            cwd=self.data_dir,
            check=True,
            capture_output=True,
        )

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            return (await GraphQLClient(http).execute(query, variables, token=token)).ok()

    async def login(self, email: str) -> Account:
        data = await self.graphql(LOGIN, {"e": email, "p": PASSWORD})
        return Account(email, data["login"]["accessToken"])

    async def new_admin(self) -> Account:
        email = unique_email("admin")
        await asyncio.to_thread(self.create_admin, email)
        return await self.login(email)

    async def new_user(self, admin: Account) -> Account:
        email = unique_email("user")
        await self.graphql(CREATE_USER, {"input": {"email": email, "password": PASSWORD}}, admin.token)
        return await self.login(email)

    async def set_setting(self, admin: Account, key: str, value: str | None) -> None:
        await self.graphql(SET_SETTING, {"k": key, "v": value}, admin.token)

    async def upload(
        self, account: Account, content: bytes, filename: str, options: dict[str, Any] | None = None
    ) -> str:
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            result = await GraphQLClient(http).upload(
                UPLOAD, {"options": options}, "file", content, filename=filename, token=account.token
            )
        return str(result.ok()["uploadDocument"]["id"])

    async def document(self, account: Account, document_id: str) -> dict[str, Any]:
        return dict((await self.graphql(DOCUMENT, {"id": document_id}, account.token))["document"])


# ---- PDFs (unique bytes each time: the result cache matches on sha256) -------------------------


def _unique(path: Path) -> bytes:
    doc = pymupdf.open(path)
    doc.set_metadata({"subject": uuid.uuid4().hex})
    data: bytes = doc.tobytes()
    doc.close()
    return data


def report_bytes(directory: Path) -> bytes:
    """Three pages with a title, headings, a list, a ruled table (Region/Units/...) and an image."""
    path = directory / f"report-{uuid.uuid4().hex[:8]}.pdf"
    report_pdf(path)
    return _unique(path)


def long_bytes(directory: Path, pages: int) -> bytes:
    path = directory / f"long-{uuid.uuid4().hex[:8]}.pdf"
    long_pdf(path, pages)
    return _unique(path)


def text_bytes(lines: list[str]) -> bytes:
    """One page whose text layer holds exactly these lines."""
    doc = pymupdf.open()
    page = doc.new_page()
    y = 80.0
    for line in lines:
        page.insert_text((72, y), line, fontsize=12)
        y += 24
    doc.set_metadata({"subject": uuid.uuid4().hex})
    data: bytes = doc.tobytes()
    doc.close()
    return data
