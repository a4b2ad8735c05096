"""A PDF whose text is HTML and JavaScript: the dashboard shows it as text, nothing runs."""

from __future__ import annotations

from playwright.async_api import Request, expect

from tests.fixtures.browser import OpenPage
from tests.web.service import Account, DocatService, text_bytes
from tests.web.steps import JOB_WAIT_MS, UI_WAIT_MS, sign_in

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


async def test_html_and_script_in_a_pdf_render_as_text_and_nothing_executes(
    service: DocatService, user: Account, browser_pages: OpenPage
) -> None:
    page, guard = await browser_pages(service.url)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if isinstance(request, Request) else None)
    await sign_in(page, service.url, user)
    document_id = await service.upload(user, text_bytes([IMG, SCRIPT, "Plain words"]), f"{IMG}.pdf")

    row = page.locator("tr", has=page.locator(".badge"))
    await expect(row.get_by_role("link", name=f"{IMG}.pdf")).to_be_visible(timeout=UI_WAIT_MS)
    await page.goto(f"{service.url}/#/documents/{document_id}")
    await expect(page.locator(".doc-head .badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    content = page.locator(".content")
    await expect(content).to_contain_text(IMG, timeout=UI_WAIT_MS)
    await expect(content).to_contain_text(SCRIPT)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"{IMG}.pdf")

    assert await page.locator("main img").count() == 0
    assert await page.locator("main script").count() == 0
    assert guard.dialogs == []  # alert() never ran
    assert not [url for url in requests if url.rstrip("/").endswith("/x")]  # the <img> never loaded
