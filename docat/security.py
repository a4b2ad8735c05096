"""Passwords (Argon2id), access tokens (JWT) and secrets at rest (Fernet).

Shared by the API (login, token checks), the CLI (`create-admin`) and the
admin provider keys. Every key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

from docat.errors import BadUserInput, Unauthenticated

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
JWT_ALGORITHM = "HS256"


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadUserInput(f"password must have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: an unknown user still costs one Argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    token_version: int
    expires_at: datetime


def issue_token(secret: str, user_id: uuid.UUID, token_version: int, minutes: int) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    payload = {"sub": str(user_id), "ver": token_version, "iat": now, "exp": expires, "typ": "access"}
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM), expires


def decode_token(secret: str, token: str) -> TokenClaims:
    """Raise Unauthenticated for anything but a valid, unexpired token signed with our key."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["sub", "exp", "ver"]}
        )
        if payload.get("typ") != "access":
            raise Unauthenticated("invalid access token")
        return TokenClaims(
            user_id=uuid.UUID(str(payload["sub"])),
            token_version=int(payload["ver"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("access token expired; log in again") from exc
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthenticated("invalid access token") from exc


def _fernet(secret: str, purpose: str) -> Fernet:
    digest = hashlib.sha256(f"docat:{purpose}:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret_key: str, value: str, purpose: str = "provider-keys") -> str:
    return _fernet(secret_key, purpose).encrypt(value.encode()).decode()


def decrypt_secret(secret_key: str, token: str, purpose: str = "provider-keys") -> str:
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored secret cannot be decrypted with this SECRET_KEY") from exc
