"""Result fields: content, markdown(translated), text, downloadUrl — null until the run made them."""

from __future__ import annotations

from typing import Any

from docat.resources import Resources
from jobs.pdf.markdown import to_markdown, to_text
from tests.documents.conftest import RecordingQueue, finish_run, uploaded
from tests.fixtures.graphql_client import GraphQLClient

RESULTS = """
query Results($id: ID!) {
  document(id: $id) {
    status
    content {
      title pageCount
      blocks { page type level text translatedText bbox table { headers rows } }
      headings: blocks(types: [HEADING]) { text level }
      page2: blocks(pages: "2") { type }
      metadata { wordCount extractionMs targetLanguage ocrPages }
    }
    markdown
    translated: markdown(translated: true)
    text
    original: downloadUrl(format: ORIGINAL)
    json: downloadUrl(format: JSON)
    md: downloadUrl(format: MARKDOWN)
    txt: downloadUrl(format: TEXT)
    translatedPdf: downloadUrl(format: TRANSLATED_PDF)
    dual: downloadUrl(format: DUAL_PDF)
  }
}"""


async def results(gql: GraphQLClient, token: str, doc_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await gql.execute(RESULTS, {"id": doc_id}, token=token)).ok()["document"]
    return data


async def test_nothing_but_the_original_before_the_run_ends(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue
) -> None:
    doc = await uploaded(gql, user_token)
    got = await results(gql, user_token, doc["id"])
    assert got["content"] is None and got["markdown"] is None and got["translated"] is None
    assert got["text"] is None
    assert got["original"] is not None
    assert [got[k] for k in ("json", "md", "txt", "translatedPdf", "dual")] == [None] * 5


async def test_results_of_a_completed_run(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token)
    content = await finish_run(resources, doc["uuid"])
    got = await results(gql, user_token, doc["id"])
    assert got["status"] == "COMPLETED"
    assert got["content"]["title"] == content.title and got["content"]["pageCount"] == 2
    assert [b["type"] for b in got["content"]["blocks"]] == [
        "TITLE",
        "HEADING",
        "PARAGRAPH",
        "TABLE",
        "FOOTER",
    ]
    assert got["content"]["blocks"][3]["table"] == {"headers": ["Region", "Units"], "rows": [["North", "12"]]}
    assert got["content"]["headings"] == [{"text": "Introduction", "level": 1}]
    assert got["content"]["page2"] == [{"type": "TABLE"}, {"type": "FOOTER"}]
    assert got["content"]["metadata"]["wordCount"] == 7
    assert got["markdown"] == to_markdown(content)
    assert got["text"] == to_text(content)
    # Not translated: no translated Markdown, no translated PDFs.
    assert got["translated"] is None and got["translatedPdf"] is None and got["dual"] is None
    assert all(got[k] for k in ("original", "json", "md", "txt"))


async def test_translated_markdown(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources, a_provider: None
) -> None:
    doc = await uploaded(gql, user_token, options={"translateTo": "de"})
    content = await finish_run(resources, doc["uuid"], translated=True)
    got = await results(gql, user_token, doc["id"])
    assert got["translated"] == to_markdown(content, translated=True)
    assert "[de] Intro" in got["translated"]
    assert got["translatedPdf"] is not None and got["dual"] is None


class CountingStorage:
    """Wraps the real storage and counts reads of each key."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads: dict[str, int] = {}

    async def get_bytes(self, key: str) -> bytes:
        self.reads[key] = self.reads.get(key, 0) + 1
        data: bytes = await self.inner.get_bytes(key)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_content_is_read_once_per_request(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, resources: Resources, a_provider: None
) -> None:
    doc = await uploaded(gql, user_token, options={"translateTo": "de"})
    await finish_run(resources, doc["uuid"], translated=True)
    counting = CountingStorage(resources.storage)
    resources.storage = counting
    try:
        query = """query($id: ID!) { a: document(id: $id) { content { title } translated: markdown(translated: true) }
                                     b: document(id: $id) { content { pageCount } } }"""
        data = (await gql.execute(query, {"id": doc["id"]}, token=user_token)).ok()
    finally:
        resources.storage = counting.inner
    assert data["a"]["content"]["title"] and data["b"]["content"]["pageCount"] == 2
    assert data["a"]["translated"]
    assert counting.reads == {f"documents/{doc['uuid']}/content.json": 1}


async def test_someone_elses_results_are_not_found(
    gql: GraphQLClient, user_token: str, other_token: str, queue: RecordingQueue, resources: Resources
) -> None:
    doc = await uploaded(gql, user_token)
    await finish_run(resources, doc["uuid"])
    result = await gql.execute(RESULTS, {"id": doc["id"]}, token=other_token)
    assert result.codes == ["NOT_FOUND"]
