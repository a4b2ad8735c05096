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

from jobs.llm.key_pool import OPENROUTER, ApiKey
from jobs.llm.protocol import HttpProvider

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MODEL = "openai/gpt-4o-mini"


class OpenAICompatProvider(HttpProvider):
    name = OPENROUTER
    default_model = DEFAULT_MODEL
    default_base_url = DEFAULT_BASE_URL

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
            # In the body, never the URL; still checked, as every name a provider is sent.
            "model": self.model_name(model or self.model),
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

        return await self._post(build, parse_chat_completion)


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
