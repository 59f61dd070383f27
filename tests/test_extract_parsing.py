"""The parser driven step by step: the parse spaCy's own decoder gives, for any batch."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.extract.parsing import PARSER, parse, stepped_parser  # noqa: E402
from worker.extract.pipeline import LAZY_PIPES  # noqa: E402

TEXTS = [
    "L'Otan met en garde la Russie : « Elle devra en payer le prix fort », a averti "
    "Jens Stoltenberg à Berlin.\nMoscou rejette l'appel à retirer ses troupes de la "
    "frontière ukrainienne, qu'elle juge inacceptable.",
    "",
    "Non.",
    "   \n  ",
    "Sergueï Lavrov exige des réponses écrites sur le non-élargissement de l'Otan ; le "
    "Kremlin, lui, dément toute intention d'envahir l'Ukraine. « Nous attendons », dit-il.",
]


def _parse_of(doc):  # type: ignore[no-untyped-def]
    return [(t.head.i, t.dep_, t.is_sent_start) for t in doc]


def test_same_parse_as_spacys_decoder_for_a_mixed_batch(nlp):
    """Heads, labels and sentence starts are spaCy's, batch with empty texts included."""
    disabled = [p for p in LAZY_PIPES if p in nlp.pipe_names]
    expected = [_parse_of(d) for d in nlp.pipe(TEXTS, disable=disabled)]
    docs = list(nlp.pipe(TEXTS, disable=[*disabled, PARSER]))
    assert _parse_of(docs[0]) != expected[0]  # not parsed yet
    parser = stepped_parser(nlp, disabled)
    assert parser is not None
    parse(parser, docs)
    assert [_parse_of(d) for d in docs] == expected


def test_a_batch_of_empty_texts_is_left_as_it_is(nlp):
    docs = list(nlp.pipe(["", ""], disable=[*LAZY_PIPES, PARSER]))
    parser = stepped_parser(nlp, LAZY_PIPES)
    assert parse(parser, docs) == docs and all(len(d) == 0 for d in docs)


def test_not_used_when_a_component_after_the_parser_runs(nlp):
    """The named-entity recogniser or the lemmatizer would read a parse not yet made: the
    parser then stays in the pipeline."""
    assert stepped_parser(nlp, []) is None
    assert stepped_parser(nlp, ["lemmatizer", "attribute_ruler"]) is None  # ner runs
    assert stepped_parser(nlp, LAZY_PIPES) is nlp.get_pipe(PARSER)
