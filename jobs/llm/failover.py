"""Both providers in order of preference: a call the first cannot answer goes to the next.

When the admin has keys for OpenRouter and Gemini, an outage of one (its
retries spent, every key rejected) should not fail a user's job while the
other is up. The preferred provider is always asked first, so its keys keep
carrying the traffic they are meant to; its failing keys rest in the shared
KeyPool, so once an outage is known, each call spends little on it before
turning to the other. A refused request (a 4xx other than a key problem) is
refused by the next provider too, usually, but asking costs one request and a
differently shaped request may pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from docat.errors import ProviderError
from jobs.llm.protocol import LLMProvider

logger = logging.getLogger(__name__)


class FailoverProvider:
    def __init__(self, providers: Sequence[LLMProvider]) -> None:
        if not providers:
            raise ValueError("FailoverProvider needs at least one provider")
        self.providers = list(providers)
        # What logs and the translation cache name: the provider meant to answer.
        self.name = self.providers[0].name
        self.model = self.providers[0].model

    async def complete(
        self,
        system: str,
        prompt: str,
        images: Sequence[bytes] = (),
        model: str | None = None,
    ) -> str:
        failures: list[str] = []
        for index, provider in enumerate(self.providers):
            try:
                # A model named by the caller belongs to the first provider; the others use their own.
                return await provider.complete(system, prompt, images, model if index == 0 else None)
            except ProviderError as exc:
                failures.append(exc.message)
                if index + 1 < len(self.providers):
                    logger.warning(
                        "%s failed (%s); asking %s instead",
                        provider.name,
                        exc.message,
                        self.providers[index + 1].name,
                    )
        raise ProviderError("; ".join(failures))

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()


__all__ = ["FailoverProvider"]
