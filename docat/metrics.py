"""Every Prometheus metric of PDF Docat, and the small functions that record them.

This is the only module that defines metrics: the API, the worker and the CLI
call the functions below and never touch prometheus_client themselves, so the
names the dashboards and alert rules use (deploy/grafana, deploy/prometheus)
live in one place. tests/deploy checks those files against this module.

Where metrics are served:

- API processes: `GET /metrics` returns `metrics_response()`.
- Worker processes (`docat worker`): `start_worker_metrics_server(port)` serves
  them on their own port, WORKER_METRICS_PORT (9100 in deploy/), because an
  arq worker has no HTTP server of its own.
- The PyMuPDF process-pool children record nothing: each child has its own
  registry that nobody scrapes. The worker parent records around each
  `run_in_executor` call instead.

One registry per process is the deployment model (one uvicorn worker per API
container, scaled by replicas). `docat serve --workers N` with N > 1 needs
PROMETHEUS_MULTIPROC_DIR set (prometheus_client's own switch, read at import):
then `metrics_response()` aggregates every process's files.

The cache hit ratio is not a metric of its own (a ratio of two counters is only
meaningful over a window); the recording rule `docat:cache_hit_ratio:rate5m` in
deploy/prometheus/rules/docat.yml computes it:

    sum(rate(docat_cache_hits_total[5m])) / sum(rate(docat_cache_lookups_total[5m]))
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
    values,
)

from docat.errors import ERROR_CODES

DEFAULT_WORKER_METRICS_PORT = 9100

OTHER = "other"


class BoundedLabel:
    """Turns free-form strings into label values with bounded cardinality.

    Every distinct label value is a time series kept forever by this process
    and by Prometheus, so client-chosen strings (GraphQL operation names,
    provider names from settings) pass through here: a value must match
    `pattern` ([A-Za-z0-9_]{1,64} by default), and only the first `max_values` distinct ones are kept;
    everything else becomes "other".
    """

    NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
    # Host names and arq worker ids also carry '-' and '.'.
    HOST = re.compile(r"[A-Za-z0-9_.-]{1,64}")

    def __init__(self, max_values: int, empty: str = "anonymous", pattern: re.Pattern[str] = NAME) -> None:
        self.max_values = max_values
        self.empty = empty
        self.pattern = pattern
        self._seen: set[str] = set()
        # The metrics server thread and the event loop may both call in.
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        if not value:
            return self.empty
        if not self.pattern.fullmatch(value):
            return OTHER
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) >= self.max_values:
                return OTHER
            self._seen.add(value)
            return value


bound_operation_name = BoundedLabel(max_values=100)
bound_provider = BoundedLabel(max_values=20, empty="unknown")
# Worker ids are container host names: bounded because replicas come and go.
bound_worker = BoundedLabel(max_values=200, empty="unknown", pattern=BoundedLabel.HOST)

OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})
ENGINES = frozenset({"auto", "text", "ocr", "llm_ocr"})
# Engines a page is actually processed with (AUTO resolves per page).
PAGE_ENGINES = frozenset({"text", "ocr", "llm_ocr"})
JOB_STATUSES = frozenset({"completed", "failed", "cancelled"})


def _one_of(value: str | None, allowed: frozenset[str]) -> str:
    """Lower-cased `value` if it is a known label value, else "other"."""
    normalized = (value or "").lower()
    return normalized if normalized in allowed else OTHER


# ---- the metrics -----------------------------------------------------------

PDF_PROCESSING_SECONDS = Histogram(
    "docat_pdf_processing_seconds",
    "Wall time of one document's processing job, from start to terminal status.",
    ["engine", "status"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
GRAPHQL_REQUEST_SECONDS = Histogram(
    "docat_graphql_request_seconds",
    "Time to execute one GraphQL operation (subscriptions: time to set up).",
    ["operation_type", "operation_name"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_DEPTH = Gauge(
    "docat_queue_depth",
    "Jobs waiting in the arq queue, as last sampled by this process.",
    multiprocess_mode="mostrecent",
)
CACHE_LOOKUPS = Counter(
    "docat_cache_lookups",
    "Result-cache lookups (an upload whose sha256 and options may match an earlier result).",
)
CACHE_HITS = Counter(
    "docat_cache_hits",
    "Result-cache lookups that reused an earlier result.",
)
DOCUMENTS_PROCESSED = Counter(
    "docat_documents_processed",
    "Documents whose job reached a terminal status.",
    ["status"],
)
PAGES_PROCESSED = Counter(
    "docat_pages_processed",
    "Pages processed, by the engine actually used for the page.",
    ["engine"],
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "docat_active_subscriptions",
    "GraphQL subscriptions currently open on this API process.",
    multiprocess_mode="livesum",
)
WORKER_HEARTBEAT = Gauge(
    "docat_worker_heartbeat_timestamp_seconds",
    "Unix time of the worker's last heartbeat; alert when it stops moving.",
    ["worker"],
    multiprocess_mode="max",
)
ERRORS = Counter(
    "docat_errors",
    "Errors reported to clients or recorded on failed jobs, by contract error code.",
    ["code"],
)
PROVIDER_REQUESTS = Counter(
    "docat_provider_requests",
    "Requests sent to an LLM/OCR provider.",
    ["provider"],
)
PROVIDER_FAILURES = Counter(
    "docat_provider_failures",
    "Provider requests that failed (network error, timeout, non-2xx).",
    ["provider"],
)
UPLOAD_BYTES = Histogram(
    "docat_upload_bytes",
    "Size of accepted uploads in bytes (_sum is the total volume).",
    buckets=(10e3, 100e3, 500e3, 1e6, 5e6, 10e6, 25e6, 50e6, 100e6),
)

WEBHOOK_DELIVERIES = Counter(
    "docat_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), "
    "failed (given up), abandoned (webhook turned off).",
    ["outcome"],
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "docat_webhook_delivery_seconds",
    "Time of one webhook delivery attempt, from connect to the (first KiB of the) answer.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOK_QUEUE_DEPTH = Gauge(
    "docat_webhook_queue_depth",
    "Webhook deliveries waiting for an attempt (PENDING), as last sampled by this process.",
    multiprocess_mode="mostrecent",
)
WEBHOOK_OUTCOMES = frozenset({"delivered", "retry", "failed", "abandoned"})

# ---- what the rest of the code calls --------------------------------------


def observe_pdf_processing(engine: str, status: str, seconds: float) -> None:
    """One job finished (`status`: completed/failed/cancelled) after `seconds`."""
    PDF_PROCESSING_SECONDS.labels(_one_of(engine, ENGINES), _one_of(status, JOB_STATUSES)).observe(seconds)


def observe_graphql(op_type: str, op_name: str | None, seconds: float) -> None:
    """One GraphQL operation took `seconds`; the name is bounded (see BoundedLabel)."""
    GRAPHQL_REQUEST_SECONDS.labels(_one_of(op_type, OPERATION_TYPES), bound_operation_name(op_name)).observe(
        seconds
    )


def set_queue_depth(depth: int) -> None:
    QUEUE_DEPTH.set(depth)


def record_webhook_delivery(outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(_one_of(outcome, WEBHOOK_OUTCOMES)).inc()


def observe_webhook_latency(seconds: float) -> None:
    WEBHOOK_DELIVERY_SECONDS.observe(seconds)


def set_webhook_queue_depth(depth: int) -> None:
    WEBHOOK_QUEUE_DEPTH.set(depth)


def record_cache_lookup(hit: bool) -> None:
    CACHE_LOOKUPS.inc()
    if hit:
        CACHE_HITS.inc()


def record_document_processed(status: str) -> None:
    DOCUMENTS_PROCESSED.labels(_one_of(status, JOB_STATUSES)).inc()


def record_pages_processed(engine: str, pages: int = 1) -> None:
    """`engine` is the one used for these pages: text, ocr or llm_ocr."""
    if pages > 0:
        PAGES_PROCESSED.labels(_one_of(engine, PAGE_ENGINES)).inc(pages)


@contextmanager
def track_subscription() -> Iterator[None]:
    """Counts an open subscription for as long as the block runs.

    Usable inside an async generator: the decrement runs when the generator
    is closed, whether it completed, failed or the client went away.
    """
    ACTIVE_SUBSCRIPTIONS.inc()
    try:
        yield
    finally:
        ACTIVE_SUBSCRIPTIONS.dec()


def record_worker_heartbeat(worker: str, at: float | None = None) -> None:
    """The worker `worker` (host name or arq worker id) is alive at `at` (default: now)."""
    WORKER_HEARTBEAT.labels(bound_worker(worker)).set(time.time() if at is None else at)


def record_error(code: str) -> None:
    """Count an error by its contract code; unknown codes count as INTERNAL."""
    ERRORS.labels(code if code in ERROR_CODES else "INTERNAL").inc()


def record_provider_request(provider: str, ok: bool) -> None:
    label = bound_provider(provider)
    PROVIDER_REQUESTS.labels(label).inc()
    if not ok:
        PROVIDER_FAILURES.labels(label).inc()


def observe_upload(size_bytes: int) -> None:
    UPLOAD_BYTES.observe(size_bytes)


# ---- exposition -----------------------------------------------------------


def _multiprocess_mode() -> bool:
    # prometheus_client picks its value class from PROMETHEUS_MULTIPROC_DIR at
    # import; asking it keeps the environment read in one place (the library).
    return values.ValueClass is not values.MutexValue


def metrics_response() -> tuple[bytes, str]:
    """(body, content type) for the `/metrics` route."""
    if _multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def start_worker_metrics_server(port: int = DEFAULT_WORKER_METRICS_PORT, addr: str = "127.0.0.1") -> int:
    """Serve this process's metrics on `port` from a daemon thread; returns the bound port.

    Port 0 picks a free port (tests). The thread dies with the process, so
    there is nothing to stop on shutdown.
    """
    server, _thread = start_http_server(port, addr=addr)
    return int(server.server_port)
