"""process_document: one run of one document, from QUEUED to a terminal status.

    await process_document({"resources": resources, "job_try": 1}, str(doc.id), doc.run, token)

The same function runs under arq (`docat worker`) and in the embedded API's
in-process queue (docat/queue/in_process.py). Orchestration only: load, run the stages,
save, publish. The stage bodies live beside it (jobs/extract_in_pool.py,
jobs/page_store.py, jobs/results.py, jobs/llm_ocr_translate.py) and PyMuPDF runs in the
process pool (jobs/process_pool.py).

    claim          QUEUED -> PROCESSING for exactly this run (a conditional UPDATE), or nothing
    ANALYZING      download the original; inspect, choose pages, profile fonts and running lines
                   in one pool call (jobs/analyze_in_pool.py), which also extracts a single text chunk
    EXTRACTING/OCR chunks across the pool; each page saved and published as it returns
    OCR            engine LLM_OCR: every page through the vision model
    TRANSLATING    translateTo: the content's text and table cells
    RENDERING      translated.pdf (and dual.pdf) in the pool
    FINALIZING     content.json / .md / .txt stored
    end            COMPLETED / FAILED / CANCELLED, credits settled (jobs/outcome.py)

A run that is not the document's current one, or whose document is terminal,
does nothing. While it runs, a ticker beats every half second (heartbeat,
progress event, cancel poll; jobs/tracker.py), and its log lines are written
behind it (jobs/run_log.py). A stage's bookkeeping (its event and row) runs
alongside the stage's work where the order of events allows: the first chunks
are extracted, the result files stored, while their stage is being entered. Errors: a lost
connection to PostgreSQL, Redis or S3 is waited out within the same attempt
(jobs/outages.py: page saves and the run's end are tried again in place; any
other step makes the job start over from its claim, resuming after the pages
already saved), for up to a minute of outage; other transient I/O, or an
outage longer than that, is retried with backoff (`arq.Retry`, the same run,
resuming likewise); anything else ends the run FAILED with its contract code
(jobs/failures.py). A ProviderError keeps the extracted content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq.worker import Retry
from tortoise.expressions import Q

from docat import metrics
from docat.errors import BadUserInput, DocatError, ProviderError, ProviderNotConfigured
from docat.heartbeat import RunRegistry
from docat.logging import bind_document_id
from docat.queue import job_password
from docat.resources import Resources
from docat.storage import StorageNotFound, document_key
from jobs.analyze_in_pool import Analysis, analyze_pdf
from jobs.extract_in_pool import chunk_pages, extract_chunks, needs_ocr
from jobs.failures import failure_of, is_transient
from jobs.optional_stages import llm_ocr_stage, render_stage, translate_stage
from jobs.outages import OutageWindow, is_connection_error, retry_connection
from jobs.outcome import RunEnd, end_run
from jobs.page_store import PageStore
from jobs.pdf.analyze import PdfInspection
from jobs.pdf.content import ExtractedContent, PageContent
from jobs.pdf.errors import PdfError
from jobs.pdf.ocr import check_language
from jobs.pdf.options import ENGINES, ExtractOptions, PageRangeError, parse_page_ranges
from jobs.pdf.pipeline import select_pages
from jobs.pdf.profile import DocumentProfile, profile_document
from jobs.progress_plan import ProgressPlan
from jobs.results import ORIGINAL, write_content_files
from jobs.retention import temp_dir
from jobs.tracker import RunGone, RunTracker
from models import TERMINAL_STATUSES, Document, JobStage, JobStatus, LogLevel

logger = logging.getLogger(__name__)

# Tries of one run against transient errors (storage, database, pool), then INTERNAL.
MAX_TRIES = 4
RETRY_BASE_SECONDS = 2.0
# Page warnings written to the processing log per run, at most (see _log_page_warnings).
MAX_WARNING_LINES = 50
TRANSIENT_MESSAGE = "processing failed: a service it needs stayed unavailable; try again later"


class Reconnect(Exception):
    """A step lost its connection; the job starts over from its claim after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"a service is unreachable; again in {delay:.1f} s")
        self.delay = delay


async def process_document(
    ctx: dict[str, Any], document_id: str, run: int, password_token: str | None = None
) -> None:
    resources: Resources = ctx["resources"]
    job_try = int(ctx.get("job_try") or 1)
    window = OutageWindow()
    resume = job_try > 1
    # Listed with the worker's heartbeat while it runs (docat/heartbeat.py): once the worker
    # dies, the list expires with it and another worker takes the run over (jobs/recovery.py).
    runs: RunRegistry | None = ctx.get("runs")
    if runs is not None:
        runs.add(document_id, run)
    try:
        await _attempt(resources, document_id, run, password_token, job_try, resume, window)
    finally:
        if runs is not None:
            runs.discard(document_id, run)


async def _attempt(
    resources: Resources,
    document_id: str,
    run: int,
    password_token: str | None,
    job_try: int,
    resume: bool,
    window: OutageWindow,
) -> None:
    with bind_document_id(document_id):
        while True:
            job = DocumentJob(resources, uuid.UUID(document_id), run, password_token, job_try, resume, window)
            try:
                await job.run()
                return
            except Reconnect as exc:
                delay = exc.delay
            except Exception as exc:
                # The claim (or the end of the run) could not reach the database.
                if not is_connection_error(exc):
                    raise
                wait = window.next_delay()
                if wait is None:
                    logger.warning("document %s: still unreachable, giving the job back to arq", document_id)
                    raise Retry(defer=RETRY_BASE_SECONDS * 2 ** (job_try - 1)) from exc
                delay = wait
            logger.warning(
                "document %s: lost a connection (outage %d of this attempt); resuming in %.1f s",
                document_id,
                window.outages,
                delay,
            )
            await asyncio.sleep(delay)
            resume = True  # this attempt's run is PROCESSING and ours; its saved pages stay


class DocumentJob:
    def __init__(
        self,
        resources: Resources,
        document_id: uuid.UUID,
        run: int,
        password_token: str | None,
        job_try: int,
        resume: bool = False,
        window: OutageWindow | None = None,
    ) -> None:
        self.resources = resources
        self.settings = resources.settings
        self.document_id = document_id
        self.run_number = run
        self.password_token = password_token
        self.job_try = job_try
        # A later try (arq redelivery, retry) or a restart within this attempt after an outage:
        # the run may be PROCESSING already, with pages saved.
        self.resume = resume or job_try > 1
        self.window = window or OutageWindow()
        self.started = time.perf_counter()
        self.tracker: RunTracker | None = None
        self.store: PageStore | None = None
        self.inspection: PdfInspection | None = None
        # Text-layer pages waiting for the vision model (engine LLM_OCR).
        self.held: dict[int, PageContent] = {}
        # Page warnings (MuPDF's messages, a skipped page) written to the processing log so far.
        self.warnings_logged = 0
        self.content: ExtractedContent | None = None
        self.extraction_ms = 0
        self.formats = ["ORIGINAL"]

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> None:
        document = await self._claim()
        if document is None:
            return
        tracker = self.tracker = RunTracker(self.resources, document, self.run_number)
        try:
            async with tracker.ticking():
                tracker.seed(document.progress)
                if self.window.outages:
                    await tracker.log(
                        "A service was briefly unavailable; resumed in the same attempt", LogLevel.WARNING
                    )
                end = await self._process(document, tracker)
        except asyncio.CancelledError:
            if not await self._interrupted(document):
                raise  # shutdown or timeout: the run was put back to QUEUED for the next delivery
            _uncancel()
            return
        except RunGone:
            await self._interrupted(document)
            return
        except Exception as exc:
            end = await self._failed(document, exc)
        self._record_pages()
        await retry_connection(
            lambda: end_run(self.resources, document, self.run_number, end, publisher=tracker.publisher),
            self.window,
            f"document {self.document_id}: ending the run",
        )

    async def _claim(self) -> Document | None:
        """Take the run: QUEUED -> PROCESSING. A later try of the same job (arq redelivery,
        a retry) may take it from PROCESSING too: the earlier try is over by then."""
        now = datetime.now(UTC)
        claimable = Q(status=JobStatus.QUEUED)
        if self.resume:
            claimable |= Q(status=JobStatus.PROCESSING)
        written: dict[str, Any] = {
            "status": JobStatus.PROCESSING,
            "stage": JobStage.ANALYZING,
            "heartbeat_at": now,
            "started_at": now,
            "error_code": None,
            "error_message": None,
        }
        claim = Document.filter(
            claimable, id=self.document_id, run=self.run_number, cancel_requested=False
        ).update(**written)
        try:
            # The row is read alongside the claim (one round trip less); what the claim wrote
            # is applied to it below, whichever of the two the database ran first.
            claimed, document = await asyncio.gather(claim, Document.get_or_none(id=self.document_id))
        except asyncio.CancelledError:
            # Stopped (shutdown) not knowing whether the claim landed: give the run back as
            # `_interrupted` would, for the next delivery or the recovery sweep.
            await Document.filter(
                id=self.document_id, run=self.run_number, status=JobStatus.PROCESSING
            ).update(status=JobStatus.QUEUED, stage=JobStage.QUEUED)
            raise
        if claimed and document is not None:
            for field, value in written.items():
                setattr(document, field, value)
            return document
        if not claimed:
            # Why not: the row as it is now (the read may predate a cancellation).
            document = await Document.get_or_none(id=self.document_id)
        if document is None:
            logger.info("document %s is gone; nothing to do", self.document_id)
            return None
        if (
            document.run == self.run_number
            and document.cancel_requested
            and document.status not in TERMINAL_STATUSES
        ):
            # Cancelled while queued: end it here, nothing extracted, the hold released.
            await end_run(
                self.resources,
                document,
                self.run_number,
                RunEnd(
                    JobStatus.CANCELLED,
                    document.stage,
                    document.progress,
                    "Cancelled before processing started",
                ),
            )
        else:
            logger.info(
                "document %s run %d not claimed (current run %d, %s)",
                self.document_id,
                self.run_number,
                document.run,
                document.status,
            )
        return None

    async def _process(self, document: Document, tracker: RunTracker) -> RunEnd:
        options = document.options or {}
        engine = str(options.get("engine") or "AUTO").upper()
        engine = engine if engine in ENGINES else "AUTO"
        translate_to: str | None = options.get("translateTo") or None
        dual = bool(options.get("dualLanguage"))
        ocr_language = str(options.get("ocrLanguage") or "eng")
        password = self._password()
        plan = ProgressPlan(llm_ocr=engine == "LLM_OCR", translate=translate_to is not None)
        pool = self.resources.pdf_pool

        await tracker.stage(JobStage.ANALYZING, plan.start("analyze"), "Analyzing the document")
        if (engine == "LLM_OCR" or translate_to) and not await _provider_configured(self.resources):
            raise ProviderNotConfigured(
                "this job needs an LLM provider (LLM_OCR or translation) and none is configured"
            )
        scratch = temp_dir(self.settings)
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix=f"job-{document.id}-") as folder:
            source = Path(folder) / ORIGINAL
            await self._download(document, source)
            # Inspected, profiled and (a single chunk of text) extracted in one pool call
            # (jobs/analyze_in_pool.py); the pages are chosen here all the same, and only what was
            # made for exactly those pages is used.
            analysis = await pool.run(
                analyze_pdf,
                str(source),
                password,
                options.get("pages"),
                ExtractOptions(engine=engine, ocr_language=ocr_language, password=password),
                pool.workers,
            )
            inspection = self.inspection = analysis.inspection
            try:
                selected = parse_page_ranges(options.get("pages"), inspection.page_count)
            except PageRangeError as exc:
                raise BadUserInput(str(exc)) from exc
            extract_options = ExtractOptions(
                engine=engine, ocr_language=ocr_language, password=password, pages=selected
            )
            pages = select_pages(inspection, extract_options)
            if any(needs_ocr(inspection, extract_options, p) for p in pages):
                check_language(ocr_language)  # BAD_USER_INPUT before any extraction
            profile = analysis.profile_for(pages)
            if profile is None:
                profile = await pool.run(
                    profile_document, str(source), password, pages, None, extract_options
                )
            if (document.page_count, document.pdf_type) != (inspection.page_count, inspection.pdf_type):
                # The upload stored what it found in this same file; rows made otherwise differ.
                await Document.filter(id=document.id, run=self.run_number).update(
                    page_count=inspection.page_count, pdf_type=inspection.pdf_type
                )
            document.page_count = tracker.page_count = inspection.page_count
            store = self.store = PageStore(
                self.resources,
                tracker.publisher,
                document.id,
                self.run_number,
                inspection.page_count,
                window=self.window,
            )
            # Pages saved before: by an earlier try of this run, by this attempt before an
            # outage, or by the run a dead worker left (recovery hands its pages to the new run).
            # A first run has nothing to read back.
            resumed = await store.resume(llm=engine == "LLM_OCR") if self.resume or document.attempts else 0
            await tracker.log(
                f"{inspection.page_count} pages, {inspection.pdf_type.lower()}; processing {len(pages)}"
                + (f" ({resumed} already done by an earlier try)" if resumed else "")
            )

            await self._extract(tracker, plan, source, password, pages, extract_options, profile, analysis)
            if self.held:
                await llm_ocr_stage(
                    self.resources, tracker, store, self.held, plan.span("llm"), source, password
                )
            content = self.content = await store.load_content(
                title=inspection.title, extraction_ms=self.extraction_ms
            )
            if translate_to:
                await translate_stage(self.resources, tracker, plan.start("translate"), content, translate_to)
                self.formats += await render_stage(
                    self.resources, tracker, plan.span("render"), document.id, source, password, content, dual
                )

        # The files are stored while the stage is entered (published, written); should the run
        # be found gone then, it ends as it would have, leaving files no format lists.
        files = asyncio.create_task(write_content_files(self.resources.storage, document.id, content))
        try:
            await tracker.stage(JobStage.FINALIZING, plan.start("finalize"), "Saving the results")
            self.formats += await files
        finally:
            if not files.done():
                files.cancel()
                await asyncio.wait({files})
            if not files.cancelled():
                files.exception()  # seen; the stage's error, if any, is the one to report
        seconds = time.perf_counter() - self.started
        return RunEnd(
            JobStatus.COMPLETED,
            JobStage.DONE,
            1.0,
            f"Completed in {seconds:.1f} s",
            updates=self._result_columns(seconds),
            engine=self._engine_used().lower(),
            seconds=seconds,
        )

    # ---- stages -------------------------------------------------------------------------

    async def _download(self, document: Document, source: Path) -> None:
        try:
            await self.resources.storage.download_to(document_key(str(document.id), ORIGINAL), source)
        except StorageNotFound as exc:
            raise DocatError("the uploaded file is missing from storage; upload it again") from exc

    async def _extract(
        self,
        tracker: RunTracker,
        plan: ProgressPlan,
        source: Path,
        password: str | None,
        pages: list[int],
        options: ExtractOptions,
        profile: DocumentProfile,
        analysis: Analysis,
    ) -> None:
        """Extract the pages not saved yet (or take the ones the analysis extracted)."""
        assert self.store is not None and self.inspection is not None
        store, inspection = self.store, self.inspection
        todo = [p for p in pages if p not in store.done]
        all_ocr = bool(pages) and all(needs_ocr(inspection, options, p) for p in pages)
        start, end = plan.span("extract")
        total = max(1, len(pages))
        # The stage is entered (published, written) while the first chunks already run in the
        # pool and their rows are written; the pages are published only once it is done, so
        # they follow the stage's event, and a run found gone (RunGone) stops the extraction.
        entering = asyncio.create_task(
            tracker.stage(
                JobStage.OCR if all_ocr else JobStage.EXTRACTING,
                start,
                f"{'OCR of' if all_ocr else 'Extracting'} {len(todo)} page{'s' if len(todo) != 1 else ''}",
            )
        )
        began = time.perf_counter()

        async def on_chunk(result: list[PageContent]) -> None:
            for page in result:
                if page.needs_llm_ocr:
                    self.held[page.page] = page
            await store.save([p for p in result if not p.needs_llm_ocr], after=entering)
            await self._log_page_warnings(tracker, result)
            done = len(store.done) + len(self.held)
            tracker.advance(start + (end - start) * done / total, page=max(p.page for p in result))

        chunks = chunk_pages(todo, inspection, options, self.resources.pdf_pool.workers)
        pool = self.resources.pdf_pool
        ready = analysis.extracted_for(pages)
        try:
            if ready is None:
                await extract_chunks(pool, source, password, chunks, options, profile, on_chunk)
            elif pending := [page for page in ready if page.page in todo]:
                await on_chunk(pending)
            await entering  # no chunk at all (every page done by an earlier try)
        finally:
            if not entering.done():
                entering.cancel()  # the extraction ended first: its error is the one to report
                await asyncio.wait({entering})
            if not entering.cancelled():
                entering.exception()  # seen; an error of the extraction itself goes on
        self.extraction_ms = (
            analysis.extraction_ms if ready is not None else int((time.perf_counter() - began) * 1000)
        )
        ocr_pages = store.count("ocr")
        await tracker.log(
            f"Extracted {len(todo)} pages in {self.extraction_ms / 1000:.1f} s"
            + (f" ({ocr_pages} by OCR)" if ocr_pages else "")
        )

    # ---- endings ------------------------------------------------------------------------

    async def _interrupted(self, document: Document) -> bool:
        """After a cancellation: True when it is handled (cancelled or superseded), False for a
        shutdown, where the run goes back to QUEUED and the cancellation must propagate."""
        row = await Document.get_or_none(id=self.document_id)
        if row is None or row.run != self.run_number or row.status in TERMINAL_STATUSES:
            logger.info("document %s run %d superseded; stopped", self.document_id, self.run_number)
            return True
        tracker = self.tracker
        assert tracker is not None
        if row.cancel_requested:
            self._record_pages()
            seconds = time.perf_counter() - self.started
            await end_run(
                self.resources,
                document,
                self.run_number,
                RunEnd(
                    JobStatus.CANCELLED,
                    tracker.current_stage,
                    tracker.progress,
                    "Cancelled",
                    updates=self._result_columns(seconds, completed=False),
                    engine=self._engine_used().lower(),
                    seconds=seconds,
                ),
                publisher=tracker.publisher,
            )
            return True
        await Document.filter(id=self.document_id, run=self.run_number, status=JobStatus.PROCESSING).update(
            status=JobStatus.QUEUED, stage=JobStage.QUEUED
        )
        await tracker.log("Interrupted (the worker is stopping); the job will resume", LogLevel.WARNING)
        return False

    async def _failed(self, document: Document, exc: Exception) -> RunEnd:
        tracker = self.tracker
        assert tracker is not None
        if is_connection_error(exc) and (delay := self.window.next_delay()) is not None:
            raise Reconnect(delay) from exc
        if is_transient(exc):
            if self.job_try < MAX_TRIES:
                await self._retry_later(exc)  # raises Retry
            logger.error(
                "document %s: giving up after %d tries", self.document_id, self.job_try, exc_info=exc
            )
            code, message = "INTERNAL", TRANSIENT_MESSAGE
        else:
            failure = failure_of(exc)
            code, message = failure.code, failure.message
            if code == "INTERNAL" and not isinstance(exc, DocatError | PdfError):
                logger.exception("document %s failed", self.document_id)
            else:
                logger.warning("document %s failed: %s: %s", self.document_id, code, message)
        updates = await self._salvage(exc)
        seconds = time.perf_counter() - self.started
        return RunEnd(
            JobStatus.FAILED,
            tracker.current_stage,
            tracker.progress,
            f"Failed: {code}: {message}",
            error_code=code,
            error_message=message,
            updates={**self._result_columns(seconds, completed=False), **updates},
            engine=self._engine_used().lower(),
            seconds=seconds,
        )

    async def _retry_later(self, exc: Exception) -> None:
        delay = RETRY_BASE_SECONDS * 2 ** (self.job_try - 1)
        logger.warning(
            "document %s: transient error (try %d of %d), again in %.0f s: %r",
            self.document_id,
            self.job_try,
            MAX_TRIES,
            delay,
            exc,
        )
        with contextlib.suppress(Exception):  # the database may be the thing that is down
            await Document.filter(
                id=self.document_id, run=self.run_number, status=JobStatus.PROCESSING
            ).update(status=JobStatus.QUEUED, stage=JobStage.QUEUED)
            assert self.tracker is not None
            await self.tracker.log(
                f"A service was briefly unavailable; trying again in {delay:.0f} s", LogLevel.WARNING
            )
        raise Retry(defer=delay) from exc

    async def _salvage(self, exc: Exception) -> dict[str, Any]:
        """After extraction, a failure (a provider giving up, a render error) keeps the content
        extracted so far; only the vision model's missing pages fall back to their text layer."""
        store, inspection = self.store, self.inspection
        if store is None or inspection is None or not (self.content or store.done or self.held):
            return {}
        if not isinstance(exc, ProviderError) and self.content is None:
            return {}  # extraction itself failed: a partial result would mislead
        try:
            if self.held:
                await store.save(sorted(self.held.values(), key=lambda p: p.page))
                self.held.clear()
            content = self.content or await store.load_content(
                title=inspection.title, extraction_ms=self.extraction_ms
            )
            formats = [
                "ORIGINAL",
                *await write_content_files(self.resources.storage, self.document_id, content),
            ]
        except Exception:
            logger.exception("document %s: extracted content not saved", self.document_id)
            return {}
        return {"formats": formats}

    # ---- small parts --------------------------------------------------------------------

    async def _log_page_warnings(self, tracker: RunTracker, pages: list[PageContent]) -> None:
        """The pages' warnings as WARNING lines of the processing log, at most
        MAX_WARNING_LINES a run: a fuzzed file can make MuPDF complain on every page."""
        for page in pages:
            for warning in dict.fromkeys(page.warnings):  # each distinct message once per page
                self.warnings_logged += 1
                if self.warnings_logged <= MAX_WARNING_LINES:
                    await tracker.log(f"Page {page.page}: {warning}"[:500], LogLevel.WARNING)
                elif self.warnings_logged == MAX_WARNING_LINES + 1:
                    await tracker.log("Further page warnings are not logged", LogLevel.WARNING)

    def _password(self) -> str | None:
        # A ValueError here means the API and this worker have different SECRET_KEYs: INTERNAL.
        return job_password(self.settings, self.password_token)

    def _engine_used(self) -> str:
        if self.store is None:
            return "AUTO"
        if self.store.count("llm_ocr"):
            return "LLM_OCR"
        return "OCR" if self.store.count("ocr") else "TEXT"

    def _result_columns(self, seconds: float, *, completed: bool = True) -> dict[str, Any]:
        columns: dict[str, Any] = {"processing_ms": int(seconds * 1000)}
        if self.store is not None:
            columns["engine"] = self._engine_used()
        if completed:
            columns["formats"] = self.formats
        return columns

    def _record_pages(self) -> None:
        if self.store is not None:
            for engine in ("text", "ocr", "llm_ocr"):
                metrics.record_pages_processed(engine, self.store.count(engine))


async def _provider_configured(resources: Resources) -> bool:
    # Late, as in jobs/optional_stages.py: the provider clients load only in jobs that need them.
    from jobs.llm_ocr_translate import provider_configured

    return await provider_configured(resources)


def _uncancel() -> None:
    # The job swallowed a cancellation it asked for itself (cancelDocument, a newer run):
    # clear the request so timeouts and task groups later in this task behave.
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
