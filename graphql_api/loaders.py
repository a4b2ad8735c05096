"""Batch loaders (one per kind per request): no N+1 for owners, documents and the like."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from models import Document, User


async def _load_users(keys: Sequence[uuid.UUID]) -> list[User | None]:
    rows = {u.id: u for u in await User.filter(id__in=list(keys))}
    return [rows.get(k) for k in keys]


async def _load_documents(keys: Sequence[uuid.UUID]) -> list[Document | None]:
    rows = {d.id: d for d in await Document.filter(id__in=list(keys))}
    return [rows.get(k) for k in keys]


def user_loader() -> DataLoader[uuid.UUID, User | None]:
    return DataLoader(load_fn=_load_users)


def document_loader() -> DataLoader[uuid.UUID, Document | None]:
    return DataLoader(load_fn=_load_documents)
