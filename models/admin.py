"""Admin state: typed settings and provider keys (encrypted at rest)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Setting(Model):
    # One admin setting: its type, default and description live in docat.admin_settings.

    key = fields.CharField(max_length=100, primary_key=True)
    # JSON-encoded value; null means "use the default".
    value = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "settings"


class ProviderKey(Model):
    id = fields.UUIDField(primary_key=True)
    provider = fields.CharField(max_length=32)
    label = fields.CharField(max_length=200, null=True)
    # Fernet token of the key, with a key derived from SECRET_KEY.
    key_encrypted = fields.TextField()
    last4 = fields.CharField(max_length=4)
    is_active = fields.BooleanField(default=True)
    requests = fields.IntField(default=0)
    failures = fields.IntField(default=0)
    last_used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_keys"


class TranslationCacheEntry(Model):
    # A translated string, keyed by sha256 of model, target language and text.

    key = fields.CharField(max_length=64, primary_key=True)
    translated = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "translation_cache"
