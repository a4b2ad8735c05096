"""Tortoise models, one module per aggregate."""

from models.admin import ProviderKey, Setting, TranslationCacheEntry
from models.credits import CreditLog
from models.documents import (
    TERMINAL_STATUSES,
    Document,
    DocumentPage,
    JobStage,
    JobStatus,
    LogLevel,
    ProcessingLog,
)
from models.users import Role, Tier, User
from models.webhooks import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent

__all__ = [
    "TERMINAL_STATUSES",
    "CreditLog",
    "DeliveryStatus",
    "Document",
    "DocumentPage",
    "JobStage",
    "JobStatus",
    "LogLevel",
    "ProcessingLog",
    "ProviderKey",
    "Role",
    "Setting",
    "Tier",
    "TranslationCacheEntry",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
]
