"""The one thing the rest of the code asks of an LLM: text in, text out.

Both clients (`openai_compat.OpenAICompatProvider`, `gemini.GeminiProvider`)
implement `LLMProvider`; OCR and translation only see this protocol, and
tests may pass any object with the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import httpx

from docat.errors import ProviderNotConfigured
from docat.model_names import is_valid_model_name
from jobs.llm.key_pool import ApiKey, KeyPool
from jobs.llm.transport import RetryPolicy, post_with_retries

#: Builds one attempt's request for a key: (url, headers, JSON body).
RequestBuilder = Callable[[ApiKey], tuple[str, dict[str, str], dict[str, Any]]]


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


class HttpProvider:
    """What both HTTP clients share: keys, retries, and an httpx client they may own.

    A subclass names its provider and defaults and implements `complete`, which
    builds the request per key and hands it to `_post` with its response parser.
    """

    name: str
    default_model: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        keys: KeyPool,
        *,
        model: str | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.keys = keys
        self.model = self.model_name(model or self.default_model)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.AsyncClient()
        # A shared client (one per process, see jobs.llm.runtime) is closed by its owner.
        self._owns_client = client is None

    def model_name(self, model: str) -> str:
        """`model`, if it is a model name; else refused before any request (and any key) leaves."""
        if not is_valid_model_name(model):
            # Not echoed: the value is an admin's, and it may be whatever an attacker typed.
            raise ProviderNotConfigured(f"{self.name}: the configured model name is not valid")
        return model

    async def _post(self, build: RequestBuilder, parse: Callable[[Any], str]) -> str:
        return await post_with_retries(self._client, self.keys, self.name, build, parse, self.policy)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


__all__ = ["HttpProvider", "LLMProvider", "RequestBuilder"]
