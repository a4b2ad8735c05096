"""The README's webhook receiver runs as written and accepts exactly what the service signs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobs.webhooks_signing import new_secret, signed_headers

README = Path(__file__).resolve().parents[2] / "README.md"


def receiver_app(secret: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    section = README.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the Webhooks section has a Python receiver"
    monkeypatch.setenv("DOCAT_WEBHOOK_SECRET", secret)
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), "README.md", "exec"), namespace)
    return namespace["app"]


async def test_the_readme_receiver_verifies_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_secret()
    app = receiver_app(secret, monkeypatch)
    body = '{"type":"document.completed","timestamp":"x","data":{"documentId":"RG9j","status":"COMPLETED"}}'
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        good = await client.post("/docat-hook", content=body, headers=signed_headers(secret, "msg_1", body))
        assert good.status_code == 204
        forged = signed_headers(new_secret(), "msg_1", body)
        assert (await client.post("/docat-hook", content=body, headers=forged)).status_code == 400
        tampered = body.replace("COMPLETED", "FAILED")
        headers = signed_headers(secret, "msg_1", body)
        assert (await client.post("/docat-hook", content=tampered, headers=headers)).status_code == 400
