"""Scalars of the contract: Upload (multipart spec), DateTime (strawberry's), JSON."""

from __future__ import annotations

from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

__all__ = ["JSON", "Upload"]
