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
