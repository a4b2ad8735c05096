"""Real JavaScript clients against a live server: the GraphQL-over-HTTP audit and Apollo Client 4.

tests/js holds the npm packages (graphql-http, @apollo/client); `npm ci` there first (.ci/run does).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from docat.settings import Settings
from graphql_api.relay import from_global_id
from models import User
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs

JS_DIR = Path(__file__).resolve().parents[1] / "js"
RUN_WAIT = 180.0  # a bound on a Node run (a real job OCRs pages), never an expectation
UPLOAD = "mutation Upload($file: Upload!) { uploadDocument(file: $file) { id status } }"


async def run_node(script: str, *args: str) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "@apollo" / "client").is_dir():
        pytest.fail("the Node clients need node and `npm ci` in tests/js (.ci/run does it)")
    process = await asyncio.create_subprocess_exec(
        node, str(JS_DIR / script), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), RUN_WAIT)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert process.returncode == 0, (lines, err.decode())
    return lines


async def test_the_graphql_over_http_audit_passes_without_warnings(
    live_http: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The audit's variables checks ask `__type(name:)`: a PostgreSQL (production) deployment
    # answers them only with GRAPHQL_INTROSPECTION=true, as here.
    monkeypatch.setattr(settings, "graphql_introspection", True)
    results = await run_node("audit.mjs", live_http)
    assert len(results) >= 50
    not_ok = [r for r in results if r["status"] != "ok"]
    assert not_ok == [], json.dumps(not_ok, indent=1)


async def test_apollo_persisted_query_link_registers_once_then_sends_hashes(
    live_http: str, user: User, user_token: str
) -> None:
    lines = await run_node("apollo.mjs", "persisted", live_http, user_token)
    requests = [(r["method"], r["hasQuery"]) for r in lines if r["type"] == "request"]
    results = [r["data"] for r in lines if r["type"] == "result"]
    hashes = {r["sha256Hash"] for r in lines if r["type"] == "request"}
    # First: the hash alone (unknown), then hash + query (registered); from then on hashes only,
    # by POST and by GET alike.
    assert requests == [
        ("POST", False),
        ("POST", True),
        ("POST", False),
        ("GET", False),
        ("GET", False),
    ]
    assert len(hashes) == 1 and None not in hashes
    assert len(results) == 4
    assert all(r["me"]["email"] == user.email and "de" in r["supportedLanguages"] for r in results)


async def test_apollo_http_link_subscription_follows_a_real_job_to_completed(
    live_http: str, gql: GraphQLClient, user_token: str
) -> None:
    uploaded = (await gql.upload(UPLOAD, {}, "file", pdfs.scanned(3), token=user_token)).ok()
    global_id = uploaded["uploadDocument"]["id"]
    lines = await run_node("apollo.mjs", "subscribe", live_http, user_token, global_id)
    assert lines[-1] == {"type": "complete"}
    events = [line["data"]["jobProgress"] for line in lines if line["type"] == "next"]
    assert events and events[-1]["status"] == "COMPLETED"
    assert {e["documentId"] for e in events} == {global_id}
    assert from_global_id(global_id)[0] == "Document"
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
