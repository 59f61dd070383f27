"""Background detection: pluperfect, `après avoir`, and earlier times than the publication date."""

from __future__ import annotations

import re
from datetime import date, timedelta

from spacy.tokens import Span, Token

from .pipeline import lemma

MONTHS = {
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
}
EARLIER = re.compile(
    r"\b(?:la semaine (?:dernière|passée)|le mois (?:dernier|passé)|l'(?:an|année) (?:dernier|"
    r"dernière|passée)|récemment|auparavant|naguère|précédemment|pour rappel|"
    r"il y a (?:\w+ )?(?:jours|semaines|mois|ans|années|an)|en 19\d\d|en 20[01]\d)\b",
    re.IGNORECASE,
)
DATE_RE = re.compile(
    r"\b(?:(?:le|du|au) )?(\d{1,2}|1er)?\s*(" + "|".join(MONTHS) + r")(?:\s+(\d{4}))?\b",
    re.IGNORECASE,
)
ADV_EARLIER = {"déjà", "récemment", "auparavant", "précédemment", "naguère"}


def is_pluperfect(cue: Token) -> bool:
    """`avait dit`, `s'était dit`, `avaient annoncé`, or an imperfect reporting verb."""
    for c in cue.children:
        if (
            c.dep_.startswith("aux")
            and lemma(c) in {"avoir", "être"}
            and "Imp" in c.morph.get("Tense", [])
            and "Ind" in c.morph.get("Mood", [])
        ):
            return True
    compound = any(c.dep_.startswith("aux") for c in cue.children)
    if (
        not compound
        and cue.lower_.endswith(("ait", "aient", "ais"))
        and "Imp" in cue.morph.get("Tense", [])
    ):
        return True
    return False


def after_having(cue: Token) -> bool:
    """`après avoir averti`: the act precedes the news."""
    aux = [c for c in cue.children if c.dep_.startswith("aux") and c.lower_ in {"avoir", "être"}]
    marks = [c for c in cue.children if c.dep_ in {"mark", "case"} and c.lower_ == "après"]
    return bool(aux and marks)


def _cue_window(cue: Token, sent: Span) -> str:
    """The cue's own modifiers (time adverbials), not the reported content."""
    parts = []
    for c in cue.children:
        if c.dep_ in {"obl:mod", "advmod", "obl", "nmod"} or c.dep_.startswith("obl"):
            parts.append("".join(t.text_with_ws for t in c.subtree))
    # sentence-initial framing (`Début avril, ...`, `Pour rappel, ...`)
    head = sent[: min(6, len(sent))]
    parts.append(head.text)
    return " ".join(parts)


def earlier_than(text: str, published: date | None) -> bool:
    """A date in `text` at least a week before `published`."""
    if published is None:
        return False
    for m in DATE_RE.finditer(text):
        day = 1 if not m.group(1) or m.group(1) == "1er" else int(m.group(1))
        month = MONTHS[m.group(2).lower()]
        year = int(m.group(3)) if m.group(3) else published.year
        try:
            d = date(year, month, min(day, 28))
        except ValueError:
            continue
        if not m.group(3) and d > published + timedelta(days=31):
            d = date(year - 1, month, min(day, 28))
        if d <= published - timedelta(days=7):
            return True
    return False


def is_background(cue: Token, sent: Span, published: date | None) -> bool:
    """Whether the act is reported as earlier context rather than news of the moment."""
    if is_pluperfect(cue) or after_having(cue):
        return True
    if any(c.lower_ in ADV_EARLIER and c.dep_ == "advmod" for c in cue.children):
        return True
    window = _cue_window(cue, sent)
    if EARLIER.search(window):
        return True
    return earlier_than(window, published)
