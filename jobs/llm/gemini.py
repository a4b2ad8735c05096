"""Google Gemini generateContent.

    POST {base_url}/models/{model}:generateContent   x-goog-api-key: <key>
    {"systemInstruction": {...}, "contents": [{"role": "user", "parts": [text, inline_data]}]}
    -> {"candidates": [{"content": {"parts": [{"text": "..."}]}}]}

The model is quoted as one path segment (and checked by `model_name`): an
admin-set name must never rewrite the URL the key is sent to.

The key goes in a header, not the `?key=` query string, so it never lands in
access logs or exception messages that print the URL.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from jobs.llm.key_pool import GEMINI, ApiKey
from jobs.llm.protocol import HttpProvider

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
DEFAULT_MODEL = "gemini-2.0-flash"


class GeminiProvider(HttpProvider):
    name = GEMINI
    default_model = DEFAULT_MODEL
    default_base_url = DEFAULT_BASE_URL

    async def complete(
        self,
        system: str,
        prompt: str,
        images: Sequence[bytes] = (),
        model: str | None = None,
    ) -> str:
        parts: list[dict[str, Any]] = [{"text": prompt}]
        for png in images:
            parts.append(
                {"inline_data": {"mime_type": "image/png", "data": base64.b64encode(png).decode("ascii")}}
            )
        body = {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"temperature": 0},
        }
        # "models/gemini-2.0-flash" and "gemini-2.0-flash" both name the same model.
        model_name = self.model_name(model or self.model).removeprefix("models/")
        # One path segment whatever the name holds: "/", "?", "#" or "%" cannot move the request.
        url = f"{self.base_url}/models/{quote(model_name, safe='')}:generateContent"

        def build(key: ApiKey) -> tuple[str, dict[str, str], dict[str, Any]]:
            return url, {"x-goog-api-key": key.secret}, body

        return await self._post(build, parse_generate_content)


def parse_generate_content(data: Any) -> str:
    """The first candidate's text parts joined; a blocked prompt has no candidates."""
    if not isinstance(data, dict):
        raise TypeError("the response is not a JSON object")
    candidates = data.get("candidates")
    if not candidates:
        reason = (data.get("promptFeedback") or {}).get("blockReason", "no candidates")
        raise ValueError(f"no answer ({reason})")
    parts = candidates[0]["content"]["parts"]
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    if not texts:
        raise ValueError("the answer holds no text")
    return "".join(texts)


__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "GeminiProvider", "parse_generate_content"]
