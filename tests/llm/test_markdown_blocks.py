from __future__ import annotations

import itertools

from jobs.llm.markdown_blocks import parse_markdown
from jobs.llm.ocr import spread_blocks

PAGE = """```markdown
# Annual Report
Some **bold** text
continues [here](https://example.com).

## Results
- first item
- second item
  wrapped
2. numbered

| Name | Value |
|:-----|------:|
| a \\| b | 1 |
| c |

$$ E = mc^2 $$

![Revenue chart](chart.png)

```python
print("hi")
```
---
Closing line.
```"""


def test_blocks_types_levels_and_text() -> None:
    blocks = parse_markdown(PAGE)
    summary = [(b.type, b.level, b.text) for b in blocks if b.type != "TABLE"]
    assert summary == [
        ("HEADING", 1, "Annual Report"),
        ("PARAGRAPH", None, "Some bold text continues here."),
        ("HEADING", 2, "Results"),
        ("LIST_ITEM", None, "first item"),
        ("LIST_ITEM", None, "second item wrapped"),
        ("LIST_ITEM", None, "numbered"),
        ("FORMULA", None, "E = mc^2"),
        ("IMAGE", None, "Revenue chart"),
        ("PARAGRAPH", None, '```python\nprint("hi")\n```'),
        ("PARAGRAPH", None, "Closing line."),
    ]


def test_pipe_table_has_headers_and_padded_rows() -> None:
    (table,) = [b for b in parse_markdown(PAGE) if b.type == "TABLE"]
    assert table.table is not None
    assert table.table.headers == ["Name", "Value"]
    assert table.table.rows == [["a | b", "1"], ["c", ""]]


def test_empty_and_plain_text() -> None:
    assert parse_markdown("") == []
    (block,) = parse_markdown("just one line")
    assert (block.type, block.text) == ("PARAGRAPH", "just one line")


def test_spread_blocks_stack_top_to_bottom_inside_the_page() -> None:
    blocks = spread_blocks(parse_markdown(PAGE), 3, (0, 0, 600, 800))
    assert all(b.page == 3 for b in blocks)
    for upper, lower in itertools.pairwise(blocks):
        assert upper.bbox[3] <= lower.bbox[1] + 1e-6
        assert upper.bbox[1] < upper.bbox[3]
    assert blocks[0].bbox[1] >= 0 and blocks[-1].bbox[3] <= 800
    assert all(0 <= b.bbox[0] < b.bbox[2] <= 600 for b in blocks)
