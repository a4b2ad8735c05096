"""The server dies under an open dashboard and comes back on the same port and data: the page
reconnects by itself and shows the job's true final state, without a reload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import OpenPage
from tests.web.service import DocatService, long_bytes
from tests.web.steps import JOB_WAIT_MS, UI_WAIT_MS, sign_in


@pytest.fixture
async def own_service(tmp_path: Path) -> AsyncIterator[DocatService]:
    """A server of this test alone: killing it must not disturb the others."""
    server = DocatService(tmp_path / "data")
    await server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_page_reconnects_after_a_server_restart_and_shows_the_final_state(
    own_service: DocatService, browser_pages: OpenPage, tmp_path: Path
) -> None:
    service = own_service
    admin = await service.new_admin()
    page, _guard = await browser_pages(service.url)
    await sign_in(page, service.url, admin)
    await page.evaluate("window.__sameDocument = true")
    document_id = await service.upload(admin, long_bytes(tmp_path, 4), "survivor.pdf", {"engine": "OCR"})
    row = page.locator("tr", has=page.get_by_role("link", name="survivor.pdf", exact=True))
    await expect(row.locator(".badge")).to_have_text("PROCESSING", timeout=JOB_WAIT_MS)

    await asyncio.to_thread(service.kill)
    await expect(page.locator(".connection")).to_have_text("Reconnecting…", timeout=UI_WAIT_MS)
    await service.start()

    await expect(page.locator(".connection")).to_have_text("Live", timeout=UI_WAIT_MS)
    # The killed run is recovered and finishes; the page follows without being reloaded.
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    assert (await service.document(admin, document_id))["status"] == "COMPLETED"
    assert await page.evaluate("window.__sameDocument === true")


async def test_a_refused_token_after_a_restart_returns_to_sign_in_and_stops_retrying(
    own_service: DocatService, browser_pages: OpenPage
) -> None:
    """The server comes back with another SECRET_KEY: every old token is refused (close 4403)."""
    service = own_service
    admin = await service.new_admin()
    page, _guard = await browser_pages(service.url)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await sign_in(page, service.url, admin)

    await asyncio.to_thread(service.kill)
    service.extra_env["SECRET_KEY"] = "a-rotated-secret-key-0123456789-abcdefghij"
    await service.start()

    await expect(page.get_by_text("Your session is no longer valid")).to_be_visible(timeout=UI_WAIT_MS)
    await expect(page.get_by_label("Email")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('docat.token')") is None
    opened = len(sockets)
    await asyncio.sleep(3)
    assert len(sockets) == opened  # no more connection attempts
