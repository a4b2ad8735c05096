"""Static files of the web pages: read once, named by a content hash, served compressed.

Every file under static/ is served at `/assets/<version>/<path>`, where `version` is a hash
of the whole tree. One prefix for all files (rather than a hash per file name) keeps the
dashboard's relative ES-module imports (`import ... from "./api.js"`) working unchanged,
and any change to any file moves every URL, so `immutable` caching is always safe.
Files are gzipped once at startup (level 9: paid once, saved on every load); a client
without gzip gets the plain bytes.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
# Formats that gain nothing from gzip, and files too small to be worth it.
_COMPRESSIBLE = (".js", ".mjs", ".css", ".json", ".svg", ".map", ".txt", ".html")
_MIN_GZIP_BYTES = 512
_MEDIA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str


@dataclass(frozen=True)
class AssetStore:
    version: str
    files: dict[str, Asset]

    def url(self, root_path: str, path: str) -> str:
        return f"{root_path}/assets/{self.version}/{path}"


def _media_type(path: Path) -> str:
    if path.suffix in _MEDIA_TYPES:
        return f"{_MEDIA_TYPES[path.suffix]}; charset=utf-8"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("json") else guessed


def load_assets(root: Path = STATIC_DIR) -> AssetStore:
    tree = hashlib.sha256()
    files: dict[str, Asset] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        body = path.read_bytes()
        tree.update(relative.encode() + b"\0" + hashlib.sha256(body).digest())
        gzipped = None
        if path.suffix in _COMPRESSIBLE and len(body) >= _MIN_GZIP_BYTES:
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(body) else None
        files[relative] = Asset(body, gzipped, _media_type(path))
    return AssetStore(tree.hexdigest()[:16], files)


@functools.cache
def asset_store() -> AssetStore:
    """The package's files, loaded once per process (they never change while it runs)."""
    return load_assets()


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


async def asset_endpoint(request: Request) -> Response:
    store = asset_store()
    asset = store.files.get(request.path_params["path"])
    # An old version's URL is a 404, not today's file: the immutable caches must never
    # hold new bytes under an old name.
    if asset is None or request.path_params["version"] != store.version:
        return PlainTextResponse("Not Found", status_code=404, headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": IMMUTABLE}
    body = asset.body
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if _accepts_gzip(request):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, media_type=asset.media_type)
