"""Chunking on generated documents: structure kept, limits held, nothing lost, order kept."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jobs.pdf.chunks import Chunk, ChunkingError, chunk_content
from jobs.pdf.content import ExtractedContent, TableData
from jobs.pdf.tokens import _encoding, count_tokens
from tests.chunks.documents import LONG_TABLE_HEADERS, block, content_of, extract, long_table_pdf
from tests.pdf import generate

MARKUP = {"|", "---"}


def words_of_chunks(chunks: list[Chunk]) -> list[str]:
    return [w for c in chunks for w in c.text.split() if w not in MARKUP]


def words_of_content(content: ExtractedContent) -> list[str]:
    words: list[str] = []
    for b in content.blocks:
        if b.type in ("HEADER", "FOOTER"):
            continue
        if b.type == "TABLE" and b.table is not None:
            for row in [b.table.headers, *b.table.rows]:
                words.extend(w for cell in row for w in cell.split())
        else:
            words.extend(b.text.split())
    return words


def assert_covers_in_order(chunks: list[Chunk], content: ExtractedContent, repeated: int = 0) -> None:
    """Every word of the content, in order, and nothing else but `repeated` header words."""
    expected = words_of_content(content)
    got = words_of_chunks(chunks)
    position = 0
    for word in expected:
        while position < len(got) and got[position] != word:
            position += 1
        assert position < len(got), f"{word!r} missing or out of order"
        position += 1
    assert len(got) == len(expected) + repeated


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ExtractedContent:
    folder = tmp_path_factory.mktemp("report")
    generate.report_pdf(folder / "report.pdf")
    return extract(folder / "report.pdf", folder / "data")


@pytest.fixture(scope="module")
def long_table(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExtractedContent, list[list[str]]]:
    folder = tmp_path_factory.mktemp("table")
    rows = long_table_pdf(folder / "table.pdf")
    return extract(folder / "table.pdf", folder / "data"), rows


def test_the_token_counts_are_cl100k_base() -> None:
    # Reference ids and counts of OpenAI's cl100k_base (as tiktoken gives them).
    assert _encoding().encode_ordinary("hello world") == [15339, 1917]
    assert count_tokens("tiktoken is great!") == 6
    assert count_tokens("") == 0
    assert count_tokens("<|endoftext|>") > 1  # text, never the special token


@pytest.mark.parametrize("max_tokens", [24, 64, 512])
def test_no_chunk_is_over_max_tokens_and_every_word_is_there_in_order(
    report: ExtractedContent, max_tokens: int
) -> None:
    chunks = chunk_content(report, max_tokens=max_tokens)
    assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.token_count == count_tokens(chunk.text) <= max_tokens, chunk
    [table] = [b.table for b in report.blocks if b.table is not None]
    header_line = "| " + " | ".join(table.headers) + " |"
    starts = sum(c.text.count(header_line) for c in chunks)
    assert_covers_in_order(chunks, report, repeated=len(" ".join(table.headers).split()) * (starts - 1))


def test_heading_paths_follow_the_sections(report: ExtractedContent) -> None:
    chunks = chunk_content(report, max_tokens=64)
    title = generate.TITLE

    def path_of(word_run: str) -> list[str]:
        [chunk] = [c for c in chunks if word_run in c.text]
        return chunk.headings

    assert path_of("First item alpha") == [title, "Introduction", "Background Details"]
    assert path_of(generate.TABLE_CAPTION) == [title, "Results"]
    assert path_of(generate.FIGURE_CAPTION) == [title, "Results", "Figures"]
    assert path_of("Conclusion") == [title, "Conclusion"]
    # A chunk never mixes two sections: every heading line in its text is on its own path.
    titles = {title} | {h for h, _ in generate.HEADINGS}
    for chunk in chunks:
        lines_that_are_headings = {line for line in chunk.text.split("\n\n") if line in titles}
        assert lines_that_are_headings <= set(chunk.headings), chunk
    # The report's running header and page numbers are not content.
    assert not any(generate.HEADER in c.text for c in chunks)


def test_list_items_stay_with_their_list(report: ExtractedContent) -> None:
    chunks = chunk_content(report, max_tokens=64)
    holding = [c for c in chunks if "LIST_ITEM" in c.block_types]
    assert len(holding) == 1
    assert all(item in holding[0].text for item in generate.LIST_ITEMS)


def test_a_long_table_is_split_by_rows_with_its_header_repeated(
    long_table: tuple[ExtractedContent, list[list[str]]],
) -> None:
    content, rows = long_table
    [table] = [b.table for b in content.blocks if b.table is not None]
    assert table.headers == LONG_TABLE_HEADERS and table.rows == rows
    chunks = chunk_content(content, max_tokens=96)
    parts = [c for c in chunks if c.block_types == ["TABLE"]]
    assert len(parts) >= 3
    header_line = "| " + " | ".join(LONG_TABLE_HEADERS) + " |"
    seen: list[str] = []
    for part in parts:
        lines = part.text.split("\n")
        assert lines[0] == header_line and lines[1].startswith("| ---")
        seen.extend(line.split(" | ")[0].removeprefix("| ") for line in lines[2:])
        assert part.token_count <= 96
        assert part.headings == ["Stock Report", "Inventory"]
    assert seen == [row[0] for row in rows]  # every row once, in order
    header_words = len(" ".join(LONG_TABLE_HEADERS).split())
    assert_covers_in_order(chunks, content, repeated=header_words * (len(parts) - 1))
    # With room for it, the same table is one chunk.
    whole = [c for c in chunk_content(content, max_tokens=2048) if "TABLE" in c.block_types]
    assert len(whole) == 1 and whole[0].text.count(header_line) == 1


def test_a_long_paragraph_is_split_at_sentence_ends() -> None:
    sentences = [
        f"Sentence number {n} talks about the {generate.words(n, 6)[0]} of the widget." for n in range(40)
    ]
    content = content_of(
        block("TITLE", "Manual"),
        block("HEADING", "Usage", level=1),
        block("PARAGRAPH", " ".join(sentences)),
        block("HEADING", "Care", level=1),
        block("PARAGRAPH", "Keep it dry."),
    )
    chunks = chunk_content(content, max_tokens=60)
    usage = [c for c in chunks if c.headings == ["Manual", "Usage"]]
    assert len(usage) > 3
    for chunk in usage:
        assert chunk.text.endswith(".") and chunk.token_count <= 60
    assert chunks[-1].headings == ["Manual", "Care"] and chunks[-1].text == "Care\n\nKeep it dry."
    assert_covers_in_order(chunks, content)


def test_small_blocks_of_one_section_are_merged_never_across_sections() -> None:
    content = content_of(
        block("HEADING", "A", level=1),
        block("PARAGRAPH", "one."),
        block("PARAGRAPH", "two.", page=2),
        block("HEADING", "A.1", level=2, page=2),
        block("PARAGRAPH", "three.", page=2),
        block("HEADING", "B", level=1, page=3),
        block("HEADING", "B.1", level=2, page=3),
        block("PARAGRAPH", "four.", page=3),
        block("HEADING", "C", level=1, page=3),
    )
    chunks = chunk_content(content, max_tokens=512)
    assert [(c.text, c.headings, c.pages) for c in chunks] == [
        ("A\n\none.\n\ntwo.", ["A"], [1, 2]),
        ("A.1\n\nthree.", ["A", "A.1"], [2]),
        # B has no text of its own: its title opens its first subsection's chunk.
        ("B\n\nB.1\n\nfour.", ["B", "B.1"], [3]),
        ("C", ["C"], [3]),
    ]
    assert chunks[0].page == 1 and chunks[0].block_types == ["HEADING", "PARAGRAPH"]


def test_overlap_repeats_the_end_of_the_previous_chunk_of_the_same_section() -> None:
    text = " ".join(f"Point {n} is made here." for n in range(60))
    content = content_of(block("HEADING", "Notes", level=1), block("PARAGRAPH", text))
    chunks = chunk_content(content, max_tokens=48, overlap=8)
    assert len(chunks) > 2
    for before, after in itertools.pairwise(chunks):
        assert after.token_count <= 48
        tail = after.text.split(" Point ")[0]
        assert before.text.endswith(tail) and 0 < count_tokens(tail) <= 8


def test_a_heading_longer_than_a_chunk_is_cut_too() -> None:
    long_heading = " ".join(generate.words(5, 120))
    content = content_of(block("HEADING", long_heading, level=1), block("PARAGRAPH", "Body."))
    chunks = chunk_content(content, max_tokens=32)
    assert len(chunks) > 2 and all(c.token_count <= 32 for c in chunks)
    assert all(c.headings == [long_heading] for c in chunks)
    assert_covers_in_order(chunks, content)


def test_cjk_text_without_spaces_is_cut_within_the_limit() -> None:
    text = "这是一个很长的句子没有任何标点符号" * 40
    chunks = chunk_content(content_of(block("PARAGRAPH", text)), max_tokens=32)
    assert "".join(c.text for c in chunks) == text
    assert all(c.token_count <= 32 for c in chunks)


def test_a_table_row_longer_than_a_chunk_is_split_after_the_header() -> None:
    table = TableData(headers=["Key", "Value"], rows=[["k", " ".join(generate.words(3, 200))]])
    chunks = chunk_content(content_of(block("TABLE", "", table=table)), max_tokens=40)
    assert len(chunks) > 1
    assert all(c.text.startswith("| Key | Value |") and c.token_count <= 40 for c in chunks)


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (8, 0), (100000, 0), (64, -1), (64, 40)])
def test_impossible_parameters_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ChunkingError):
        chunk_content(content_of(block("PARAGRAPH", "x")), max_tokens=max_tokens, overlap=overlap)


def test_cli_prints_chunks(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    generate.report_pdf(tmp_path / "r.pdf")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "docat.cli",
            "process",
            str(tmp_path / "r.pdf"),
            "--format",
            "chunks",
            "--max-tokens",
            "64",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    chunks = json.loads(done.stdout)
    assert chunks[0]["headings"] == [generate.TITLE, "Introduction"]
    assert set(chunks[0]) == {"index", "text", "headings", "page", "pages", "tokenCount", "blockTypes"}
    assert all(c["tokenCount"] <= 64 for c in chunks)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "docat.cli",
            "process",
            str(tmp_path / "r.pdf"),
            "--format",
            "chunks",
            "--max-tokens",
            "3",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
        timeout=120,
        check=False,
    )
    assert bad.returncode != 0 and "BAD_USER_INPUT" in bad.stderr


@pytest.mark.parametrize("seed", range(12))
def test_random_documents_keep_every_rule(seed: int) -> None:
    """Generated documents of every block kind: limits held, every word once and in order."""
    import random

    rng = random.Random(seed)
    blocks = [block("TITLE", "Random " + str(seed))]
    tables = 0
    for page in range(1, 4):
        blocks.append(block("HEADER", "running header", page=page))
        for _ in range(rng.randint(3, 8)):
            kind = rng.choice(
                ["HEADING", "PARAGRAPH", "PARAGRAPH", "LIST_ITEM", "LIST_ITEM", "TABLE", "CAPTION"]
            )
            words = generate.words(rng.randint(0, 10**6), rng.randint(1, 160))
            if kind == "HEADING":
                blocks.append(block(kind, " ".join(words[:4]).title(), page=page, level=rng.randint(1, 3)))
            elif kind == "TABLE":
                rows = [
                    [f"r{n}", " ".join(generate.words(n + seed, rng.randint(1, 6)))]
                    for n in range(rng.randint(1, 40))
                ]
                blocks.append(
                    block(kind, "", page=page, table=TableData(headers=["Key", "Value"], rows=rows))
                )
                tables += 1
            else:
                text = ". ".join(" ".join(words[i : i + 9]) for i in range(0, len(words), 9)) + "."
                blocks.append(block(kind, text, page=page))
        blocks.append(block("FOOTER", str(page), page=page))
    content = content_of(*blocks)
    for max_tokens in (16, 40, 128, 600):
        chunks = chunk_content(content, max_tokens=max_tokens)
        assert all(c.token_count <= max_tokens for c in chunks)
        assert all(c.pages and c.page == c.pages[0] for c in chunks)
        assert not any("running header" in c.text for c in chunks)
        headers = sum(c.text.count("| Key | Value |") for c in chunks)
        assert_covers_in_order(chunks, content, repeated=2 * (headers - tables))
