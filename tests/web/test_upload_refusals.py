"""Uploads the server refuses show its message; an encrypted PDF asks for the password and
the retry goes through."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from playwright.async_api import expect

from tests.fixtures.browser import OpenPage
from tests.web.service import Account, DocatService, text_bytes
from tests.web.steps import JOB_WAIT_MS, UI_WAIT_MS, sign_in

PASSWORD = "open sesame"


def encrypted_pdf(path: Path) -> None:
    doc = pymupdf.open(stream=text_bytes(["Behind a password"]), filetype="pdf")
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=PASSWORD, owner_pw=PASSWORD + "!")
    doc.close()


async def test_not_a_pdf_is_refused_with_the_servers_message(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url)
    await sign_in(page, service.url, user)
    fake = tmp_path / "notes.pdf"
    fake.write_bytes(b"just some text, not a PDF at all\n" * 20)
    await page.get_by_label("Choose PDF files or drop them here").set_input_files(fake)
    await page.get_by_role("button", name="Upload", exact=True).click()
    refusal = page.locator(".upload-status li.error")
    await expect(refusal).to_contain_text("notes.pdf:", timeout=UI_WAIT_MS)
    assert "PDF" in (await refusal.text_content() or "")
    await expect(page.get_by_role("link", name="notes.pdf")).to_have_count(0)


async def test_an_encrypted_pdf_asks_for_the_password_and_the_retry_is_processed(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    page, _guard = await browser_pages(service.url)
    await sign_in(page, service.url, user)
    locked = tmp_path / "locked.pdf"
    encrypted_pdf(locked)
    await page.get_by_label("Choose PDF files or drop them here").set_input_files(locked)
    await page.get_by_role("button", name="Upload", exact=True).click()

    password = page.get_by_label("Password for locked.pdf")
    await expect(password).to_be_visible(timeout=UI_WAIT_MS)
    await password.fill("wrong")
    await page.get_by_role("button", name="Retry").click()
    await expect(page.get_by_label("Password for locked.pdf")).to_be_visible(timeout=UI_WAIT_MS)
    await page.get_by_label("Password for locked.pdf").fill(PASSWORD)
    await page.get_by_role("button", name="Retry").click()

    row = page.locator("tr", has=page.get_by_role("link", name="locked.pdf", exact=True))
    await expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=JOB_WAIT_MS)
