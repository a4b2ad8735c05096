"""How the pages and their files are served: no CDN, a strict CSP, content-hashed names cached
for a year, gzip, the vendored files as the registry published them, the weight budget."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx

from bench.web_page import BUDGET_BYTES, first_load
from tests.web.service import DocatService

ROOT = Path(__file__).resolve().parents[2]
_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


async def page(service: DocatService, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service.url) as http:
        return await http.get(path, headers={"Accept": "text/html"})


def csp(response: httpx.Response) -> dict[str, str]:
    directives = (
        part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")
    )
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


async def test_both_pages_load_only_local_files_under_a_strict_policy(service: DocatService) -> None:
    for path in ("/", "/graphql"):
        response = await page(service, path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache"
        policy = csp(response)
        assert policy["script-src"] == "'self'"
        assert policy["default-src"] == "'none'"
        host = service.url.removeprefix("http://")
        assert policy["connect-src"] == f"'self' ws://{host} wss://{host}"
        html = response.text
        assert "unpkg" not in html and "cdn" not in html.lower()
        # No inline script: every <script> has a src, and each one is one of ours.
        assert html.count("<script") == len(re.findall(r"<script[^>]* src=", html))
        for reference in _REFERENCE.findall(html):
            assert reference.startswith(("/assets/", "#")), reference


async def test_assets_have_hashed_names_are_immutable_and_gzipped(service: DocatService) -> None:
    html = (await page(service, "/")).text
    script = next(r for r in _REFERENCE.findall(html) if r.endswith("/app/main.js"))
    async with httpx.AsyncClient(base_url=service.url) as http:
        response = await http.get(script, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["content-type"].startswith("text/javascript")
        assert "import" in response.text
        plain = await http.get(script, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.text == response.text
        version = script.split("/")[2]
        stale = await http.get(script.replace(version, "0" * len(version)))
        assert stale.status_code == 404
        assert (await http.get(script.replace("main.js", "missing.js"))).status_code == 404
        # API responses get a policy that lets nothing run.
        health = await http.get("/health")
        assert csp(health)["default-src"] == "'none'"


def test_the_vendored_files_match_the_manifest() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/vendor_web_assets.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


async def test_the_dashboards_first_load_is_within_the_budget(service: DocatService) -> None:
    weight = await asyncio.to_thread(first_load, service.url)
    assert weight["files"] >= 10  # the HTML's files and the modules they import
    assert weight["compressed_bytes"] <= BUDGET_BYTES
