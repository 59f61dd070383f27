"""Long French texts for the memory-bound tests: statements at both ends, filler between.

The filler names no actor and uses no reporting verb, so the extractor's pre-filter skips its
parts and only the parts with statements are parsed; every sentence carries a number of its
own, so two texts never look like rewrites of one dispatch (scheduler.dedupe).
"""

from __future__ import annotations

import random

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
