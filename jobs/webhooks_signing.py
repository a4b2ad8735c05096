"""Webhook secrets and Standard Webhooks signatures.

    secret = new_secret()                                # "whsec_<base64 of 32 random bytes>"
    stored = seal_secret(settings, secret)               # what the database keeps
    headers = signed_headers(open_secret(settings, stored), message_id, body)

The signature is the `standardwebhooks` package's own (the reference
implementation of the spec), so any receiver using a Standard Webhooks library
verifies it: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook as Signer

from docat.security import decrypt_secret, encrypt_secret
from docat.settings import Settings

SECRET_PREFIX = "whsec_"
_PURPOSE = "webhook-secrets"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def seal_secret(settings: Settings, secret: str) -> str:
    return encrypt_secret(settings.signing_key, secret, purpose=_PURPOSE)


def open_secret(settings: Settings, sealed: str) -> str:
    return decrypt_secret(settings.signing_key, sealed, purpose=_PURPOSE)


def signed_headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (the timestamp is the attempt's)."""
    moment = at or datetime.now(UTC)
    signature = Signer(secret).sign(message_id, moment, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
