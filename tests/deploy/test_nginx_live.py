"""The deployment's nginx config, live: a real nginx in front of two `docat serve` replicas and a worker.

deploy/nginx/nginx.conf.template is rendered the way deploy/check.sh renders it
(MAX_UPLOAD_MB substituted), with only what Docker provides replaced: the
listen address (a free port on 127.0.0.1), the name "api" (an upstream
group of the two replicas instead of Docker's DNS), and nginx's own address
on the compose network (NGINX_ADDRESS, a loopback alias: in compose nginx is
another container, not the API's 127.0.0.1), which the replicas trust as
TRUSTED_PROXIES does the compose subnet. Everything a client does
goes through nginx: login, a multipart upload, a graphql-transport-ws
subscription that follows the job to COMPLETED, an upload over the size cap
(nginx's own 413 in the GraphQL error shape), /health, /metrics hidden, and
X-Request-ID passed through. Both replicas must have served requests.

Needs nginx (apt-get install nginx; .ci/run installs it), PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import free_port
from tests.jobs import pdfs
from tests.jobs.services import ProductionStack, running_stack
from tests.subscriptions.job_streams import gql_job_progress

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "nginx.conf.template"
MAX_UPLOAD_MB = 1
ADMIN_EMAIL = "nginx-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }
"""
UPLOAD = "mutation U($file: Upload!) { uploadDocument(file: $file) { id status } }"
DOCUMENT = "query D($id: ID!) { document(id: $id) { status content { blocks { text } } } }"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
# nginx's address towards the replicas (a loopback alias), and two clients' addresses.
NGINX_ADDRESS = "127.0.0.9"
OWNER_ADDRESS = "127.0.0.2"
ATTACKER_ADDRESS = "127.0.0.3"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        pytest.fail("nginx is not installed: apt-get install -y nginx (.ci/run does)")
    return found


def render(folder: Path, port: int, replicas: list[str]) -> Path:
    """The template as the nginx image renders it, pointed at local replicas."""
    text = TEMPLATE.read_text().replace("${MAX_UPLOAD_MB}", str(MAX_UPLOAD_MB))
    servers = "".join(f"        server {address};\n" for address in replicas)
    text, listens = re.subn(r"(?m)^(\s*)listen 80;", rf"\1listen 127.0.0.1:{port};", text)
    text, targets = re.subn(
        r"set \$docat_api http://api:8000;", "set $docat_api http://docat_replicas;", text
    )
    text, groups = re.subn(
        r"(?m)^http \{\n", "http {\n    upstream docat_replicas {\n" + servers + "    }\n", text
    )
    assert (listens, targets, groups) == (1, 1, 1), "the template changed shape: update this test"
    # Logs into the test's folder instead of the container's stdout/stderr.
    text = text.replace("access_log /dev/stdout json;", f"access_log {folder}/access.log json;")
    text = text.replace("error_log /dev/stderr warn;", f"error_log {folder}/error.log warn;")
    # nginx's own address, as a separate container has one: the replicas see this, not 127.0.0.1.
    text, binds = re.subn(
        r"(?m)^(\s*)proxy_http_version 1.1;",
        rf"\1proxy_http_version 1.1;\n\1proxy_bind {NGINX_ADDRESS};",
        text,
    )
    assert binds == 1, "the template changed shape: update this test"
    conf = folder / "nginx.conf"
    conf.write_text(text)
    return conf


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[ProductionStack, list[str]]]:
    folder = tmp_path_factory.mktemp("nginx-stack")
    async with running_stack(
        folder,
        (ADMIN_EMAIL, ADMIN_PASSWORD),
        serve=False,
        MAX_UPLOAD_MB=str(MAX_UPLOAD_MB),
        # Replicas on one machine share the files folder (S3 in a real deployment).
        DATA_DIR=str(folder / "data"),
        # As compose trusts its network's subnet (deploy/docker-compose.yml).
        TRUSTED_PROXIES=f"{NGINX_ADDRESS}/32",
    ) as production:
        replicas = [production.serve().removeprefix("http://") for _ in range(2)]
        production.worker()
        yield production, replicas


@pytest.fixture(scope="module")
def nginx(
    stack: tuple[ProductionStack, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("nginx")
    _, replicas = stack
    port = free_port()
    conf = render(folder, port, replicas)
    # The master stays in the foreground; as root, workers run as root too (temp files under folder).
    user = (
        ["-g", "daemon off; pid nginx.pid; user root;"]
        if _is_root()
        else ["-g", "daemon off; pid nginx.pid;"]
    )
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf), *user],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (folder / "error.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "nginx did not pass /health through"
            time.sleep(0.1)
        yield url, folder
    finally:
        process.terminate()
        process.wait(timeout=10)


def _is_root() -> bool:
    return os.geteuid() == 0


async def test_a_client_uses_the_service_through_nginx(
    nginx: tuple[str, Path], stack: tuple[ProductionStack, list[str]]
) -> None:
    url, folder = nginx
    production, replicas = stack
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        gql = GraphQLClient(http)
        token = (await gql.execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})).ok()["login"][
            "accessToken"
        ]
        doc_id = (await gql.upload(UPLOAD, {}, "file", pdfs.text(1), token=token)).ok()["uploadDocument"][
            "id"
        ]
        # The subscription's WebSocket goes through nginx's upgrade handling.
        events = await gql_job_progress(url.replace("http", "ws") + "/graphql", token, doc_id)
        assert events[-1]["status"] == "COMPLETED", events
        doc = (await gql.execute(DOCUMENT, {"id": doc_id}, token=token)).ok()["document"]
        assert doc["status"] == "COMPLETED" and doc["content"]["blocks"], doc

        # Bigger than MAX_UPLOAD_MB: refused by nginx before a replica reads it, in the API's error shape.
        too_big = b"%PDF-1.4\n" + b"0" * (MAX_UPLOAD_MB * 1024 * 1024 + 1024)
        response = await http.post(
            "/graphql",
            files={"file": ("big.pdf", too_big, "application/pdf")},
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"file": ["variables.file"]}),
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        # Prometheus scrapes replicas directly; nginx does not expose /metrics.
        assert (await http.get("/metrics")).status_code == 404
        # The client's request id reaches the API and comes back.
        answer = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "nginx-test-request-1"}
        )
        assert answer.status_code == 200 and answer.headers.get("x-request-id") == "nginx-test-request-1"
        for _ in range(10):
            assert (await http.get("/health")).status_code == 200

    # nginx spread the requests over both replicas.
    upstreams = {
        json.loads(line)["upstream_addr"]
        for line in (folder / "access.log").read_text().splitlines()
        if line.strip() and json.loads(line)["upstream_addr"]
    }
    assert set(replicas) <= upstreams, (upstreams, production.logs())


async def test_per_address_limits_see_each_client_behind_nginx(nginx: tuple[str, Path]) -> None:
    """An attacker guessing the admin's password is throttled; the owner, elsewhere, signs in."""
    url, _ = nginx

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(base_url=url, timeout=30, transport=transport)

    async with client_from(ATTACKER_ADDRESS) as attacker, client_from(OWNER_ADDRESS) as owner:
        codes = []
        for attempt in range(7):
            response = await attacker.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"email": ADMIN_EMAIL, "password": f"guess {attempt}"}},
                # A forged header names the owner's address: nginx appends the real one, and the
                # API takes the right-most address that is not a trusted proxy.
                headers={"X-Forwarded-For": OWNER_ADDRESS},
            )
            codes.append(response.json()["errors"][0]["extensions"]["code"])
        assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"] * 2
        assert int(response.headers["retry-after"]) >= 1
        signed_in = await GraphQLClient(owner).execute(
            LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert signed_in.ok()["login"]["accessToken"]
