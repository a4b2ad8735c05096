"""OpenAI-compatible chat completions (OpenRouter by default, or any compatible server).

    POST {base_url}/chat/completions   Authorization: Bearer <key>
    {"model", "messages": [system, user(text + image_url parts)], "temperature": 0}
    -> {"choices": [{"message": {"content": "..."}}]}

Images travel inline as `data:image/png;base64,...` URLs, which OpenRouter
and the OpenAI API both accept for vision models.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import httpx

from jobs.llm.keys import OPENROUTER, ApiKey, KeyPool
from jobs.llm.transport import RetryPolicy, post_with_retries

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MODEL = "openai/gpt-4o-mini"


class OpenAICompatProvider:
    name = OPENROUTER

    def __init__(
        self,
        keys: KeyPool,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.keys = keys
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.AsyncClient()
        self._owns_client = client is None

    async def complete(
        self,
        system: str,
        prompt: str,
        images: Sequence[bytes] = (),
        model: str | None = None,
    ) -> str:
        content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
        for png in images:
            url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            content.append({"type": "image_url", "image_url": {"url": url}})
        body = {
            "model": model or self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": content if images else prompt},
            ],
            "temperature": 0,
        }

        def build(key: ApiKey) -> tuple[str, dict[str, str], dict[str, Any]]:
            headers = {
                "Authorization": f"Bearer {key.secret}",
                # OpenRouter shows these in its dashboard; other servers ignore them.
                "X-Title": "PDF Docat",
            }
            return f"{self.base_url}/chat/completions", headers, body

        return await post_with_retries(
            self._client, self.keys, self.name, build, parse_chat_completion, self.policy
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> OpenAICompatProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def parse_chat_completion(data: Any) -> str:
    """The first choice's text; OpenRouter reports some upstream failures as a 200 with "error"."""
    if not isinstance(data, dict):
        raise TypeError("the response is not a JSON object")
    if data.get("error"):
        raise ValueError(f"provider error: {str(data['error'])[:200]}")
    content = data["choices"][0]["message"]["content"]
    if isinstance(content, list):  # some servers answer in content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str):
        raise TypeError("the message content is not text")
    return content


__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MODEL", "OpenAICompatProvider", "parse_chat_completion"]
