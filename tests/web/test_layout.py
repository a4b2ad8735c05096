"""Keyboard only, a phone's width, dark mode: the dashboard stays usable."""

from __future__ import annotations

from playwright.async_api import expect

from tests.fixtures.browser import OpenPage
from tests.web.service import PASSWORD, Account, DocatService
from tests.web.steps import UI_WAIT_MS, screenshot

PHONE = {"width": 390, "height": 844}


async def test_sign_in_with_the_keyboard_on_a_phone_in_dark_mode(
    service: DocatService, user: Account, browser_pages: OpenPage
) -> None:
    page, _guard = await browser_pages(service.url, viewport=PHONE, color_scheme="dark", is_mobile=True)
    await page.goto(service.url + "/")
    await expect(page.get_by_label("Email")).to_be_focused(timeout=UI_WAIT_MS)
    await page.keyboard.type(user.email)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.locator(".connection")).to_have_text("Live", timeout=UI_WAIT_MS)

    # Nothing wider than the screen: tables scroll inside their own box.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 25)"  # the dark palette
    # Every form control of the upload form has a label a screen reader can announce.
    unlabelled = await page.evaluate(
        """Array.from(document.querySelectorAll('main input, main select'))
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
             .map(el => el.name || el.id)"""
    )
    assert unlabelled == []
    # Tab alone reaches the navigation, the upload form, the filters and sign out.
    reached = set()
    for _ in range(60):
        await page.keyboard.press("Tab")
        reached.add(
            await page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")
        )
    assert {"Usage", "Upload", "upload-files", "job-search", "Sign out"} <= reached, reached
    await screenshot(page, "dashboard-phone-dark")
