"""The dashboard in real Chromium against a real `docat serve`: sign in, upload through the
page, a real job reaching COMPLETED live, the document with its table, downloads, cancel,
the admin's live view of everyone's jobs, and an expired session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, WebSocket, expect

from tests.fixtures.browser import OpenPage
from tests.web.service import Account, DocatService, long_bytes, report_bytes
from tests.web.steps import JOB_WAIT_MS, UI_WAIT_MS, screenshot, sign_in


def job_row(page: Page, filename: str):  # type: ignore[no-untyped-def]
    return page.locator("tr", has=page.get_by_role("link", name=filename, exact=True))


def record_frames(page: Page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


async def test_upload_through_the_page_watch_it_complete_open_it_and_download_markdown(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url, viewport={"width": 1280, "height": 900})
    frames = record_frames(page)
    await sign_in(page, service.url, user)
    await page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    pdf = tmp_path / "quarterly.pdf"
    pdf.write_bytes(report_bytes(tmp_path))

    await page.get_by_label("Choose PDF files or drop them here").set_input_files(pdf)
    await page.get_by_role("button", name="Upload", exact=True).click()
    row = job_row(page, "quarterly.pdf")
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    await expect(row.locator("td.pages")).to_have_text("3 / 3")
    assert await page.evaluate("window.__sameDocument === true")
    # The row moved because of events that came over the WebSocket.
    assert any('"myJobs"' in frame and "PROCESSING" in frame for frame in frames)
    assert any('"myJobs"' in frame and "COMPLETED" in frame for frame in frames)
    await screenshot(page, "dashboard")

    await row.get_by_role("link", name="quarterly.pdf").click()
    table = page.locator(".content-table").first
    await expect(table.locator("thead th").first).to_have_text("Region", timeout=UI_WAIT_MS)
    await expect(table.locator("tbody")).to_contain_text("North")
    await expect(page.get_by_role("heading", name="Quarterly Widget Report")).to_be_visible()
    await expect(page.locator("table.log tbody tr").first).to_be_visible()

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Markdown", exact=True).click()
    download = await info.value
    markdown = await asyncio.to_thread(Path(await download.path()).read_text)
    assert "Quarterly Widget Report" in markdown
    assert "| Region" in markdown and "North" in markdown

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('docat.token')") is None


async def test_a_document_streams_in_while_it_is_extracted(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url, viewport={"width": 1280, "height": 900})
    await sign_in(page, service.url, user)
    # OCR page by page on shared cores: slow enough to watch the pages arrive.
    document_id = await service.upload(user, long_bytes(tmp_path, 6), "streaming.pdf", {"engine": "OCR"})
    await page.goto(f"{service.url}/#/documents/{document_id}")

    await expect(page.locator("section.page").first).to_be_visible(timeout=JOB_WAIT_MS)
    status = await page.locator(".doc-head .badge").text_content()
    if status != "COMPLETED":
        await expect(page.get_by_text("Extracting…")).to_be_visible()
        await screenshot(page, "document-streaming")
    await expect(page.locator(".doc-head .badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    await expect(page.locator("section.page")).to_have_count(6, timeout=UI_WAIT_MS)
    assert status != "COMPLETED", "the job finished before any page was shown: nothing streamed"


async def test_cancel_a_running_job(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url)
    await sign_in(page, service.url, user)
    document_id = await service.upload(user, long_bytes(tmp_path, 40), "long-running.pdf", {"engine": "OCR"})
    row = job_row(page, "long-running.pdf")
    await expect(row.locator(".badge")).to_have_text("PROCESSING", timeout=JOB_WAIT_MS)

    await row.get_by_role("button", name="Cancel long-running.pdf").click()
    await expect(row.locator(".badge")).to_have_text("CANCELLED", timeout=UI_WAIT_MS)
    assert (await service.document(user, document_id))["status"] == "CANCELLED"
    await expect(row.get_by_role("button", name="Reprocess long-running.pdf")).to_be_visible()


async def test_admin_sees_another_users_job_appear_live_in_all_jobs(
    service: DocatService, admin: Account, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url, viewport={"width": 1280, "height": 800})
    await sign_in(page, service.url, admin)
    await page.get_by_role("link", name="Admin").click()
    await expect(page.get_by_role("tab", name="All jobs")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("table.jobs")).to_be_attached()

    await service.upload(user, report_bytes(tmp_path), "someone-elses.pdf")
    row = job_row(page, "someone-elses.pdf")
    await expect(row.locator("td.owner")).to_have_text(user.email, timeout=JOB_WAIT_MS)
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    await screenshot(page, "admin")

    await page.get_by_role("tab", name="Users").click()
    await expect(page.get_by_role("cell", name=user.email, exact=True)).to_be_visible(timeout=UI_WAIT_MS)
    await page.get_by_role("tab", name="Settings").click()
    await expect(page.get_by_text("registration_open")).to_be_visible(timeout=UI_WAIT_MS)


async def test_an_expired_token_returns_to_sign_in_with_a_message(
    service: DocatService, browser_pages: OpenPage
) -> None:
    page, _guard = await browser_pages(service.url)
    await page.goto(service.url + "/")
    await page.evaluate(
        "sessionStorage.setItem('docat.token', 'not-a-valid-token');"
        "sessionStorage.setItem('docat.expiresAt', new Date(Date.now() + 3600e3).toISOString())"
    )
    await page.reload()
    await expect(page.get_by_text("Your session has expired")).to_be_visible(timeout=UI_WAIT_MS)
    await expect(page.get_by_label("Email")).to_be_visible()


async def test_reprocess_with_other_options_then_delete(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, guard = await browser_pages(service.url)
    await sign_in(page, service.url, user)
    document_id = await service.upload(user, report_bytes(tmp_path), "again.pdf")
    row = job_row(page, "again.pdf")
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)

    await row.get_by_role("button", name="Reprocess again.pdf").click()
    dialog = page.get_by_role("dialog", name="Reprocess again.pdf")
    await dialog.get_by_label("Engine").select_option("TEXT")
    await dialog.get_by_label("Pages").fill("1-2")
    await dialog.get_by_role("button", name="Reprocess").click()
    await expect(dialog).to_be_hidden()
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
    options = await service.graphql(
        "query($id: ID!) { document(id: $id) { options { engine pages } } }", {"id": document_id}, user.token
    )
    assert options["document"]["options"] == {"engine": "TEXT", "pages": "1-2"}

    await row.get_by_role("button", name="Delete again.pdf").click()
    await expect(row).to_have_count(0, timeout=UI_WAIT_MS)
    assert any(d.startswith("confirm:") for d in guard.dialogs)
    with pytest.raises(AssertionError, match="NOT_FOUND"):
        await service.graphql("query($id: ID!) { document(id: $id) { id } }", {"id": document_id}, user.token)
