"""Steps the browser tests share: signing in through the form, screenshots for docs/."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.web.service import PASSWORD, Account

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Functional waits (jobs run on two shared cores): generous, never a performance claim.
JOB_WAIT_MS = 120_000
UI_WAIT_MS = 20_000


async def sign_in(page: Page, url: str, account: Account) -> None:
    await page.goto(url + "/")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator(".connection")).to_have_text("Live", timeout=UI_WAIT_MS)


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
