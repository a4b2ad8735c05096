"""What an LLM model name may look like: admins set them, and they end up in provider URLs.

    check_model_name("translation_model_gemini", value)   # BadUserInput when it is not a name

Gemini puts the model in the URL path (`/models/{model}:generateContent`). A
name such as `x/../../../internal/admin?steal=1#` made the worker POST the API
key to another path of the provider host. Names are letters, digits and
`._:/-`, start with a letter or digit, hold no `..` and stay short; the clients
also quote the name as one path segment (jobs.llm), so even a name that slipped
past this (an old row) cannot leave its segment.
"""

from __future__ import annotations

import re

from docat.errors import BadUserInput

MAX_LENGTH = 128
# "openai/gpt-4o-mini", "gemini-2.0-flash", "meta-llama/llama-3.1-8b-instruct:free", "models/x".
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")


def is_valid_model_name(name: str) -> bool:
    return bool(_MODEL_NAME.fullmatch(name)) and ".." not in name and "//" not in name


def check_model_name(key: str, name: str) -> None:
    if not is_valid_model_name(name):
        raise BadUserInput(
            f"{key} must be a model name: letters, digits and . _ : / - (at most {MAX_LENGTH}, "
            "starting with a letter or digit, no '..')"
        )


__all__ = ["MAX_LENGTH", "check_model_name", "is_valid_model_name"]
