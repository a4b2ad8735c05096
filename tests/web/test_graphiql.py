"""GraphiQL at GET /graphql from the service's own files, with no internet: it renders (the
Headers tab and the explorer plugin included), runs a query over HTTP and a subscription over
graphql-ws whose connection_init carries the Authorization header of the Headers tab."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from playwright.async_api import Page, expect

from tests.fixtures.browser import OpenPage
from tests.web.service import Account, DocatService, report_bytes
from tests.web.steps import JOB_WAIT_MS, UI_WAIT_MS, screenshot

SET_EDITOR = """([selector, value]) => {
  document.querySelector(selector).CodeMirror.setValue(value);
}"""


RESULT = "() => document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() ?? ''"


async def run(page: Page, query: str, expected: str) -> str:
    """Put `query` in the editor and execute it until the result shows `expected`. GraphiQL
    takes the editor's text into its state a moment after a change, so an early click may
    still run the previous text: the (idempotent) operations are simply run again."""
    await page.evaluate(SET_EDITOR, [".graphiql-query-editor .CodeMirror", query])
    result = ""
    for _ in range(20):
        await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
        for _ in range(10):
            result = await page.evaluate(RESULT)
            if expected in result:
                return result
            await asyncio.sleep(0.2)
    raise AssertionError(f"{expected!r} never appeared in the result: {result}")


async def wait_completed(service: DocatService, account: Account, document_id: str) -> None:
    for _ in range(600):
        if (await service.document(account, document_id))["status"] == "COMPLETED":
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the job did not complete")


async def test_graphiql_renders_and_runs_a_query_and_a_subscription_offline(
    service: DocatService, user: Account, browser_pages: OpenPage, tmp_path: Path
) -> None:
    document_id = await service.upload(user, report_bytes(tmp_path), "for-graphiql.pdf")
    await asyncio.wait_for(wait_completed(service, user, document_id), JOB_WAIT_MS / 1000)
    sockets: list[str] = []
    page, _guard = await browser_pages(service.url, viewport={"width": 1280, "height": 800})

    def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framesent", lambda payload: sockets.append(str(payload)))

    page.on("websocket", on_socket)
    await page.goto(service.url + "/graphql", wait_until="load")
    await expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible(timeout=UI_WAIT_MS)
    await expect(page.get_by_role("button", name="Headers")).to_be_visible()
    await expect(page.locator("[aria-label='Show GraphiQL Explorer']")).to_be_attached()

    await page.get_by_role("button", name="Headers").click()
    headers = json.dumps({"Authorization": f"Bearer {user.token}"})
    await page.evaluate(
        SET_EDITOR, [".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror", headers]
    )

    assert '"role": "USER"' in await run(page, "query Me { me { email role } }", user.email)

    subscription = f'subscription Job {{ jobProgress(documentId: "{document_id}") {{ status stage }} }}'
    assert '"stage": "DONE"' in await run(page, subscription, "COMPLETED")
    init = [frame for frame in sockets if '"connection_init"' in frame]
    assert init and f"Bearer {user.token}" in init[0]
    await screenshot(page, "graphiql")
