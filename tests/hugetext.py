"""Long French texts for the memory-bound tests: statements at both ends, filler between.

The filler names no actor and uses no reporting verb, so the extractor's pre-filter skips its
parts and only the parts with statements are parsed; every sentence carries a number of its
own, so two texts never look like rewrites of one dispatch (scheduler.dedupe).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

# said at the start and at the end of every text (speaker, type, what `sentence` begins with)
EARLY = (
    "Le ministre russe des Affaires étrangères, Sergueï Lavrov, a averti mardi que Moscou "
    "répondrait « fermement » à toute extension de l'Otan vers l'est."
)
LATE = (
    "Le secrétaire général de l'Otan, Jens Stoltenberg, a exigé mercredi que la Russie retire "
    "ses troupes massées à la frontière ukrainienne."
)
# a quoted title when it is a text's first line; mid-text it is no statement
TITLE_LIKE = "Sergueï Lavrov : « L'Otan doit reculer »"

_NOUNS = ("jardin", "verger", "moulin", "ruisseau", "pommier", "chemin", "muret", "potager")
_ADJS = ("vert", "ancien", "étroit", "fleuri", "paisible", "ombragé", "humide", "large")


def filler(chars: int, seed: int = 0) -> str:
    """Paragraphs of neutral sentences, about `chars` characters, different for each seed."""
    rnd = random.Random(seed)
    paras: list[str] = []
    size = i = 0
    while size < chars:
        para = " ".join(
            f"La parcelle {seed}-{i + k:07d} du {rnd.choice(_NOUNS)} {rnd.choice(_ADJS)} "
            f"longe le {rnd.choice(_NOUNS)} du village."
            for k in range(8)
        )
        i += 8
        paras.append(para)
        size += len(para) + 2
    return "\n\n".join(paras)


def long_text(chars: int, seed: int = 0) -> str:
    """A title, EARLY, `chars` characters of filler, then LATE: one item of a hostile feed."""
    return f"Dépêche {seed}\n\n{EARLY}\n\n{filler(chars, seed)}\n\n{LATE}"


class SizeRecorder:
    """A spaCy component that notes how many characters each batch of the model holds."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __call__(self, doc: Doc) -> Doc:
        self.batches.append([len(doc.text)])
        return doc

    def pipe(self, docs: Any, batch_size: int = 1000) -> Iterator[Doc]:
        group = list(docs)  # one call per nlp.pipe: the batch the model was given
        self.batches.append([len(d.text) for d in group])
        yield from group


@Language.factory("veille_test_sizes")
def _make_recorder(nlp: Language, name: str) -> SizeRecorder:
    return SizeRecorder()


@contextmanager
def recording(extractor: Any) -> Iterator[SizeRecorder]:
    """The sizes of what the extractor's model parses within the block."""
    recorder = extractor.nlp.add_pipe("veille_test_sizes", last=True)
    try:
        yield recorder
    finally:
        extractor.nlp.remove_pipe("veille_test_sizes")
