"""docat.metrics: the recording functions, as read back from the exposition text."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from docat import metrics


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `metrics_response()`, keyed by (name, sorted labels)."""
    body, content_type = metrics.metrics_response()
    assert content_type.startswith("text/plain")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(name: str, **labels: str) -> float:
    return scrape().get((name, tuple(sorted(labels.items()))), 0.0)


def test_graphql_histogram_counts_by_type_and_name() -> None:
    before = value("docat_graphql_request_seconds_count", operation_type="query", operation_name="MeTest")
    metrics.observe_graphql("query", "MeTest", 0.02)
    metrics.observe_graphql("QUERY", "MeTest", 3.0)
    after = scrape()
    key = (
        "docat_graphql_request_seconds_count",
        (("operation_name", "MeTest"), ("operation_type", "query")),
    )
    assert after[key] == before + 2
    bucket = (
        "docat_graphql_request_seconds_bucket",
        (("le", "0.025"), ("operation_name", "MeTest"), ("operation_type", "query")),
    )
    assert after[bucket] >= 1


def test_unknown_operation_type_is_other() -> None:
    metrics.observe_graphql("drop table", "X", 0.1)
    assert value("docat_graphql_request_seconds_count", operation_type="other", operation_name="X") >= 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "anonymous"),
        ("", "anonymous"),
        ("GetDocument_2", "GetDocument_2"),
        ("has space", "other"),
        ("ÜberQuery", "other"),
        ("a" * 64, "a" * 64),
        ("a" * 65, "other"),
    ],
)
def test_bounded_label_shape(raw: str | None, expected: str) -> None:
    assert metrics.BoundedLabel(max_values=10)(raw) == expected


def test_bounded_label_caps_distinct_values() -> None:
    bound = metrics.BoundedLabel(max_values=3)
    assert [bound(f"op{i}") for i in range(5)] == ["op0", "op1", "op2", "other", "other"]
    # Names seen before the cap keep their own series.
    assert bound("op1") == "op1"


def test_pdf_processing_and_documents() -> None:
    before = value("docat_pdf_processing_seconds_count", engine="ocr", status="failed")
    metrics.observe_pdf_processing("OCR", "FAILED", 12.5)
    assert value("docat_pdf_processing_seconds_count", engine="ocr", status="failed") == before + 1

    before = value("docat_documents_processed_total", status="completed")
    metrics.record_document_processed("COMPLETED")
    metrics.record_document_processed("weird")
    assert value("docat_documents_processed_total", status="completed") == before + 1
    assert value("docat_documents_processed_total", status="other") >= 1


def test_pages_by_engine() -> None:
    before = value("docat_pages_processed_total", engine="llm_ocr")
    metrics.record_pages_processed("LLM_OCR", 4)
    metrics.record_pages_processed("llm_ocr", 0)
    assert value("docat_pages_processed_total", engine="llm_ocr") == before + 4


def test_cache_counters() -> None:
    hits, lookups = value("docat_cache_hits_total"), value("docat_cache_lookups_total")
    metrics.record_cache_lookup(hit=True)
    metrics.record_cache_lookup(hit=False)
    assert value("docat_cache_hits_total") == hits + 1
    assert value("docat_cache_lookups_total") == lookups + 2


def test_queue_depth_and_subscriptions() -> None:
    metrics.set_queue_depth(7)
    assert value("docat_queue_depth") == 7
    before = value("docat_active_subscriptions")
    with metrics.track_subscription():
        assert value("docat_active_subscriptions") == before + 1
    assert value("docat_active_subscriptions") == before


def test_subscription_gauge_drops_when_block_raises() -> None:
    before = value("docat_active_subscriptions")
    with pytest.raises(RuntimeError), metrics.track_subscription():
        raise RuntimeError("client went away")
    assert value("docat_active_subscriptions") == before


def test_worker_heartbeat_is_a_timestamp() -> None:
    metrics.record_worker_heartbeat("worker-a.1", at=1_700_000_000.0)
    assert value("docat_worker_heartbeat_timestamp_seconds", worker="worker-a.1") == 1_700_000_000.0
    metrics.record_worker_heartbeat("worker-a.1")
    assert value("docat_worker_heartbeat_timestamp_seconds", worker="worker-a.1") > 1_700_000_000.0


def test_errors_by_contract_code() -> None:
    before_nf = value("docat_errors_total", code="NOT_FOUND")
    before_internal = value("docat_errors_total", code="INTERNAL")
    metrics.record_error("NOT_FOUND")
    metrics.record_error("SOMETHING_NEW")
    assert value("docat_errors_total", code="NOT_FOUND") == before_nf + 1
    assert value("docat_errors_total", code="INTERNAL") == before_internal + 1


def test_provider_requests_and_failures() -> None:
    req = value("docat_provider_requests_total", provider="gemini")
    fail = value("docat_provider_failures_total", provider="gemini")
    metrics.record_provider_request("gemini", ok=True)
    metrics.record_provider_request("gemini", ok=False)
    assert value("docat_provider_requests_total", provider="gemini") == req + 2
    assert value("docat_provider_failures_total", provider="gemini") == fail + 1


def test_upload_bytes() -> None:
    count, total = value("docat_upload_bytes_count"), value("docat_upload_bytes_sum")
    metrics.observe_upload(2048)
    assert value("docat_upload_bytes_count") == count + 1
    assert value("docat_upload_bytes_sum") == total + 2048


def test_worker_metrics_server_serves_the_registry() -> None:
    metrics.record_error("PROVIDER_ERROR")
    port = metrics.start_worker_metrics_server(0, addr="127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body = response.read().decode()
    names = {s.name for f in text_string_to_metric_families(body) for s in f.samples}
    assert "docat_errors_total" in names
