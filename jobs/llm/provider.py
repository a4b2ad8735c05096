"""The one thing the rest of the code asks of an LLM: text in, text out.

Both clients (`openai_compat.OpenAICompatProvider`, `gemini.GeminiProvider`)
implement `LLMProvider`; OCR and translation only see this protocol, and
tests may pass any object with the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class LLMProvider(Protocol):
    #: "openrouter" or "gemini": which key pool it draws from.
    name: str
    #: the model used when a call names none (an admin setting upstream).
    model: str

    async def complete(
        self,
        system: str,
        prompt: str,
        images: Sequence[bytes] = (),
        model: str | None = None,
    ) -> str:
        """The model's answer to `prompt` (and PNG `images`), as plain text.

        Raises docat.errors.ProviderError once the retries are spent.
        """
        ...

    async def aclose(self) -> None: ...


__all__ = ["LLMProvider"]
