"""What a neutral cue reports: `déclarer`, `estimer`, `selon` carry demands, warnings, offers.

`X a déclaré que la Russie devait retirer ses troupes` demands; `« Si elle attaque, elle en
paiera le prix »` warns; `Poutine se dit ouvert au dialogue` offers. The act is read from the
reported content: obligations (`devoir` with an agent, `il faut`, `il est temps de`,
imperatives), conditions put to someone (`ne … que si`, `tant que … ne`), consequences and
costs (`si …` + future, the lexicon's `[modality] warning` phrases), refusals and offers.
The phrases are data (lexicon.toml `[modality]`); the grammar is here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.tokens import Token

from .lexicon import Lexicon
from .pipeline import lemma

READY = {"prêt", "disposé", "décidé", "résolu"}
FIRST_PERSON = {"je", "j'", "j’", "nous", "on"}
# what `prêt à …` is ready for when it threatens rather than offers
FORCE_VERBS = {
    "intervenir",
    "frapper",
    "utiliser",
    "recourir",
    "riposter",
    "répondre",
    "employer",
    "user",
    "défendre",
    "détruire",
    "attaquer",
    "combattre",
    "envahir",
    "bombarder",
    "tirer",
    "agir",
}
# what a speaker promises in the first person future when it offers (`nous aiderons`)
HELP_VERBS = {"aider", "soutenir", "fournir", "livrer", "accueillir", "offrir", "financer"}
# first person future threats (`nous riposterons`)
THREAT_VERBS = FORCE_VERBS - {"défendre", "agir", "répondre", "utiliser", "employer", "user"}
AGENT_NOUNS = {
    "président",
    "gouvernement",
    "pays",
    "dirigeant",
    "état",
    "etat",
    "autorité",
    "autorités",
    "ministre",
    "allié",
    "alliés",
    "occidentaux",
    "européens",
    "régime",
    "armée",
    "communauté",
    "partie",
    "parties",
    "union",
    "alliance",
}
FUTURE_ENDINGS = ("rai", "ras", "rons", "rez", "ront", "rait", "raient")


def _text(content: Iterable[Token]) -> str:
    """The content as written, lowercased with one kind of apostrophe and single spaces."""
    toks = sorted(content, key=lambda t: t.i)
    raw = "".join(t.text_with_ws for t in toks).lower().replace("’", "'")
    return " " + " ".join(raw.split()) + " "


def _agent(subj: Token) -> bool:
    """`le président russe devrait …` obliges someone; `la consommation devrait …` forecasts."""
    if subj.pos_ == "PROPN":
        return True
    if subj.pos_ == "PRON":
        return subj.lower_ in {"il", "elle", "ils", "elles", "vous", "tu", "nous", "on"}
    return lemma(subj).lower() in AGENT_NOUNS


def _subjects(t: Token) -> list[Token]:
    subj = [c for c in t.children if c.dep_ in {"nsubj", "expl:subj"}]
    if not subj and t.dep_ in {"xcomp", "conj"} and t.head.i != t.i:
        subj = [c for c in t.head.children if c.dep_ == "nsubj"]
    return subj


def _future(t: Token) -> bool:
    return (
        "Fut" in t.morph.get("Tense", [])
        or "Cnd" in t.morph.get("Mood", [])
        or (len(t) > 5 and t.lower_.endswith(FUTURE_ENDINGS))
    )


def _first_person(t: Token) -> bool:
    return any(s.lower_ in FIRST_PERSON for s in _subjects(t))


def obligation(content: list[Token]) -> bool:
    """`il faut …`, `la Russie doit …`, `nous devons …`: someone must act."""
    for t in content:
        lem = lemma(t)
        if lem == "falloir" and t.pos_ in {"VERB", "AUX"} and not _as_long_as(t):
            return True
        if (
            lem == "devoir"
            and t.pos_ in {"VERB", "AUX"}
            and any(c.dep_ == "xcomp" for c in t.children)
            and any(_agent(s) for s in _subjects(t))
            and not _foreseen(t)
        ):
            return True
    return False


def binds_us(content: list[Token]) -> bool:
    """`nous devons …`, `il nous faut …`: an obligation the speaker puts on its own side."""
    for t in content:
        lem = lemma(t)
        if (
            lem == "devoir"
            and t.pos_ in {"VERB", "AUX"}
            and any(s.lower_ == "nous" for s in _subjects(t))
        ):
            return any(c.dep_ == "xcomp" for c in t.children) and not _foreseen(t)
        if lem == "falloir" and any(c.lower_ == "nous" and c.dep_ == "iobj" for c in t.children):
            return True
    return False


def _as_long_as(t: Token) -> bool:
    """`aussi longtemps qu'il le faudra`, `s'il le faut`: a measure, not an obligation
    (but `il a dit qu'il fallait que …` reports one)."""
    doc = t.doc
    nxt = doc[t.i + 1] if t.i + 1 < len(doc) else None
    if nxt is not None and (nxt.lower_ in {"que", "qu'", "qu’"} or nxt.pos_ in {"VERB", "AUX"}):
        return False
    before = [x.lower_ for x in doc[max(0, t.i - 3) : t.i]]
    return any(w in {"qu'il", "qu’il", "s'il", "s’il"} for w in before) or (
        "il" in before and any(w in {"qu'", "qu’", "s'", "s’"} for w in before)
    )


def _foreseen(t: Token) -> bool:
    """`nous allons devoir affronter une crise`: a forecast of what must be borne."""
    return (
        t.dep_ == "xcomp"
        and lemma(t.head) == "aller"
        or any(c.dep_.startswith("aux") and lemma(c) == "aller" for c in t.children)
    )


def imperative(content: list[Token]) -> bool:
    """`« Retirez vos troupes ! »`: a verb in the imperative with no subject of its own."""
    for t in content:
        if (
            t.pos_ == "VERB"
            and "Imp" in t.morph.get("Mood", [])
            and t.morph.get("Person", []) in (["2"], ["1"])
            and not _subjects(t)
            and t.lower_.endswith(("ez", "ons", "e", "s"))
        ):
            return True
    return False


def _ready(content: list[Token]) -> str | None:
    """`prêt à dialoguer` offers; `prête à intervenir` threatens."""
    for i, t in enumerate(content[:-1]):
        if lemma(t) not in READY or content[i + 1].lower_ not in {"à", "au", "aux"}:
            continue
        nxt = next((x for x in content[i + 1 : i + 4] if x.pos_ == "VERB"), None)
        if nxt is not None and lemma(nxt) in FORCE_VERBS:
            return "warning"
        return "offer"
    return None


# `serait possible si …` states a possibility, not a consequence for anyone
MERELY_POSSIBLE = {"possible", "envisageable", "faisable", "réalisable", "utile", "souhaitable"}


def _conditional_consequence(content: list[Token]) -> bool:
    """`si elle attaque, elle devra …`: a condition and a consequence in the future."""
    has_si = any(t.lower_ in {"si", "s'", "s’"} and t.pos_ == "SCONJ" for t in content)
    return has_si and any(
        _future(t) and lemma(t.head).lower() not in MERELY_POSSIBLE
        for t in content
        if t.pos_ in {"VERB", "AUX"}
    )


def _future_lemmas(t: Token) -> set[str]:
    """`riposterons` (tagged an adjective): the infinitives its future ending may come from."""
    low = t.lower_
    for end in sorted(FUTURE_ENDINGS, key=len, reverse=True):
        if low.endswith(end) and len(low) > len(end) + 2:
            base = low[: -len(end)]
            return {base + "r", base + "re", base + "ir"}
    return set()


def _promised(content: list[Token]) -> str | None:
    """`nous aiderons l'Ukraine` offers; `nous riposterons` threatens."""
    for t in content:
        if t.pos_ == "VERB":
            if not _future(t) or not _first_person(t):
                continue
            lems = {lemma(t)}
        elif t.pos_ in {"ADJ", "NOUN"} and t.i > 0 and t.doc[t.i - 1].lower_ in FIRST_PERSON:
            lems = _future_lemmas(t)  # a future the tagger misread, right after `nous`
        else:
            continue
        if lems & THREAT_VERBS:
            return "warning"
        if lems & HELP_VERBS:
            return "offer"
    return None


def _consequences(content: list[Token]) -> bool:
    """`les conséquences seront terribles pour Moscou`: consequences foretold to someone."""
    for t in content:
        if lemma(t).lower() != "conséquence" or t.pos_ != "NOUN":
            continue
        after = list(t.doc[t.i + 1 : min(t.i + 8, len(t.doc))])
        pour = next((k for k, x in enumerate(after) if x.lower_ == "pour"), None)
        if pour is not None and any(x.pos_ == "PROPN" for x in after[pour + 1 : pour + 4]):
            return True  # `des conséquences … pour Moscou`
        if t.dep_ == "obj" and t.head.pos_ in {"VERB", "AUX"} and _future(t.head):
            return True  # `aurait des conséquences`, `entraînera des conséquences`
        if t.dep_ == "nsubj":
            # `les conséquences seront terribles`: the consequences are the subject, foretold
            head = t.head
            verbs = [head, *[c for c in head.children if c.dep_ in {"cop", "aux", "aux:tense"}]]
            if any(_future(v) for v in verbs if v.pos_ in {"VERB", "AUX"}):
                return True
    return False


def content_act(content: list[Token], lex: Lexicon) -> str | None:
    """The act a neutral cue reports, from what it says; None for a plain statement."""
    if not content:
        return None
    text = _text(content)
    ready = _ready(content)
    if ready:
        return ready
    pats = lex.modality_patterns()
    if pats["condition"].search(text):
        return "demand"
    if _conditional_consequence(content) or pats["warning"].search(text) or _consequences(content):
        return "warning"
    if pats["rejection"].search(text):
        return "rejection"
    if pats["accusation"].search(text):
        return "accusation"
    if obligation(content) or pats["demand"].search(text) or imperative(content):
        return "demand"
    if pats["offer"].search(text):
        return "offer"
    return _promised(content)


def compile_phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """One regex for a phrase list, matched on word boundaries (`…` stands for a few words)."""
    alts = []
    for p in sorted({p.lower().replace("’", "'") for p in phrases}, key=len, reverse=True):
        parts = [x.strip() for x in p.split("…")]
        alt = re.escape(parts[0])
        for prev, part in zip(parts, parts[1:], strict=False):
            # `n'… que si` reads `n'est possible que si`: an elided word runs on
            gap = r"\S*(?:\s\S+){0,4}?\s" if prev.endswith("'") else r"(?:\s\S+){0,4}?\s"
            alt += gap + re.escape(part)
        # an elided ending (`faut qu'`, `nécessité d'`) runs into the next word
        alts.append(alt if p.endswith("'") else alt + r"(?![\w-])")
    if not alts:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")")
