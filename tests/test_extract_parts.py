"""Long texts in parts: never one giant parse, batches bounded in characters, offsets kept."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from hugetext import EARLY, LATE, TITLE_LIKE, SizeRecorder, filler, long_text, recording

from worker.extract.parts import BATCH_CHARS, MAX_CHARS, PART_CHARS, batches, cut, split


def test_a_text_within_the_limit_is_one_part() -> None:
    text = "Titre\n\n" + "Une phrase. " * 100
    assert split(text, 10_000) == [(0, text)]
    assert split("", 10_000) == []


def test_parts_are_contiguous_bounded_and_end_at_a_paragraph() -> None:
    text = filler(50_000, seed=3)
    parts = split(text, 5_000)
    assert "".join(p for _, p in parts) == text
    assert all(len(p) <= 5_000 for _, p in parts)
    assert [o for o, _ in parts] == [sum(len(p) for _, p in parts[:k]) for k in range(len(parts))]
    assert all(p.endswith("\n\n") for _, p in parts[:-1]), "a paragraph when there is one"
    assert len(parts) <= 50_000 // 2_500 + 1, "no part shorter than half the limit"


def test_without_paragraphs_a_part_ends_at_a_sentence_then_a_word() -> None:
    sentences = " ".join(f"Phrase numéro {i} du texte." for i in range(2_000))
    parts = split(sentences, 1_000)
    assert all(p.endswith(". ") for _, p in parts[:-1])
    words = " ".join(f"mot{i}" for i in range(2_000))
    assert all(p.endswith(" ") for _, p in split(words, 1_000)[:-1])
    blob = "".join(random.Random(0).choice("abcdef") for _ in range(10_000))
    assert [len(p) for _, p in split(blob, 3_000)] == [3_000, 3_000, 3_000, 1_000]


def test_a_text_past_the_cap_is_cut_with_a_warning() -> None:
    text = filler(MAX_CHARS + 50_000)
    kept, warning = cut(text)
    assert len(kept) <= MAX_CHARS and text.startswith(kept) and kept.endswith("\n\n")
    assert warning == f"text cut to its first {len(kept):,} of {len(text):,} characters"
    assert cut("court") == ("court", None)


def test_batches_are_bounded_in_texts_and_characters() -> None:
    parts = [(i, "x" * n) for i, n in enumerate([40_000, 40_000, 40_000, 10, 10, 10, 150_000])]
    groups = [[i for i, _ in g] for g in batches(parts, max_items=2, max_chars=100_000)]
    assert groups == [[0, 1], [2, 3], [4, 5], [6]]


@pytest.fixture
def sizes(extractor: Any) -> Iterator[SizeRecorder]:
    """The sizes of what the session's model parses during the test."""
    with recording(extractor) as recorder:
        yield recorder


def test_a_long_text_is_parsed_in_parts_with_offsets_into_the_whole(
    extractor: Any, sizes: SizeRecorder
) -> None:
    # a later part opens with a line that would be a quoted title if it were the text's first
    head = f"Dépêche\n\n{EARLY}\n\n{filler(PART_CHARS - 2_000, seed=1)}\n\n"
    while len(head) < PART_CHARS - len(TITLE_LIKE) + 10:  # the next break is past the limit
        head = head[:-2] + " Le chemin continue.\n\n"
    text = head + TITLE_LIKE + "\n\n" + long_text(200_000, seed=2)
    assert split(text)[1][0] == len(head), "the title-like line opens the second part"
    (found,) = extractor.extract_many([(text, None)])
    said = {(s.start, s.speaker, s.type) for s in found}
    assert (text.find(EARLY), "Sergueï Lavrov", "warning") in said
    assert (text.rfind(EARLY), "Sergueï Lavrov", "warning") in said, "in a later part"
    assert (text.rfind(LATE), "Jens Stoltenberg", "demand") in said, "in the last part"
    assert not any(s.start == len(head) for s in found), "a later part's first line: no title"
    for s in found:
        assert text[s.start : s.end] == s.sentence
    assert found[0].start < 100 and found[-1].end == len(text)
    parsed = [n for batch in sizes.batches for n in batch]
    assert parsed and max(parsed) <= PART_CHARS, "no giant parse"
    assert all(sum(batch) <= BATCH_CHARS for batch in sizes.batches)
    assert len(parsed) <= 4, "the filler's parts are skipped by the pre-filter"


def test_many_long_texts_stay_within_the_batch_bound(extractor: Any, sizes: SizeRecorder) -> None:
    said = f"{EARLY}\n\n{LATE}\n\n"
    texts = [said * (25_000 // len(said)) for _ in range(8)]  # every part has statements
    results = list(extractor.extract_many([(t, None) for t in texts]))
    assert [len(r) for r in results] == [len(results[0])] * 8 and results[0]
    assert results[0][-1].end == len(texts[0].rstrip())
    assert max(sum(batch) for batch in sizes.batches) <= BATCH_CHARS
    assert len(sizes.batches) >= 2, "eight 25,000-character texts are not one batch"
