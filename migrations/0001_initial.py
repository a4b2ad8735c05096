import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.documents import JobStage, JobStatus, LogLevel
from models.users import Role, Tier


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="ProviderKey",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("provider", fields.CharField(max_length=32)),
                ("label", fields.CharField(null=True, max_length=200)),
                ("key_encrypted", fields.TextField(unique=False)),
                ("last4", fields.CharField(max_length=4)),
                ("is_active", fields.BooleanField(default=True)),
                ("requests", fields.IntField(default=0)),
                ("failures", fields.IntField(default=0)),
                ("last_used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "provider_keys", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Setting",
            fields=[
                ("key", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ("value", fields.TextField(null=True, unique=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "settings", "app": "models", "pk_attr": "key"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TranslationCacheEntry",
            fields=[
                ("key", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ("translated", fields.TextField(unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "translation_cache", "app": "models", "pk_attr": "key"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("email", fields.CharField(unique=True, max_length=320)),
                ("name", fields.CharField(null=True, max_length=200)),
                ("password_hash", fields.CharField(max_length=255)),
                (
                    "role",
                    fields.CharEnumField(
                        default=Role.USER,
                        description="USER: USER\nADMIN: ADMIN",
                        enum_type=Role,
                        max_length=8,
                    ),
                ),
                (
                    "tier",
                    fields.CharEnumField(
                        default=Tier.FREE,
                        description="FREE: FREE\nPLUS: PLUS\nPRO: PRO",
                        enum_type=Tier,
                        max_length=8,
                    ),
                ),
                ("is_active", fields.BooleanField(default=True)),
                ("credits_used", fields.IntField(default=0)),
                ("credits_reserved", fields.IntField(default=0)),
                ("credits_limit_override", fields.IntField(null=True)),
                ("token_version", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_active_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "users", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Document",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="owner_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="documents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("filename", fields.CharField(max_length=255)),
                ("size_bytes", fields.BigIntField()),
                ("sha256", fields.CharField(max_length=64)),
                ("page_count", fields.IntField(null=True)),
                ("pdf_type", fields.CharField(null=True, max_length=16)),
                (
                    "status",
                    fields.CharEnumField(
                        default=JobStatus.QUEUED,
                        description="QUEUED: QUEUED\nPROCESSING: PROCESSING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED",
                        enum_type=JobStatus,
                        max_length=16,
                    ),
                ),
                (
                    "stage",
                    fields.CharEnumField(
                        default=JobStage.QUEUED,
                        description="QUEUED: QUEUED\nANALYZING: ANALYZING\nEXTRACTING: EXTRACTING\nOCR: OCR\nTRANSLATING: TRANSLATING\nRENDERING: RENDERING\nFINALIZING: FINALIZING\nDONE: DONE",
                        enum_type=JobStage,
                        max_length=16,
                    ),
                ),
                ("progress", fields.FloatField(default=0.0)),
                (
                    "options",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("engine", fields.CharField(null=True, max_length=16)),
                ("cached", fields.BooleanField(default=False)),
                ("credits_used", fields.IntField(default=0)),
                ("credits_reserved", fields.IntField(default=0)),
                ("processing_ms", fields.IntField(null=True)),
                ("error_code", fields.CharField(null=True, max_length=32)),
                ("error_message", fields.TextField(null=True, unique=False)),
                (
                    "formats",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("run", fields.IntField(default=0)),
                ("attempts", fields.IntField(default=0)),
                ("heartbeat_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancel_requested", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "documents",
                "app": "models",
                "indexes": [
                    Index(fields=["owner_id", "created_at"]),
                    Index(fields=["sha256"]),
                    Index(fields=["status", "heartbeat_at"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CreditLog",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credit_logs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "document",
                    fields.ForeignKeyField(
                        "models.Document",
                        source_field="document_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="credit_logs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("amount", fields.IntField()),
                ("balance_after", fields.IntField()),
                ("description", fields.CharField(max_length=500)),
                ("idempotency_key", fields.CharField(null=True, unique=True, max_length=120)),
            ],
            options={
                "table": "credit_logs",
                "app": "models",
                "indexes": [Index(fields=["user_id", "at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DocumentPage",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "document",
                    fields.ForeignKeyField(
                        "models.Document",
                        source_field="document_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("run", fields.IntField(default=0)),
                ("page", fields.IntField()),
                ("page_count", fields.IntField()),
                (
                    "blocks",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("ocr", fields.BooleanField(default=False)),
            ],
            options={
                "table": "document_pages",
                "app": "models",
                "unique_together": (("document_id", "run", "page"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProcessingLog",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "document",
                    fields.ForeignKeyField(
                        "models.Document",
                        source_field="document_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="logs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "level",
                    fields.CharEnumField(
                        default=LogLevel.INFO,
                        description="DEBUG: DEBUG\nINFO: INFO\nWARNING: WARNING\nERROR: ERROR",
                        enum_type=LogLevel,
                        max_length=8,
                    ),
                ),
                (
                    "stage",
                    fields.CharEnumField(
                        null=True,
                        description="QUEUED: QUEUED\nANALYZING: ANALYZING\nEXTRACTING: EXTRACTING\nOCR: OCR\nTRANSLATING: TRANSLATING\nRENDERING: RENDERING\nFINALIZING: FINALIZING\nDONE: DONE",
                        enum_type=JobStage,
                        max_length=16,
                    ),
                ),
                ("message", fields.TextField(unique=False)),
            ],
            options={
                "table": "processing_logs",
                "app": "models",
                "indexes": [Index(fields=["document_id", "at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
