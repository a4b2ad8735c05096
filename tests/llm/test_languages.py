from __future__ import annotations

import pytest

from docat.errors import BadUserInput
from jobs.llm.languages import SUPPORTED_LANGUAGES, is_rtl, normalize_language

REQUIRED = (
    "en de fr es it pt nl pl ru uk ar he fa tr hi bn ja ko zh-Hans zh-Hant vi th id sv da nb fi cs el ro hu"
)


def test_required_languages_are_supported() -> None:
    assert set(REQUIRED.split()) <= set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("DE", "de"), ("zh-hans", "zh-Hans"), ("ZH_HANT", "zh-Hant"), (" ja ", "ja"), ("zh-CN", "zh-Hans")],
)
def test_normalize_is_case_insensitive(given: str, canonical: str) -> None:
    assert normalize_language(given) == canonical


@pytest.mark.parametrize("bad", ["", "xx", "klingon", "de-DE-x"])
def test_unknown_codes_are_bad_user_input(bad: str) -> None:
    with pytest.raises(BadUserInput) as info:
        normalize_language(bad)
    assert info.value.code == "BAD_USER_INPUT"


def test_rtl() -> None:
    assert is_rtl("AR") and is_rtl("he") and not is_rtl("ru")
