from __future__ import annotations

from jobs.llm.gemini import GeminiProvider
from jobs.llm.key_pool import KeyPool
from jobs.llm.ocr import llm_ocr_page
from jobs.llm.transport import RetryPolicy
from tests.fixtures.fake_llm import FakeLLM

MARKDOWN = """# Invoice 2024-17

Dear customer, thank you for your order.

| Item | Price |
|------|-------|
| Paper | 4.50 |
| Ink | 12.00 |

- Payable within 30 days
"""


async def test_llm_ocr_page_returns_positioned_blocks(
    fake_llm: FakeLLM, pool: KeyPool, fast_policy: RetryPolicy
) -> None:
    fake_llm.ocr_mode(MARKDOWN)
    async with GeminiProvider(pool, base_url=fake_llm.base_url, policy=fast_policy) as provider:
        page = await llm_ocr_page(provider, b"\x89PNG...", 2, (0, 0, 612, 792), model="gemini-vision")
    (request,) = fake_llm.requests
    assert request.path == "/models/gemini-vision:generateContent" and request.image_count == 1
    assert page.page == 2 and page.ocr and 0 < page.confidence <= 1
    assert [(b.type, b.level) for b in page.blocks] == [
        ("HEADING", 1),
        ("PARAGRAPH", None),
        ("TABLE", None),
        ("LIST_ITEM", None),
    ]
    table = page.blocks[2].table
    assert table is not None and table.headers == ["Item", "Price"]
    assert table.rows == [["Paper", "4.50"], ["Ink", "12.00"]]
    assert all(b.page == 2 and 0 <= b.bbox[1] < b.bbox[3] <= 792 for b in page.blocks)
    assert page.word_count == 2 + 7 + 6 + 4
