"""The dependency parse, driven one transition step at a time from Python.

spaCy's parser decodes greedily in a C loop (`Parser.greedy_parse`). In the wheels on PyPI
that loop takes the GIL back inside `Vec.arg_max` and `set_valid` (perf shows
`PyGILState_Ensure` under both): once per hidden unit and per action, for every state at
every step, which was about half the parser's time on news text. spaCy's own per-step API,
the one its training loop uses (`ParserStepModel` for the scores, `transition_states` for
the moves), runs the same model and makes the same choices with numpy doing the vector work:
the same parses in about half the time on a year of feed items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

PARSER = "parser"


def stepped_parser(nlp: Language, disabled: Sequence[str] = ()) -> Any | None:
    """The pipeline's parser when it can be run step by step after the other components:
    spaCy's greedy transition parser, last of the components that run. None otherwise."""
    if PARSER not in nlp.pipe_names:
        return None
    parser: Any = nlp.get_pipe(PARSER)
    needed = ("moves", "model", "transition_states", "set_annotations", "cfg")
    if not all(hasattr(parser, name) for name in needed):
        return None  # not spaCy's transition parser
    if parser.cfg.get("beam_width", 1) != 1:
        return None  # beam search: spaCy's own decoder
    later = nlp.pipe_names[nlp.pipe_names.index(PARSER) + 1 :]
    if any(name not in disabled for name in later):
        return None  # a component after the parser would read the parse before it exists
    return parser


def parse(parser: Any, docs: list[Doc]) -> list[Doc]:
    """Parse a batch of docs that went through every component before the parser.

    The parser reads the shared `tok2vec` output from `doc.tensor`, as its listener does
    whenever it is not fed directly."""
    if not any(len(doc) for doc in docs):
        return docs
    parser._ensure_labels_are_added(docs)
    states = parser.moves.init_batch(docs)
    step = parser.model.predict(docs)
    todo = [s for s in states if not s.is_final()]
    while todo:
        todo = parser.transition_states(todo, step.predict(todo))
    step.clear_memory()
    parser.set_annotations(docs, states)
    return docs
