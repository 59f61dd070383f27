"""`Toutes les parties`, `les deux camps`, `appeler à la retenue`: the sides the text names.

A call on "both sides" or "all parties" names no actor itself; the annotators' rule is that
its targets are the parties the text names: the two sides of `entre la Serbie et le Kosovo`,
of `la Russie et l'Ukraine s'accusent`, in the sentence, else in the title or the sentences
just before. A call for restraint or a ceasefire with no addressee is put to the same sides.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from .context import DocContext
from .pipeline import lemma

# plural nouns that stand for the sides of a conflict when counted or quantified
PARTY_NOUNS = {
    "partie",
    "camp",
    "pays",
    "belligérant",
    "protagoniste",
    "dirigeant",
    "adversaire",
    "voisin",
    "capitale",
    "gouvernement",
    "président",
}
# what is asked of both sides of a conflict
CALMING = {
    "retenue",
    "désescalade",
    "calme",
    "apaisement",
    "cessez-le-feu",
    "trêve",
    "dialogue",
    "négociation",
    "modération",
}
WINDOW = 3  # sentences before the cue's to look back for the sides


def sides_noun(tok: Token) -> bool:
    """`toutes les parties`, `les deux camps`, `les dirigeants des deux pays`."""
    for t in (tok, *[c for c in tok.children if c.dep_ == "nmod"]):
        if lemma(t).lower() not in PARTY_NOUNS:
            continue
        quant = {c.lower_ for c in t.children if c.dep_ in {"det", "nummod", "amod"}}
        if quant & {"deux", "toutes", "tous"} or ("les" in quant and lemma(t).lower() == "partie"):
            return True
    return False


def calming(cue: Token) -> bool:
    """The demand asks for restraint, a ceasefire, talks: something both sides must do."""
    for c in cue.children:
        if c.dep_ in {"obj", "obl:arg", "obl", "obl:mod"} and c.i > cue.i:
            for t in (c, *[g for g in c.children if g.dep_ == "nmod"]):
                if lemma(t).lower() in CALMING:
                    return True
    return False


def sides(ctx: DocContext, sent: Span, exclude: set[str | None], wide: bool = True) -> list[str]:
    """The two (or more) sides the text names nearest the sentence: its own coordination of
    actors first, then (`wide`) the title's and the few sentences' before it."""
    found = _coordinated(ctx, sent, exclude)
    if found or not wide:
        return found
    sents = list(ctx.doc.sents) if ctx.doc.has_annotation("SENT_START") else []
    here = next((n for n, s in enumerate(sents) if s.start == sent.start), None)
    if here is None:
        return []
    nearby = [
        *reversed(sents[max(0, here - WINDOW) : here]),
        *sents[:1],
        *sents[here + 1 : here + 2],
    ]
    for s in nearby:
        found = _coordinated(ctx, s, exclude)
        if found:
            return found
    return []


def _coordinated(ctx: DocContext, sent: Span, exclude: set[str | None]) -> list[str]:
    """Actors coordinated with each other in `sent` (`X et Y`, `entre X et Y`)."""
    for t in sent:
        m = ctx.at.get(t.i)
        if m is None or m.actor is None or t.i != m.start:
            continue
        root = ctx.doc[m.start : m.end].root
        group = [m.actor]
        for c in root.conjuncts:
            cm = ctx.at.get(c.i)
            if cm is not None and cm.actor and cm.actor not in group:
                group.append(cm.actor)
        group = [a for a in group if a not in exclude]
        if len(group) >= 2:
            return group
    return []
