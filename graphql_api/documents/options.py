"""ProcessingOptionsInput -> ValidatedOptions: checked once, then stored, matched and queued alike.

Checks that need only the options run here, before a byte of the file is read:
`pages` well formed, `translateTo` a supported language (canonical spelling),
`ocrLanguage` well formed, `dualLanguage` only with `translateTo`, and a
configured provider when an LLM stage is asked for. Checks that need the PDF
(pages past the end, page limits, OCR languages actually needed, credits) run
in `graphql_api.documents.upload` once the file is inspected.

The password rides along for the job only: `stored()` and `cache_key()` leave
it out and the dataclass keeps it out of its repr, so it is never written or
logged by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docat.errors import BadUserInput, ProviderNotConfigured
from jobs.llm.languages import normalize_language
from jobs.llm_ocr_translate import provider_configured
from jobs.pdf.options import PageRangeError, is_valid_ocr_language, parse_page_ranges

if TYPE_CHECKING:
    from docat.resources import Resources
    from graphql_api.documents.types import ProcessingOptionsInput

DEFAULT_OCR_LANGUAGE = "eng"
# Generous bounds: they only keep absurd inputs out of the database and the logs.
_MAX_PAGES_SPEC = 1000
_MAX_OCR_LANGUAGE = 100
_MAX_PASSWORD = 1024
LLM_ENGINES = frozenset({"LLM_OCR"})
OCR_ENGINES = frozenset({"OCR", "LLM_OCR"})


@dataclass(frozen=True, slots=True)
class ValidatedOptions:
    engine: str = "AUTO"
    translate_to: str | None = None
    dual_language: bool = False
    # Canonical ranges ("1-3,7"), so "3,1-2" and "1-3" store and match alike; None = all.
    pages: str | None = None
    ocr_language: str = DEFAULT_OCR_LANGUAGE
    password: str | None = field(default=None, repr=False)

    @property
    def page_numbers(self) -> tuple[int, ...] | None:
        return parse_page_ranges(self.pages)

    @property
    def needs_provider(self) -> bool:
        return self.engine in LLM_ENGINES or self.translate_to is not None

    def stored(self) -> dict[str, Any]:
        """`Document.options`: the input in camelCase, without the password."""
        return {
            "engine": self.engine,
            "translateTo": self.translate_to,
            "dualLanguage": self.dual_language,
            "pages": self.pages,
            "ocrLanguage": self.ocr_language,
        }

    def cache_key(self, page_count: int) -> dict[str, Any]:
        """What must match for an earlier result to be reused: selecting every page is `None`."""
        key = self.stored()
        numbers = self.page_numbers
        if numbers is not None and numbers == tuple(range(1, page_count + 1)):
            key["pages"] = None
        return key

    def selected_pages(self, page_count: int) -> tuple[int, ...]:
        """The 1-based pages this run processes; pages past the end are the user's mistake."""
        try:
            numbers = parse_page_ranges(self.pages, page_count)
        except PageRangeError as exc:
            raise BadUserInput(str(exc), field="pages") from exc
        return numbers if numbers is not None else tuple(range(1, page_count + 1))


def canonical_ranges(pages: Sequence[int]) -> str:
    """(1, 2, 3, 7) -> "1-3,7"."""
    parts: list[str] = []
    start = prev = None
    for page in sorted(set(pages)):
        if prev is not None and page == prev + 1:
            prev = page
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
        start = prev = page
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts)


def _pages(spec: str | None) -> str | None:
    if spec is None or not spec.strip():
        return None
    if len(spec) > _MAX_PAGES_SPEC:
        raise BadUserInput("pages is too long", field="pages")
    try:
        numbers = parse_page_ranges(spec)
    except PageRangeError as exc:
        raise BadUserInput(str(exc), field="pages") from exc
    return canonical_ranges(numbers or ())


def _ocr_language(value: str | None) -> str:
    language = (value or "").strip() or DEFAULT_OCR_LANGUAGE
    if len(language) > _MAX_OCR_LANGUAGE or not is_valid_ocr_language(language):
        raise BadUserInput(
            f"invalid ocrLanguage {language!r}; use Tesseract codes such as 'eng' or 'eng+deu'",
            field="ocrLanguage",
        )
    return language


def validate_options(
    *,
    engine: str | None,
    translate_to: str | None,
    dual_language: bool | None,
    pages: str | None,
    ocr_language: str | None,
    password: str | None,
) -> ValidatedOptions:
    target = translate_to.strip() if translate_to else None
    canonical_target = normalize_language(target) if target else None
    if dual_language and canonical_target is None:
        raise BadUserInput("dualLanguage needs translateTo", field="dualLanguage")
    if password is not None and len(password) > _MAX_PASSWORD:
        raise BadUserInput("password is too long", field="password")
    return ValidatedOptions(
        engine=engine or "AUTO",
        translate_to=canonical_target,
        dual_language=bool(dual_language),
        pages=_pages(pages),
        ocr_language=_ocr_language(ocr_language),
        # An empty password is no password (a form field left blank).
        password=password or None,
    )


def parse_options(raw: ProcessingOptionsInput | None) -> ValidatedOptions:
    """The GraphQL input, validated; None means every default."""
    if raw is None:
        return ValidatedOptions()
    return validate_options(
        engine=raw.engine.value if raw.engine is not None else None,
        translate_to=raw.translate_to,
        dual_language=raw.dual_language,
        pages=raw.pages,
        ocr_language=raw.ocr_language,
        password=raw.password,
    )


def options_from_stored(data: Mapping[str, Any], password: str | None = None) -> ValidatedOptions:
    """A document's stored options again (reprocessing without new options)."""
    return validate_options(
        engine=data.get("engine"),
        translate_to=data.get("translateTo"),
        dual_language=data.get("dualLanguage"),
        pages=data.get("pages"),
        ocr_language=data.get("ocrLanguage"),
        password=password,
    )


async def provider_available(resources: Resources) -> bool:
    """Whether an LLM stage could run: an environment key, or an active key an admin added."""
    return await provider_configured(resources)


async def ensure_provider(resources: Resources, options: ValidatedOptions) -> None:
    if options.needs_provider and not await provider_available(resources):
        what = "LLM_OCR" if options.engine in LLM_ENGINES else "translation"
        raise ProviderNotConfigured(
            f"{what} needs an LLM provider and none is configured; "
            "an administrator can add an OpenRouter or Gemini key"
        )
