"""Long texts in parts: the model never parses one giant document, and a batch stays small.

spaCy's memory grows with the characters of a batch: its arrays hold every token of the batch at
once, about 1.8 KB per character of text (a 100,000-character batch adds 180 MB; 8 items of
480,000 characters asked for 15.7 GB). A text longer than `PART_CHARS` is read in parts cut at
paragraph, else line, else sentence, else word boundaries; a batch holds at most `BATCH_CHARS`
characters of parts; a text beyond `MAX_CHARS` is cut there (about 25 s of parsing).

Every development text is under 9,000 characters and every article of the corpus under 24,000:
they are read whole, in the same batches, as before parts existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from veille.domain import Statement

PART_CHARS = 30_000
BATCH_CHARS = 100_000
MAX_CHARS = 1_000_000

# where a part may end, best first: a paragraph, a line, a sentence, a clause, a word
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", "… ", "» ", "; ", ", ", " ")

T = TypeVar("T")


def boundary(text: str, start: int, limit: int) -> int:
    """End of the part that begins at `start`: the best break in its second half, at most
    `limit` characters on; a hard cut only in a text with no whitespace at all."""
    end = start + limit
    if end >= len(text):
        return len(text)
    floor = start + limit // 2
    for sep in _BREAKS:
        k = text.rfind(sep, floor, end)
        if k != -1:
            return k + len(sep)
    return end


def split(text: str, limit: int = PART_CHARS) -> list[tuple[int, str]]:
    """The parts of a text as (offset, part): contiguous slices, each at most `limit` long."""
    if limit < 2:
        raise ValueError(f"part limit must be at least 2 characters, not {limit}")
    parts: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = boundary(text, start, limit)
        parts.append((start, text[start:end]))
        start = end
    return parts


def cut(text: str, limit: int = MAX_CHARS) -> tuple[str, str | None]:
    """The text the extractor reads, at most `limit` characters, and a warning if it was cut
    (a long text is read as far as the cap, never refused)."""
    if len(text) <= limit:
        return text, None
    end = boundary(text, 0, limit)
    return text[:end], f"text cut to its first {end:,} of {len(text):,} characters"


def shifted(statements: Iterable[Statement], offset: int) -> list[Statement]:
    """Statements of a part, their offsets made offsets into the whole text."""
    if not offset:
        return list(statements)
    return [replace(s, start=s.start + offset, end=s.end + offset) for s in statements]


def batches(
    parts: Iterable[tuple[T, str]], max_items: int, max_chars: int = BATCH_CHARS
) -> Iterator[list[tuple[T, str]]]:
    """Consecutive parts grouped at most `max_items` and `max_chars` characters a group (a
    single part longer than `max_chars` is a group of its own)."""
    group: list[tuple[T, str]] = []
    chars = 0
    for tag, part in parts:
        if group and (len(group) >= max_items or chars + len(part) > max_chars):
            yield group
            group, chars = [], 0
        group.append((tag, part))
        chars += len(part)
    if group:
        yield group
