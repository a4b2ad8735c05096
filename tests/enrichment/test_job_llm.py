"""Upload -> job -> LLM OCR / translation -> outputs, through the real app and the fake LLM server.

The app's own resources get an LLMRuntime pointed at the fake server (with
an environment key and millisecond retries) for the test, so the upload
check, the in-process job and the renderers all run for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest
from starlette.applications import Starlette

from docat.resources import Resources
from docat.settings import Settings
from jobs.llm.runtime import LLMRuntime
from jobs.llm.transport import RetryPolicy
from tests.enrichment.conftest import FAST_POLICY, fake_settings
from tests.enrichment.test_ocr_pages import MARKDOWN, image_only_pdf
from tests.fixtures.fake_llm import FakeLLM, FakeReply
from tests.fixtures.graphql_client import GraphQLClient

ENV_KEY = "env-or-key-1234"
# Each job is a few hundred milliseconds; this only bounds a hung one.
JOB_WAIT_SECONDS = 60.0

UPLOAD = """
mutation Upload($file: Upload!, $options: ProcessingOptionsInput) {
  uploadDocument(file: $file, options: $options) { id status }
}
"""
DOCUMENT = """
query Doc($id: ID!) {
  node(id: $id) {
    ... on Document {
      status stage engine creditsUsed pageCount
      error { code message }
      content {
        pageCount
        blocks { page type text translatedText bbox table { headers rows translatedHeaders translatedRows } }
        metadata { targetLanguage ocrPages }
      }
      markdown(translated: true)
      translated: downloadUrl(format: TRANSLATED_PDF)
      dual: downloadUrl(format: DUAL_PDF)
      logs(first: 100) { edges { node { level stage message } } }
    }
  }
}
"""

PARAGRAPHS = [
    "The harvest was early this year.",
    "Prices rose in every market we watched.",
    "Rain came late in the autumn.",
]


def text_pdf(path: Path) -> Path:
    """Two pages with a heading and paragraphs in a text layer."""
    doc = pymupdf.open()
    for number in (1, 2):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 90), f"Annual report part {number}", fontsize=20)
        for i, text in enumerate(PARAGRAPHS):
            page.insert_text((72, 160 + 60 * i), text, fontsize=11)
    doc.save(path)
    doc.close()
    return path


@pytest.fixture
async def app_llm(
    app: Starlette, settings: Settings, fake_llm: FakeLLM, isolated_keys: None
) -> AsyncIterator[FakeLLM]:
    """The app's resources use the fake server (env key) for this test."""
    resources: Resources = app.state.resources
    runtime = LLMRuntime(fake_settings(settings, fake_llm, openrouter_api_key=ENV_KEY), policy=FAST_POLICY)
    previous = resources.provide(LLMRuntime, runtime)
    try:
        yield fake_llm
    finally:
        resources.provide(LLMRuntime, previous)
        await runtime.aclose()


def use_policy(app: Starlette, policy: RetryPolicy) -> None:
    runtime: LLMRuntime = app.state.resources.shared(LLMRuntime)
    runtime.policy = policy


async def upload(gql: GraphQLClient, token: str, pdf: Path, **options: Any) -> str:
    data = await asyncio.to_thread(pdf.read_bytes)
    result = await gql.upload(UPLOAD, {"options": options}, "file", data, filename=pdf.name, token=token)
    return str(result.ok()["uploadDocument"]["id"])


async def finished(gql: GraphQLClient, token: str, document_id: str) -> dict[str, Any]:
    """The document once its job reached a terminal status (bounded wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOB_WAIT_SECONDS
    while True:
        doc = (await gql.execute(DOCUMENT, {"id": document_id}, token=token)).ok()["node"]
        # The job writes its closing log line just after the terminal status: wait for both.
        if doc["status"] in ("COMPLETED", "CANCELLED") or (doc["status"] == "FAILED" and has_error_log(doc)):
            return dict(doc)
        assert loop.time() < deadline, f"job still {doc['status']}/{doc['stage']}"
        await asyncio.sleep(0.05)


async def download(http: httpx.AsyncClient, url: str, token: str) -> bytes:
    response = await http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.content


def grown(bbox: list[float], by: float = 3.0) -> pymupdf.Rect:
    x0, y0, x1, y1 = bbox
    return pymupdf.Rect(x0 - by, y0 - by, x1 + by, y1 + by)


def error_logs(doc: dict[str, Any]) -> list[str]:
    return [e["node"]["message"] for e in doc["logs"]["edges"] if e["node"]["level"] == "ERROR"]


def has_error_log(doc: dict[str, Any]) -> bool:
    return bool(error_logs(doc))


def stages(doc: dict[str, Any]) -> set[str]:
    return {e["node"]["stage"] for e in doc["logs"]["edges"]}


async def test_translation_end_to_end(
    app_llm: FakeLLM, gql: GraphQLClient, http: httpx.AsyncClient, user_token: str, tmp_path: Path
) -> None:
    app_llm.translate_mode()
    pdf = text_pdf(tmp_path / "report.pdf")
    doc = await finished(
        gql, user_token, await upload(gql, user_token, pdf, translateTo="de", dualLanguage=True)
    )
    assert doc["status"] == "COMPLETED", doc["error"]
    assert {"TRANSLATING", "RENDERING"} <= stages(doc)
    content = doc["content"]
    assert content["metadata"]["targetLanguage"] == "de"
    paragraphs = [b for b in content["blocks"] if b["text"] in PARAGRAPHS]
    assert len(paragraphs) == 6
    assert all(b["translatedText"] == "[de] " + b["text"] for b in paragraphs)
    assert "[de] The harvest was early this year." in doc["markdown"]
    assert doc["creditsUsed"] == 2  # two text pages; translation is not charged per page

    translated = pymupdf.open(stream=await download(http, doc["translated"], user_token), filetype="pdf")
    assert translated.page_count == 2
    for block in paragraphs:
        page = translated.load_page(block["page"] - 1)
        inside = " ".join(page.get_textbox(grown(block["bbox"])).split())
        assert "[de]" in inside, (block, inside)
    page_text = " ".join(translated.load_page(0).get_text().split())
    assert "[de] " + PARAGRAPHS[0] in page_text
    assert PARAGRAPHS[0] not in page_text.replace("[de] " + PARAGRAPHS[0], "")  # the original is gone

    dual = pymupdf.open(stream=await download(http, doc["dual"], user_token), filetype="pdf")
    both = " ".join(dual.load_page(0).get_text().split())
    assert "[de] The harvest was early this year." in both
    assert both.replace("[de] The harvest was early this year.", "").count("The harvest was early") >= 1


async def test_429_then_success_completes(
    app_llm: FakeLLM, gql: GraphQLClient, user_token: str, tmp_path: Path
) -> None:
    app_llm.translate_mode()
    app_llm.enqueue(FakeReply(status=429, headers={"Retry-After": "0"}))
    doc = await finished(
        gql, user_token, await upload(gql, user_token, text_pdf(tmp_path / "r.pdf"), translateTo="fr")
    )
    assert doc["status"] == "COMPLETED", doc["error"]
    assert app_llm.request_count >= 2
    assert all(b["translatedText"] for b in doc["content"]["blocks"] if b["text"] in PARAGRAPHS)
    assert doc["translated"] is not None and doc["dual"] is None


@pytest.mark.parametrize("failure", ["http500", "timeout", "malformed"])
async def test_a_provider_failure_fails_the_job_and_keeps_the_content(
    app: Starlette, app_llm: FakeLLM, gql: GraphQLClient, user_token: str, tmp_path: Path, failure: str
) -> None:
    app_llm.translate_mode()
    reason = {"http500": "HTTP 500", "timeout": "timed out", "malformed": "unexpected response"}[failure]
    if failure == "http500":
        reply = FakeReply(status=500)
    elif failure == "timeout":
        use_policy(app, RetryPolicy(attempts=2, backoff_base=0.01, timeout=httpx.Timeout(0.3)))
        reply = FakeReply(delay=1.0)
    else:
        reply = FakeReply(body="{not json")
    app_llm.enqueue(*[reply] * 10)
    doc = await finished(
        gql, user_token, await upload(gql, user_token, text_pdf(tmp_path / "r.pdf"), translateTo="it")
    )
    assert doc["status"] == "FAILED"
    assert doc["error"]["code"] == "PROVIDER_ERROR"
    # The extraction is kept and charged; nothing was charged for the translation.
    assert [b["text"] for b in doc["content"]["blocks"] if b["text"] in PARAGRAPHS] == PARAGRAPHS * 2
    assert all(b["translatedText"] is None for b in doc["content"]["blocks"])
    assert doc["creditsUsed"] == 2
    assert doc["translated"] is None and doc["dual"] is None
    # The logs say what happened: the code and the provider's last answer.
    assert any("PROVIDER_ERROR" in m and reason in m for m in error_logs(doc)), error_logs(doc)


async def test_llm_ocr_of_an_image_only_page(
    app_llm: FakeLLM, gql: GraphQLClient, user_token: str, tmp_path: Path
) -> None:
    app_llm.ocr_mode(MARKDOWN)
    pdf = image_only_pdf(tmp_path / "scan.pdf", pages=1)
    doc = await finished(gql, user_token, await upload(gql, user_token, pdf, engine="LLM_OCR"))
    assert doc["status"] == "COMPLETED", doc["error"]
    assert doc["engine"] == "LLM_OCR" and doc["content"]["metadata"]["ocrPages"] == [1]
    assert app_llm.request_count == 1 and app_llm.requests[0].image_count == 1
    types = [b["type"] for b in doc["content"]["blocks"]]
    assert types == ["HEADING", "PARAGRAPH", "TABLE"]
    table = doc["content"]["blocks"][2]["table"]
    assert table["headers"] == ["Item", "Price"] and table["rows"] == [["Paper", "4.50"], ["Ink", "12.00"]]
    assert doc["creditsUsed"] == 5  # one OCR page


async def test_llm_ocr_failure_keeps_the_read_pages_and_charges_no_vision_price_for_the_rest(
    app_llm: FakeLLM, gql: GraphQLClient, user_token: str, tmp_path: Path
) -> None:
    # The first request answers; every later one fails, so one page is read and the other is not.
    app_llm.enqueue(FakeReply(text=MARKDOWN), *[FakeReply(status=500)] * 10)
    pdf = image_only_pdf(tmp_path / "scan.pdf", pages=2)
    doc = await finished(gql, user_token, await upload(gql, user_token, pdf, engine="LLM_OCR"))
    assert doc["status"] == "FAILED" and doc["error"]["code"] == "PROVIDER_ERROR"
    (read,) = {b["page"] for b in doc["content"]["blocks"] if b["type"] == "TABLE"}
    assert doc["content"]["metadata"]["ocrPages"] == [read]
    # 5 for the page the vision model read; the failed page is charged as the text-layer
    # read it fell back to (1), never the vision model's price.
    assert doc["creditsUsed"] == 5 + 1
    assert has_error_log(doc)


async def test_no_provider_is_refused_at_upload(
    app: Starlette, gql: GraphQLClient, user_token: str, isolated_keys: None, tmp_path: Path
) -> None:
    resources: Resources = app.state.resources
    runtime = resources.find(LLMRuntime)
    assert runtime is None or not (runtime.settings.openrouter_api_key or runtime.settings.gemini_api_key)
    pdf = text_pdf(tmp_path / "r.pdf")
    for options in ({"translateTo": "de"}, {"engine": "LLM_OCR"}):
        result = await gql.upload(
            UPLOAD, {"options": options}, "file", pdf.read_bytes(), filename="r.pdf", token=user_token
        )
        assert result.codes == ["PROVIDER_NOT_CONFIGURED"]
    result = await gql.upload(
        UPLOAD, {"options": {"translateTo": "xx-nope"}}, "file", pdf.read_bytes(), token=user_token
    )
    assert result.codes == ["BAD_USER_INPUT"]
