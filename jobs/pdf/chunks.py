"""Stored content cut into chunks for retrieval, along the document's structure.

    chunks = chunk_content(content, max_tokens=512, overlap=0)
    chunks[0].text, chunks[0].headings, chunks[0].pages, chunks[0].token_count

Pure: ExtractedContent in (the stored result, nothing is extracted again),
dataclasses out. The rules:

- Sections: a TITLE or HEADING starts one, nested by level (title 0, headings
  1..6). A chunk never mixes two sections, and `headings` is the path of
  section titles above it (title → heading → subheading). A heading's own
  text opens its section's first chunk; a heading with no text of its own
  before a deeper one (a chapter title right above its first section) rides
  along into that first chunk rather than standing alone.
- Small neighbouring blocks of one section are merged while the chunk stays
  within `max_tokens`.
- A paragraph over the limit is split at sentence ends (then between words, for
  a sentence longer than a chunk).
- A table is one piece (Markdown, as in `markdown`) if it fits; otherwise it is
  split between rows and every part repeats the header row.
- Consecutive list items are one list: a list that fits stays whole (a chunk
  is closed early rather than splitting it); a longer one is split between
  items, never inside an item that fits.
- Running headers and footers are left out, as in Markdown and text.
- `overlap` > 0 starts each chunk after the first of a section with the last
  words of the previous one (at most `overlap` tokens), within `max_tokens`.

Token counts are cl100k_base's (jobs/pdf/tokens.py), of the exact chunk text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from jobs.pdf.content import ContentBlock, ExtractedContent, TableData
from jobs.pdf.markdown import markdown_table
from jobs.pdf.tokens import count_tokens

MIN_MAX_TOKENS = 16
MAX_MAX_TOKENS = 8192
_SKIPPED = ("HEADER", "FOOTER")
_SEPARATOR = "\n\n"
# A sentence ends at . ! ? (with a closing quote or bracket) before a space, or at CJK stops.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+|(?<=[\u3002\uff01\uff1f])")


class ChunkingError(ValueError):
    """Parameters no chunking can meet; the message says which."""


@dataclass(slots=True)
class Chunk:
    index: int
    text: str
    headings: list[str]
    page: int  # the first page the chunk's text comes from
    pages: list[int]
    token_count: int
    block_types: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "text": self.text,
            "headings": self.headings,
            "page": self.page,
            "pages": self.pages,
            "tokenCount": self.token_count,
            "blockTypes": self.block_types,
        }


@dataclass(slots=True)
class _Piece:
    """Text that is never split further, with where it came from."""

    text: str
    pages: list[int]
    block_type: str
    # Pieces of one list (or one split table) share a group: kept together when they fit.
    group: int | None = None


@dataclass(slots=True)
class _Draft:
    headings: list[str]
    parts: list[_Piece] = field(default_factory=list)
    overlap_text: str = ""

    def text(self, extra: _Piece | None = None) -> str:
        texts = [p.text for p in self.parts] + ([extra.text] if extra else [])
        body = _SEPARATOR.join(texts)
        return f"{self.overlap_text} {body}".strip() if self.overlap_text else body


def check_parameters(max_tokens: int, overlap: int) -> None:
    if not MIN_MAX_TOKENS <= max_tokens <= MAX_MAX_TOKENS:
        raise ChunkingError(f"maxTokens must be between {MIN_MAX_TOKENS} and {MAX_MAX_TOKENS}")
    if overlap < 0 or overlap * 2 > max_tokens:
        raise ChunkingError("overlap must be between 0 and half of maxTokens")


# ---- splitting one block into pieces that fit ------------------------------------------------


def _split_long(text: str, limit: int, first_limit: int | None = None) -> list[str]:
    """Sentences packed up to `limit` tokens (the first part up to `first_limit`, leaving room
    for the heading that opens the chunk); a longer sentence is split between words."""
    first = limit if first_limit is None else first_limit
    if count_tokens(text) <= first:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s and s.strip()):
        for unit in _fit_sentence(sentence.strip(), first if not parts else limit):
            candidate = f"{current} {unit}" if current else unit
            if count_tokens(candidate) <= (first if not parts else limit):
                current = candidate
            elif current:
                parts.append(current)
                current = unit
            else:  # the first part has no room for this unit: it starts the second
                parts.append("")
                current = unit
    if current:
        parts.append(current)
    return [p for p in parts if p]


def _fit_sentence(sentence: str, limit: int) -> Iterator[str]:
    if count_tokens(sentence) <= limit:
        yield sentence
        return
    current = ""
    for word in sentence.split():
        for unit in _fit_word(word, limit):
            candidate = f"{current} {unit}" if current else unit
            if count_tokens(candidate) <= limit:
                current = candidate
            else:
                if current:
                    yield current
                current = unit
    if current:
        yield current


def _fit_word(word: str, limit: int) -> Iterator[str]:
    """A "word" longer than a chunk (CJK text has no spaces, a URL...): cut by characters."""
    while word:
        if count_tokens(word) <= limit:
            yield word
            return
        low, high = 1, len(word)
        while low < high:  # the longest prefix within the limit
            middle = (low + high + 1) // 2
            if count_tokens(word[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        yield word[:low]
        word = word[low:]


def _table_pieces(table: TableData, page: int, limit: int, group: int) -> list[_Piece]:
    whole = markdown_table(table)
    if count_tokens(whole) <= limit:
        return [_Piece(whole, [page], "TABLE")]
    header = markdown_table(TableData(headers=table.headers, rows=[]))
    room = limit - count_tokens(header) - 1
    if room < limit // 4:
        # A header that leaves no room for rows is not repeated: the lines, packed.
        return [_Piece(part, [page], "TABLE", group) for part in _pack_lines(whole, limit)]

    def rendered(rows: list[list[str]]) -> str:
        return markdown_table(TableData(headers=table.headers, rows=rows))

    pieces: list[_Piece] = []
    rows: list[list[str]] = []
    for row in table.rows:
        if count_tokens(rendered([row])) > limit:
            # One row longer than a chunk: its text, split like a paragraph, after the header.
            if rows:
                pieces.append(_Piece(rendered(rows), [page], "TABLE", group))
                rows = []
            line = rendered([row])[len(header) :].strip()
            pieces.extend(
                _Piece(f"{header}\n{part}", [page], "TABLE", group) for part in _split_long(line, room)
            )
            continue
        if rows and count_tokens(rendered([*rows, row])) > limit:
            pieces.append(_Piece(rendered(rows), [page], "TABLE", group))
            rows = []
        rows.append(row)
    if rows:
        pieces.append(_Piece(rendered(rows), [page], "TABLE", group))
    return pieces


def _pack_lines(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for unit in _split_long(line, limit):
            candidate = f"{current}\n{unit}" if current else unit
            if count_tokens(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = unit
    if current:
        parts.append(current)
    return [p for p in parts if p]


def _block_pieces(
    block: ContentBlock, limit: int, group: int | None, first_limit: int | None = None
) -> list[_Piece]:
    if block.type == "TABLE" and block.table is not None and (block.table.headers or block.table.rows):
        return _table_pieces(block.table, block.page, limit, group if group is not None else -1)
    text = block.text.strip()
    if not text:
        return []
    return [_Piece(part, [block.page], block.type, group) for part in _split_long(text, limit, first_limit)]


# ---- sections ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Section:
    headings: list[str]
    # Heading lines that open this section's first chunk (its own, and empty parents').
    opening: list[_Piece]
    blocks: list[ContentBlock]


def _level(block: ContentBlock) -> int:
    return 0 if block.type == "TITLE" else max(1, min(6, block.level or 1))


def _sections(content: ExtractedContent) -> list[_Section]:
    sections: list[_Section] = []
    path: list[tuple[int, str]] = []
    current = _Section([], [], [])
    for block in content.blocks:
        if block.type in _SKIPPED:
            continue
        if block.type in ("TITLE", "HEADING") and block.text.strip():
            level = _level(block)
            # A heading directly above a deeper one carries its line into the deeper section;
            # one followed by a heading of its own level or higher stands alone.
            carried = current.opening if not current.blocks and path and path[-1][0] < level else []
            if current.blocks or (current.opening and not carried):
                sections.append(current)
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, block.text.strip()))
            heading = _Piece(block.text.strip(), [block.page], block.type)
            current = _Section([title for _, title in path], [*carried, heading], [])
        else:
            current.blocks.append(block)
    if current.blocks or current.opening:
        sections.append(current)
    return sections


# ---- packing pieces into chunks ---------------------------------------------------------------


def _pieces(section: _Section, limit: int) -> list[_Piece]:
    # Heading lines too are cut to the limit (a paragraph mistaken for a heading can be long).
    pieces = [
        _Piece(part, line.pages, line.block_type)
        for line in section.opening
        for part in _split_long(line.text, limit)
    ]
    # A long first paragraph leaves room for the heading lines, so they share its first chunk.
    opening = count_tokens(_SEPARATOR.join(p.text for p in pieces) + _SEPARATOR) if pieces else 0
    first_limit = limit - opening if 0 < opening <= limit // 2 else None
    group = 0
    previous_type = None
    for position, block in enumerate(section.blocks):
        if block.type == "LIST_ITEM":
            if previous_type != "LIST_ITEM":
                group += 1
            pieces.extend(_block_pieces(block, limit, group))
        elif block.type == "TABLE":
            group += 1
            pieces.extend(_block_pieces(block, limit, group))
        else:
            pieces.extend(_block_pieces(block, limit, None, first_limit if position == 0 else None))
        previous_type = block.type
    return pieces


def _group_text(pieces: list[_Piece], start: int) -> str:
    group = pieces[start].group
    end = start
    while end < len(pieces) and pieces[end].group == group:
        end += 1
    return _SEPARATOR.join(p.text for p in pieces[start:end])


def _tail(text: str, overlap: int) -> str:
    """The last words of `text`, at most `overlap` tokens."""
    words = text.split()
    taken: list[str] = []
    for word in reversed(words):
        if count_tokens(" ".join([word, *taken])) > overlap:
            break
        taken.insert(0, word)
    return " ".join(taken)


def _pack(section: _Section, max_tokens: int, overlap: int) -> list[_Draft]:
    # With overlap, the pieces leave room for the carried words.
    limit = max_tokens - overlap
    pieces = _pieces(section, limit)
    drafts: list[_Draft] = []
    draft = _Draft(section.headings)
    for position, piece in enumerate(pieces):
        starts_group = piece.group is not None and (
            position == 0 or pieces[position - 1].group != piece.group
        )
        fits = count_tokens(draft.text(piece)) <= max_tokens
        if fits and starts_group and draft.parts:
            # A list or split table that fits a chunk of its own is not started at a chunk's end.
            whole = _group_text(pieces, position)
            fits = (
                count_tokens(whole) > limit or count_tokens(draft.text(_Piece(whole, [], ""))) <= max_tokens
            )
        if draft.parts and not fits:
            drafts.append(draft)
            carried = _tail(draft.text(), overlap) if overlap else ""
            draft = _Draft(section.headings, overlap_text=carried)
            if count_tokens(draft.text(piece)) > max_tokens:
                draft.overlap_text = ""
        draft.parts.append(piece)
    if draft.parts:
        drafts.append(draft)
    return drafts


def chunk_content(content: ExtractedContent, *, max_tokens: int = 512, overlap: int = 0) -> list[Chunk]:
    check_parameters(max_tokens, overlap)
    chunks: list[Chunk] = []
    for section in _sections(content):
        for draft in _pack(section, max_tokens, overlap):
            text = draft.text()
            pages = sorted({page for part in draft.parts for page in part.pages})
            types = list(dict.fromkeys(part.block_type for part in draft.parts))
            chunks.append(
                Chunk(
                    index=len(chunks),
                    text=text,
                    headings=list(draft.headings),
                    page=pages[0] if pages else 1,
                    pages=pages,
                    token_count=count_tokens(text),
                    block_types=types,
                )
            )
    return chunks
