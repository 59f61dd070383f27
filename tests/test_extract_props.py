"""Property-based robustness: any input gives a list of well-formed statements or a ValueError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veille.domain import TYPES  # noqa: E402
from worker.extract import Extractor, load_model  # noqa: E402
from worker.extract.pipeline import MAX_CHARS  # noqa: E402

_EX: list[Extractor] = []


def extractor() -> Extractor:
    """Built once per session (hypothesis forbids function-scoped fixtures in @given)."""
    if not _EX:
        _EX.append(Extractor(load_model()))
    return _EX[0]


def check(text: str) -> None:
    """The output contract on any string input."""
    try:
        out = extractor().extract(text)
    except ValueError:
        return
    assert isinstance(out, list)
    for s in out:
        assert s.type in TYPES
        assert 0 <= s.start < s.end <= len(text)
        assert s.sentence and s.sentence in text
        assert isinstance(s.targets, tuple)
        assert s.speaker is None or isinstance(s.speaker, str)


FRENCH = st.sampled_from(
    [
        "a déclaré",
        "« Nous partirons »",
        ", a-t-il averti.",
        "Moscou",
        "selon l'ONU",
        "le président ukrainien",
        "demande à",
        "Kiev",
        "\u00a0»",
        "«\u202f",
        '"',
        ":",
        "\n",
        "Il",
        "a rejeté",
        "une demande rejetée par",
        "Jens Stoltenberg",
        " ",
        ".",
        "<p>",
        "&amp;",
    ]
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text(max_size=300))
def test_random_unicode(text):
    check(text)


@SETTINGS
@given(st.lists(FRENCH, max_size=60).map("".join))
def test_french_like_fragments(text):
    check(text)


@SETTINGS
@given(st.binary(max_size=400))
def test_binary_garbage(data):
    check(data.decode("utf-8", errors="replace"))
    check(data.decode("latin-1"))
    with pytest.raises(ValueError):
        extractor().extract(data)  # type: ignore[arg-type]


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<b>",
                "« Non »",
                "a dit Poutine",
                "<br/>",
                "&nbsp;",
                "<script>x</script>",
                "Paris a dénoncé",
            ]
        ),
        max_size=40,
    ).map(" ".join)
)
def test_html(text):
    check(text)


def test_empty_and_blank():
    assert extractor().extract("") == []
    assert extractor().extract(" \n\t\u00a0 ") == []


def test_not_a_string_is_a_value_error():
    for bad in (None, 42, b"bytes", ["a"]):
        with pytest.raises(ValueError):
            extractor().extract(bad)  # type: ignore[arg-type]


def test_too_long_is_read_as_far_as_the_cap():
    said = "« Nous ne céderons pas », a déclaré le ministre ukrainien Oleh Bondar.\n\n"
    text = said + "a " * (MAX_CHARS // 2) + said
    (found,) = extractor().extract_many([(text, None)])  # the filler's parts are skipped
    assert [s.start for s in found] == [0], "the statement past the cap is not read"


def test_huge_but_allowed_text():
    para = (
        "« Nous ne céderons pas », a déclaré le ministre ukrainien Oleh Bondar. "
        "Moscou a rejeté toute négociation. "
    )
    text = (para + "\n\n") * 250  # ~30 000 characters
    check(text)
    assert len(extractor().extract(text)) >= 250
