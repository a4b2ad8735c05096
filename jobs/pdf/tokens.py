"""Token counts for chunking: OpenAI's cl100k_base, with data shipped inside a wheel.

    count_tokens("Hello world")    # 2
    TOKENIZER                      # "cl100k_base", named in the API's descriptions

`bpe-openai` (Python bindings of GitHub's `bpe-openai` Rust crate) carries the
cl100k_base ranks inside its package (bpe_openai/data/cl100k_base.tiktoken.gz)
and gives the same tokens as tiktoken. tiktoken itself downloads its ranks on
first use, which offline servers cannot do. cl100k_base is the tokenizer of
OpenAI's text-embedding-3 models, the common target of retrieval pipelines;
for other embedding models it is a close estimate, not their exact count.
"""

from __future__ import annotations

import functools
import warnings
from typing import Protocol

TOKENIZER = "cl100k_base"


class _Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


@functools.cache
def _encoding() -> _Encoding:
    # Loaded on first use (about 0.1 s), once per process.
    import bpe_openai

    with warnings.catch_warnings():
        # bpe-openai 0.1 reads its data with importlib.resources.open_binary (deprecated, works).
        warnings.simplefilter("ignore", DeprecationWarning)
        encoding: _Encoding = bpe_openai.get_encoding(TOKENIZER)
    return encoding


def count_tokens(text: str) -> int:
    # Ordinary: text that looks like a special token ("<|endoftext|>") is counted as text.
    return len(_encoding().encode_ordinary(text)) if text else 0
