"""Every way uploadDocument says no, each with its code, and nothing half-created left behind.

"Nothing left behind": no Document row for the uploader, no stored object
without a row, no temp file under DATA_DIR/tmp, no credits held.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from docat.resources import Resources
from models import User
from tests.documents.conftest import (
    LeftBehind,
    RecordingQueue,
    scanned_pdf,
    text_pdf,
    upload,
)
from tests.fixtures.graphql_client import GraphQLClient


def truncated(data: bytes) -> bytes:
    # Cut in the middle: MuPDF can still "repair" this into pages, which is exactly the trap.
    return data[: len(data) // 2]


INVALID_FILES = {
    "not-a-pdf": lambda: b"Hello, this is plain text and not a PDF at all.\n" * 20,
    "empty": lambda: b"",
    "png": lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(2000),
    "truncated-half": lambda: truncated(text_pdf(3)),
    "truncated-head": lambda: text_pdf(3)[:200],
    "garbage-after-magic": lambda: b"%PDF-1.7\n" + os.urandom(4000),
}


@pytest.mark.parametrize("name", list(INVALID_FILES))
async def test_invalid_pdfs(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, name: str
) -> None:
    result = await upload(gql, user_token, INVALID_FILES[name]())
    assert result.codes == ["INVALID_PDF"], result.errors
    assert result.data is None
    assert queue.enqueued == []
    await left_behind.assert_nothing()


async def test_encrypted_without_password(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, encrypted_pdf: bytes
) -> None:
    result = await upload(gql, user_token, encrypted_pdf)
    assert result.codes == ["ENCRYPTED_PDF"]
    await left_behind.assert_nothing()


async def test_encrypted_with_the_wrong_password(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, encrypted_pdf: bytes
) -> None:
    result = await upload(gql, user_token, encrypted_pdf, {"password": "not the password"})
    assert result.codes == ["ENCRYPTED_PDF"]
    assert "not the password" not in str(result.body)
    await left_behind.assert_nothing()


async def test_too_many_pages(
    gql: GraphQLClient,
    user_token: str,
    queue: RecordingQueue,
    left_behind: LeftBehind,
    admin_setting: Any,
) -> None:
    await admin_setting("max_pages_user", "3")
    result = await upload(gql, user_token, text_pdf(5))
    assert result.codes == ["TOO_MANY_PAGES"]
    assert result.errors[0]["extensions"]["maxPages"] == 3
    await left_behind.assert_nothing()
    # Selecting pages within the limit is fine: the selection is what counts.
    accepted = await upload(gql, user_token, text_pdf(5), {"pages": "1-3"})
    assert accepted.ok()["uploadDocument"]["pageCount"] == 5


BAD_OPTIONS: dict[str, dict[str, Any]] = {
    "pages-malformed": {"pages": "1-x"},
    "pages-zero": {"pages": "0-2"},
    "pages-backwards": {"pages": "3-1"},
    "pages-past-the-end": {"pages": "2-9"},
    "translate-unknown": {"translateTo": "klingon"},
    "dual-without-translation": {"dualLanguage": True},
    "ocr-language-malformed": {"ocrLanguage": "eng; rm -rf"},
}


@pytest.mark.parametrize("name", list(BAD_OPTIONS))
async def test_bad_options(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind, name: str
) -> None:
    result = await upload(gql, user_token, text_pdf(3), BAD_OPTIONS[name])
    assert result.codes == ["BAD_USER_INPUT"], result.errors
    await left_behind.assert_nothing()


async def test_an_ocr_language_that_is_not_installed(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, left_behind: LeftBehind
) -> None:
    # Only checked where Tesseract would run: a scanned PDF under AUTO.
    result = await upload(gql, user_token, scanned_pdf(1), {"ocrLanguage": "zzz"})
    assert result.codes == ["BAD_USER_INPUT"]
    assert "zzz" in result.errors[0]["message"]
    await left_behind.assert_nothing()


async def test_an_unused_ocr_language_is_not_checked(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue
) -> None:
    result = await upload(gql, user_token, text_pdf(1), {"ocrLanguage": "zzz", "engine": "TEXT"})
    assert result.ok()["uploadDocument"]["options"]["ocrLanguage"] == "zzz"


@pytest.mark.parametrize(
    "options", [{"engine": "LLM_OCR"}, {"translateTo": "de"}], ids=["llm-ocr", "translate"]
)
async def test_llm_stages_need_a_provider(
    gql: GraphQLClient,
    user_token: str,
    queue: RecordingQueue,
    left_behind: LeftBehind,
    no_provider: None,
    options: dict[str, str],
) -> None:
    result = await upload(gql, user_token, text_pdf(1), options)
    assert result.codes == ["PROVIDER_NOT_CONFIGURED"]
    await left_behind.assert_nothing()


async def test_llm_stages_with_a_provider(
    gql: GraphQLClient, user_token: str, queue: RecordingQueue, a_provider: None
) -> None:
    result = await upload(gql, user_token, text_pdf(1), {"engine": "LLM_OCR", "translateTo": "de"})
    assert result.ok()["uploadDocument"]["status"] == "QUEUED"


async def test_insufficient_credits(
    gql: GraphQLClient, user: User, user_token: str, queue: RecordingQueue, left_behind: LeftBehind
) -> None:
    user.credits_limit_override = 9
    await user.save(update_fields=["credits_limit_override"])
    # 2 scanned pages need up to 10 credits.
    result = await upload(gql, user_token, scanned_pdf(2))
    assert result.codes == ["INSUFFICIENT_CREDITS"]
    await left_behind.assert_nothing()
    # The same file with the TEXT engine needs 2.
    accepted = await upload(gql, user_token, scanned_pdf(2), {"engine": "TEXT"})
    assert accepted.ok()["uploadDocument"]["status"] == "QUEUED"


async def test_a_failure_after_storing_removes_everything(
    gql: GraphQLClient,
    user_token: str,
    queue: RecordingQueue,
    left_behind: LeftBehind,
    resources: Resources,
) -> None:
    # The queue is down after the original, the row and the hold were written.
    queue.fail_enqueue = ConnectionError("redis is gone")
    result = await upload(gql, user_token, text_pdf(2))
    assert result.codes == ["INTERNAL"]
    assert "redis" not in str(result.body)
    await left_behind.assert_nothing()


async def test_unauthenticated(gql: GraphQLClient, queue: RecordingQueue, resources: Resources) -> None:
    result = await gql.upload(
        "mutation($file: Upload!) { uploadDocument(file: $file) { id } }", {}, "file", text_pdf(1)
    )
    assert result.codes == ["UNAUTHENTICATED"]
    assert queue.enqueued == []
