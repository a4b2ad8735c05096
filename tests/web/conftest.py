"""One embedded `docat serve` process for the browser tests of a session, its accounts, and
Chromium (tests/fixtures/browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.browser import browser_pages, chromium
from tests.web.service import Account, DocatService

__all__ = ["browser_pages", "chromium"]


@pytest.fixture(scope="session")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocatService]:
    server = DocatService(tmp_path_factory.mktemp("web-service"))
    await server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def admin(service: DocatService) -> Account:
    account = await service.new_admin()
    # Every test signs in from 127.0.0.1: the per-address login limit would refuse the sixth.
    await service.set_setting(account, "rate_login_per_minute", "1000")
    await service.set_setting(account, "rate_uploads_free_per_hour", "1000")
    return account


@pytest.fixture
async def user(service: DocatService, admin: Account) -> Account:
    return await service.new_user(admin)
