"""Object keys: built here from ids and fixed internal names, validated everywhere.

A key is "/"-separated segments of `[A-Za-z0-9][A-Za-z0-9._-]*`. Keys never come
from a user's file name, so a strict alphabet costs nothing and makes escaping the
local root ("..", "/etc/passwd", "a//b", "C:\\x") impossible by construction. A
segment may not start with "." either: the local backend's temp files do, which
keeps them invisible to listings.
"""

from __future__ import annotations

import re

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
# A prefix may stop at a "/" (a folder) or mid-segment, like S3 prefixes.
_PREFIX_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*/?")
_MAX_KEY_LENGTH = 512

# Document ids are UUIDs or similar tokens; nothing that could add a path level.
_DOCUMENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# Fixed internal names: "original.pdf", "content.json", "translated.pdf", "page-3.png".
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}(?:\.[a-z0-9]{1,8})?")

DOCUMENTS = "documents"
HEALTH = "health"


def validate_key(key: str) -> str:
    """Return `key` unchanged, or raise ValueError when it is not a safe relative key."""
    if len(key) > _MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Like validate_key; an empty prefix is refused so nothing can wipe the whole store."""
    if len(prefix) > _MAX_KEY_LENGTH or not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"invalid storage prefix: {prefix!r}")
    return prefix


def document_prefix(document_id: str) -> str:
    """ "documents/{id}/" — everything stored for one document (delete_prefix takes this)."""
    if not _DOCUMENT_ID_RE.fullmatch(document_id):
        raise ValueError(f"invalid document id: {document_id!r}")
    return f"{DOCUMENTS}/{document_id}/"


def document_key(document_id: str, name: str) -> str:
    """ "documents/{id}/{name}" for a fixed internal name such as "original.pdf"."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"invalid document file name: {name!r}")
    return document_prefix(document_id) + name
