"""Quotation spans in raw text: « », “ ”, „ “ and straight double quotes, tolerant of spacing."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

OPENERS = {"«": "»", "“": "”", "„": "“", "‹": "›"}
CLOSERS = {"»", "”", "›"}
STRAIGHT = '"'
QUOTE_CHARS = frozenset('«»“”„‹›"')
_MARKS = re.compile('[«»“”„‹›"\n]')


@dataclass(frozen=True)
class QuoteIndex:
    """Top-level quotation spans (start of opening mark, end after closing mark), sorted."""

    spans: tuple[tuple[int, int], ...]

    def containing(self, pos: int) -> tuple[int, int] | None:
        """The span strictly enclosing character `pos` (marks excluded), if any."""
        i = bisect_right(self.spans, (pos, 1 << 60)) - 1
        if i >= 0:
            s, e = self.spans[i]
            if s < pos < e - 1:
                return s, e
        return None

    def inside(self, pos: int) -> bool:
        """Whether character `pos` lies within quoted words."""
        return self.containing(pos) is not None

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        """All spans that overlap [start, end)."""
        i = max(bisect_right(self.spans, (start, 1 << 60)) - 1, 0)
        out = []
        for s, e in self.spans[i:]:
            if s >= end:
                break
            if e > start:
                out.append((s, e))
        return out


def _paragraph_end(text: str, pos: int) -> int:
    """End of the paragraph holding `pos`: an unclosed quotation stops there."""
    nl = text.find("\n", pos)
    return len(text) if nl == -1 else nl


def find_quotes(text: str) -> QuoteIndex:
    """Scan once for quotation spans; nested marks are absorbed, unbalanced ones end at the line."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    straight_open = -1
    n = len(text)
    # every other character leaves the state unchanged: jump from mark to mark
    m = _MARKS.search(text)
    while m is not None:
        i = m.start()
        c = text[i]
        if c == "\n" and (stack or straight_open >= 0):
            # an unclosed quotation does not run past its paragraph
            start = stack[0][1] if stack else straight_open
            if straight_open >= 0 and stack:
                start = min(start, straight_open)
            spans.append((start, i))
            stack.clear()
            straight_open = -1
        elif c in OPENERS and not (c == "“" and stack and stack[-1][0] == "„"):
            stack.append((OPENERS[c], i))
        elif c in CLOSERS or (c == "“" and stack and stack[-1][0] == "„"):
            if stack:
                want, start = stack.pop()
                if not stack and straight_open < 0:
                    spans.append((start, i + 1))
            # a stray closer with nothing open is ignored
        elif c == STRAIGHT:
            if straight_open >= 0:
                if not stack:
                    spans.append((straight_open, i + 1))
                straight_open = -1
            elif stack:
                # straight quotes nested inside « »: skip to the matching one
                j = text.find(STRAIGHT, i + 1, _paragraph_end(text, i))
                i = j if j != -1 else i
            else:
                straight_open = i
        m = _MARKS.search(text, i + 1)
    if stack or straight_open >= 0:
        start = min([s for _, s in stack] + ([straight_open] if straight_open >= 0 else []))
        spans.append((start, n))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return QuoteIndex(tuple(merged))


def has_quote_char(text: str) -> bool:
    """Cheap test used by the prefilter."""
    return any(c in QUOTE_CHARS for c in text)
