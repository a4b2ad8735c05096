"""`Content-Disposition: attachment` for a user's file name (RFC 6266 / RFC 5987).

The user's name only ever appears here, in the download header, never in a key.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Quotes, backslashes and control characters would break out of the quoted-string.
_UNSAFE_ASCII = re.compile(r'[\x00-\x1f\x7f"\\]')


def attachment_disposition(filename: str) -> str:
    """An ASCII fallback for old clients plus `filename*` carrying the exact UTF-8 name."""
    name = filename.replace("/", "_").replace("\\", "_").strip() or "download"
    fallback = _UNSAFE_ASCII.sub("_", name.encode("ascii", "replace").decode("ascii")).replace("?", "_")
    if fallback == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
