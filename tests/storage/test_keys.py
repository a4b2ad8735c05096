"""Keys come from ids and fixed names only; anything that could escape a root is refused."""

from __future__ import annotations

import pytest

from docat.storage import attachment_disposition, document_key, document_prefix, validate_key

BAD_KEYS = ["", "../x", "documents/../../etc/passwd", "/etc/passwd", "a//b", "a/", "a\\b", ".hidden", "a/./b"]


def test_document_key_is_built_from_id_and_fixed_name() -> None:
    assert document_key("3f2c9e", "original.pdf") == "documents/3f2c9e/original.pdf"
    assert document_prefix("3f2c9e") == "documents/3f2c9e/"


@pytest.mark.parametrize("name", ["../original.pdf", "My Report.pdf", "a/b.pdf", ".pdf", "", "x" * 100])
def test_document_key_rejects_names_outside_the_pattern(name: str) -> None:
    with pytest.raises(ValueError):
        document_key("abc", name)


@pytest.mark.parametrize("document_id", ["", "..", "a/b", "a b", "x" * 65])
def test_document_key_rejects_odd_ids(document_id: str) -> None:
    with pytest.raises(ValueError):
        document_key(document_id, "original.pdf")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_validate_key_rejects(key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)


def test_attachment_disposition_plain_ascii() -> None:
    assert attachment_disposition("report.pdf") == 'attachment; filename="report.pdf"'


def test_attachment_disposition_escapes_quotes_and_keeps_unicode() -> None:
    header = attachment_disposition('Ber"icht ü/2.pdf')
    assert header == "attachment; filename=\"Ber_icht __2.pdf\"; filename*=UTF-8''Ber%22icht%20%C3%BC_2.pdf"
