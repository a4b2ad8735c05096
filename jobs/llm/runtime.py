"""What a process keeps for LLM work: one key pool, one HTTP client, providers on demand.

    llm_runtime(resources) -> LLMRuntime(settings)   (made on first use, closed with the resources)
        .keys     ProviderKeyStore: env + admin keys, reloaded every ~30 s, usage persisted
        .client   one httpx.AsyncClient: its connection pool is shared by every job
        .provider(task) -> LLMProvider for "ocr" or "translation", built per call

Providers are cheap views over the shared pool and client (they own
neither), so building one per call lets the admin's model and
preferred-provider settings, and the set of keys, change between jobs
without restarting a worker.
"""

from __future__ import annotations

from typing import Literal

import httpx

from docat.admin_settings import get_setting
from docat.resources import Resources
from docat.settings import Settings
from jobs.llm.key_pool import GEMINI, OPENROUTER
from jobs.llm.key_store import ProviderKeyStore
from jobs.llm.protocol import LLMProvider
from jobs.llm.provider_choice import build_provider
from jobs.llm.transport import RetryPolicy

Task = Literal["ocr", "translation"]


# The admin setting naming each provider's model, per task.
MODEL_SETTINGS: dict[Task, dict[str, str]] = {
    "ocr": {OPENROUTER: "ocr_model_openrouter", GEMINI: "ocr_model_gemini"},
    "translation": {OPENROUTER: "translation_model_openrouter", GEMINI: "translation_model_gemini"},
}


class LLMRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        keys: ProviderKeyStore | None = None,
        policy: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys or ProviderKeyStore(settings)
        self.policy = policy or RetryPolicy()
        self.client = client or httpx.AsyncClient()

    async def provider(self, task: Task) -> LLMProvider:
        """The provider for `task` under the current settings; raises ProviderNotConfigured."""
        pool = await self.keys.current_pool()
        preferred = await get_setting(self.settings, "preferred_provider")
        models = {p: await get_setting(self.settings, key) for p, key in MODEL_SETTINGS[task].items()}
        return build_provider(
            self.settings, pool, preferred, models=models, client=self.client, policy=self.policy
        )

    async def aclose(self) -> None:
        await self.client.aclose()


def llm_runtime(resources: Resources) -> LLMRuntime:
    """This process's runtime, made on first use and closed with the resources."""
    runtime = resources.find(LLMRuntime)
    if runtime is None:
        runtime = LLMRuntime(resources.settings)
        install_llm_runtime(resources, runtime)
    return runtime


def install_llm_runtime(resources: Resources, runtime: LLMRuntime) -> None:
    """Use `runtime` for this process (tests install one pointed at a fake server)."""
    resources.provide(LLMRuntime, runtime)
    resources.close_with(runtime.aclose)


__all__ = ["MODEL_SETTINGS", "LLMRuntime", "Task", "install_llm_runtime", "llm_runtime"]
