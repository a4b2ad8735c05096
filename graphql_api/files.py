"""GET /files/{documentId}/{FORMAT}: downloads behind `Document.downloadUrl`.

Two ways in, either is enough:
* a signed link, `?expires=<unix>&sig=<hex>`, where sig is HMAC-SHA256 over
  "<documentId>/<FORMAT>/<expires>" with a key derived from SECRET_KEY for this
  purpose only (a leaked link opens one file until it expires, nothing else);
* `Authorization: Bearer <accessToken>` of the owner or an admin.

Anything else — no or bad credentials, someone else's document, a format not
produced yet, a missing file — is the same 404, so a link never tells whether a
document exists. The file is streamed from storage, never read whole.
S3 deployments hand out presigned S3 URLs instead (see fields.resolve_download_url).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from docat.errors import DocatError
from docat.resources import Resources
from docat.settings import Settings
from docat.storage import attachment_disposition
from graphql_api.auth import user_for_token
from graphql_api.documents.formats import FORMAT_FILES, download_filename, format_key
from models import Document, Role, User

DOWNLOAD_TTL_SECONDS = 3600


def _files_key(settings: Settings) -> bytes:
    # Derived, so a signature can never double as (or be forged from) a JWT or another secret.
    return hashlib.sha256(f"docat:files:{settings.signing_key}".encode()).digest()


def sign_download(settings: Settings, document_id: object, fmt: str, expires: int) -> str:
    message = f"{document_id}/{fmt}/{expires}".encode()
    return hmac.new(_files_key(settings), message, hashlib.sha256).hexdigest()


def signed_download_url(
    base_url: str, settings: Settings, document_id: object, fmt: str, now: float | None = None
) -> str:
    """`base_url` ends with "/" (starlette's request.base_url)."""
    expires = int(now if now is not None else time.time()) + DOWNLOAD_TTL_SECONDS
    sig = sign_download(settings, document_id, fmt, expires)
    return f"{base_url}files/{document_id}/{fmt}?expires={expires}&sig={sig}"


def signature_valid(
    settings: Settings, document_id: object, fmt: str, expires: str | None, sig: str | None
) -> bool:
    if not expires or not sig or not expires.isdigit() or int(expires) < time.time():
        return False
    expected = sign_download(settings, document_id, fmt, int(expires))
    return hmac.compare_digest(expected, sig)


async def _bearer_user(request: Request, settings: Settings) -> User | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await user_for_token(settings.signing_key, token.strip())
    except DocatError:
        return None


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


async def files_endpoint(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    settings = resources.settings
    fmt = request.path_params["format"]
    try:
        document_id = uuid.UUID(request.path_params["document_id"])
    except ValueError:
        return _not_found()
    if fmt not in FORMAT_FILES:
        return _not_found()
    signed = signature_valid(
        settings, document_id, fmt, request.query_params.get("expires"), request.query_params.get("sig")
    )
    # Who is asking is settled before the document is looked up, so an answer never takes
    # measurably longer for a document that exists.
    user = None if signed else await _bearer_user(request, settings)
    if not signed and user is None:
        return _not_found()
    doc = await Document.get_or_none(id=document_id)
    if doc is None or fmt not in (doc.formats or []):
        return _not_found()
    if not signed and not (user is not None and (user.role == Role.ADMIN or user.id == doc.owner_id)):
        return _not_found()
    key = format_key(doc.id, fmt)
    size = await resources.storage.size(key)
    if size is None:
        return _not_found()
    spec = FORMAT_FILES[fmt]
    return StreamingResponse(
        resources.storage.open_read(key),
        media_type=spec.media_type,
        headers={
            "Content-Disposition": attachment_disposition(download_filename(doc.filename, fmt)),
            "Content-Length": str(size),
            # Private to whoever holds the link or the token; never kept by shared caches.
            "Cache-Control": "private, no-store",
        },
    )
