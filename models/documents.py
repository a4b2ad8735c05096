"""Documents and their processing state, logs and per-page results."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.users import User


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobStage(StrEnum):
    QUEUED = "QUEUED"
    ANALYZING = "ANALYZING"
    EXTRACTING = "EXTRACTING"
    OCR = "OCR"
    TRANSLATING = "TRANSLATING"
    RENDERING = "RENDERING"
    FINALIZING = "FINALIZING"
    DONE = "DONE"
    # Queued again after its worker died; the next run resumes after the pages already saved.
    RECOVERING = "RECOVERING"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Document(Model):
    id = fields.UUIDField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="documents", on_delete=fields.CASCADE
    )
    filename = fields.CharField(max_length=255)
    size_bytes = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    page_count = fields.IntField(null=True)
    pdf_type = fields.CharField(max_length=16, null=True)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    stage = fields.CharEnumField(JobStage, max_length=16, default=JobStage.QUEUED)
    progress = fields.FloatField(default=0.0)
    # ProcessingOptionsInput minus the password, which is never stored.
    owner_id: uuid.UUID
    options: dict[str, Any] = fields.JSONField(default=dict)
    engine = fields.CharField(max_length=16, null=True)
    cached = fields.BooleanField(default=False)
    credits_used = fields.IntField(default=0)
    credits_reserved = fields.IntField(default=0)
    processing_ms = fields.IntField(null=True)
    error_code = fields.CharField(max_length=32, null=True)
    error_message = fields.TextField(null=True)
    # Formats whose files exist in storage (ExportFormat names).
    formats: list[str] = fields.JSONField(default=list)
    # Each (re)run gets a new number; a stale worker's writes for an older run are ignored.
    run = fields.IntField(default=0)
    attempts = fields.IntField(default=0)
    heartbeat_at = fields.DatetimeField(null=True)
    cancel_requested = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "documents"
        indexes = (
            Index(fields=("owner_id", "created_at")),
            Index(fields=("sha256",)),
            Index(fields=("status", "heartbeat_at")),
        )


class DocumentPage(Model):
    # The blocks of one page, saved as soon as it is extracted: documentPages replays them.

    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="pages", on_delete=fields.CASCADE
    )
    run = fields.IntField(default=0)
    page = fields.IntField()
    page_count = fields.IntField()
    document_id: uuid.UUID
    blocks: list[dict[str, Any]] = fields.JSONField(default=list)
    ocr = fields.BooleanField(default=False)

    class Meta:
        table = "document_pages"
        unique_together = (("document_id", "run", "page"),)


class ProcessingLog(Model):
    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="logs", on_delete=fields.CASCADE
    )
    document_id: uuid.UUID
    at = fields.DatetimeField(auto_now_add=True)
    level = fields.CharEnumField(LogLevel, max_length=8, default=LogLevel.INFO)
    stage = fields.CharEnumField(JobStage, max_length=16, null=True)
    message = fields.TextField()

    class Meta:
        table = "processing_logs"
        indexes = (Index(fields=("document_id", "at")),)
