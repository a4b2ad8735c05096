"""GET /metrics after a real job: upload through GraphQL, wait for COMPLETED, read the counters."""

from __future__ import annotations

from typing import Any

import httpx
import pymupdf

from tests.fixtures.graphql_client import GraphQLClient
from tests.ops.conftest import wait_for_value
from tests.ops.prometheus import Samples, scrape, total, value

UPLOAD = """
mutation OpsUpload($file: Upload!) {
  uploadDocument(file: $file) { id status }
}
"""
STATUS = "query OpsStatus($id: ID!) { document(id: $id) { id status pageCount error { code message } } }"


def small_pdf(pages: int = 2) -> bytes:
    document = pymupdf.open()
    for number in range(pages):
        page = document.new_page()
        page.insert_text((72, 72), f"Metrics check, page {number + 1}. " * 3)
    data = document.tobytes()
    document.close()
    return bytes(data)


def job_counters(samples: Samples) -> dict[str, float]:
    return {
        "completed": value(samples, "docat_documents_processed_total", status="completed"),
        "processing_count": total(samples, "docat_pdf_processing_seconds_count", status="completed"),
        "processing_sum": total(samples, "docat_pdf_processing_seconds_sum", status="completed"),
        "pages": total(samples, "docat_pages_processed_total"),
        "uploads": value(samples, "docat_upload_bytes_count"),
        "upload_bytes": value(samples, "docat_upload_bytes_sum"),
        "cache_lookups": value(samples, "docat_cache_lookups_total"),
        "mutations": total(samples, "docat_graphql_request_seconds_count", operation_type="mutation"),
    }


async def test_metrics_move_after_a_real_job(
    http: httpx.AsyncClient, gql: GraphQLClient, user_token: str
) -> None:
    pdf = small_pdf(pages=2)
    before = job_counters(await scrape(http))

    uploaded = await gql.upload(UPLOAD, {}, "file", pdf, filename="metrics.pdf", token=user_token)
    document_id = uploaded.ok()["uploadDocument"]["id"]

    async def status() -> dict[str, Any]:
        return (await gql.execute(STATUS, {"id": document_id}, token=user_token)).ok()["document"]

    finished = await wait_for_value(
        status, lambda d: d["status"] in ("COMPLETED", "FAILED", "CANCELLED"), 120
    )
    assert finished["status"] == "COMPLETED", finished

    after = job_counters(
        await wait_for_value(
            lambda: scrape(http), lambda s: job_counters(s)["completed"] > before["completed"]
        )
    )
    assert after["completed"] == before["completed"] + 1
    assert after["processing_count"] == before["processing_count"] + 1
    assert after["processing_sum"] > before["processing_sum"]
    assert after["pages"] >= before["pages"] + 2
    assert after["uploads"] == before["uploads"] + 1
    assert after["upload_bytes"] == before["upload_bytes"] + len(pdf)
    assert after["cache_lookups"] >= before["cache_lookups"] + 1
    assert after["mutations"] >= before["mutations"] + 1
