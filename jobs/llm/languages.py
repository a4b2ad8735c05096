"""The target languages translation accepts, as canonical BCP 47 codes.

`supportedLanguages` in the API lists these codes; `translateTo` is checked
and canonicalized with `normalize_language` before a job is queued, so the
cache, the prompts and the stored metadata all see one spelling per language.
"""

from __future__ import annotations

from docat.errors import BadUserInput
from jobs.pdf.translate_render import RTL_LANGUAGES

# Code -> English name (the name goes into prompts: models follow names better than codes).
SUPPORTED_LANGUAGES: dict[str, str] = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fil": "Filipino",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nb": "Norwegian Bokmål",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "pt-BR": "Brazilian Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh-Hans": "Chinese (Simplified)",
    "zh-Hant": "Chinese (Traditional)",
}

# Written right to left: the renderer aligns and orders these lines accordingly.

_BY_LOWER: dict[str, str] = {code.lower(): code for code in SUPPORTED_LANGUAGES}
# Common spellings people type for a supported language.
_ALIASES: dict[str, str] = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "no": "nb",
    "iw": "he",
    "in": "id",
    "tl": "fil",
}


def normalize_language(code: str) -> str:
    """Canonical code for `code` ("DE" -> "de", "zh_hans" -> "zh-Hans").

    Raises BadUserInput for anything not in SUPPORTED_LANGUAGES.
    """
    key = (code or "").strip().replace("_", "-").lower()
    canonical = _BY_LOWER.get(key) or _ALIASES.get(key)
    if canonical is None:
        raise BadUserInput(
            f"unsupported language {code!r}; use one of: {', '.join(sorted(SUPPORTED_LANGUAGES))}",
            field="translateTo",
        )
    return canonical


def language_name(code: str) -> str:
    """English name of a canonical code (for prompts)."""
    return SUPPORTED_LANGUAGES[normalize_language(code)]


def is_rtl(code: str) -> bool:
    return normalize_language(code) in RTL_LANGUAGES


__all__ = ["RTL_LANGUAGES", "SUPPORTED_LANGUAGES", "is_rtl", "language_name", "normalize_language"]
