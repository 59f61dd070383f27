"""Cheap regex prefilter: skip texts with no reporting cue and no quotation worth parsing."""

from __future__ import annotations

import re

from .actors import fold
from .lexicon import Lexicon
from .quotes import find_quotes

# Irregular verbs of the lexicon: folded forms a reporting use would show.
IRREGULAR = {
    "dire": "dit dits dite dites dis disent disait disaient dira diront dirait disant dire",
    "ecrire": "ecrit ecrits ecrite ecrivent ecrivait ecrira ecrivant ecrire",
    "prevenir": "previent previennent prevenu prevenus prevenait prevenant prevenir previent",
    "promettre": "promet promettent promis promise promettait promettant promettre",
    "reconnaitre": "reconnait reconnaissent reconnu reconnue reconnaissait reconnaissant",
    "soutenir": "soutient soutiennent soutenu soutenait soutenant soutenir",
    "admettre": "admet admettent admis admettait admettant admettre",
    "exclure": "exclut excluent exclu exclue exclus exclues excluait excluant exclure",
    "offrir": "offre offrent offert offerte offrait offrant offrir",
    "croire": "croit croient cru croyait croyant croire",
    "vouloir": "veut veulent voulu voulait voudrait voudraient",
    "repondre": "repond repondent repondu repondait repondant repondre",
    "interdire": "interdit interdisent interdisait interdire",
    "mettre_en_garde": "en garde",
    "faire_savoir": "fait savoir font savoir fait valoir font valoir",
    "contredire": "contredit contredisent",
    "conclure": "conclut concluent conclu conclure",
    "requerir": "requiert requis",
    "se_defendre": "defend defendent defendu defendait defendant",
    "decrire": "decrit decrivent decrivait decrivant",
    "prier": "prie prient prie priait",
    "faire": "fait font faisait faisaient fera feront ferait faire faisant",
    "tenir": "tient tiennent tenu tenus tenait tenant tenir",
    "mettre": "met mettent mis mise mettait mettant mettre",
}
EXTRA = (
    "selon",
    "d'apres",
    "aux yeux",
    "a ses yeux",
    "il faut",
    "faut qu",
    "la main",
    "epouvantail",
    "fin de non-recevoir",
    "se dit",
    "se disent",
    "s'est dit",
)
ER_SUFFIXES = (
    "e",
    "es",
    "ent",
    "ee",
    "ees",
    "er",
    "ant",
    "ait",
    "aient",
    "era",
    "eront",
    "erait",
    "eraient",
    "ons",
    "ez",
    "a",
    "ai",
    "erent",
)
RE_SUFFIXES = ("", "s", "ent", "u", "ue", "us", "ait", "aient", "ant", "ra", "rait", "re")
IR_SUFFIXES = (
    "it",
    "is",
    "issent",
    "i",
    "ie",
    "ies",
    "ir",
    "issant",
    "issait",
    "issaient",
    "ira",
    "iront",
    "irait",
)


def conjugations(lemma: str) -> set[str]:
    """Folded forms of a regular -er / -ir verb (accents dropped, so few spelling rules)."""
    lemma = fold(lemma)
    if lemma in IRREGULAR:
        return set(IRREGULAR[lemma].split(" ")) | {IRREGULAR[lemma]}
    if lemma.endswith("er"):
        stem = lemma[:-2]
        forms = {stem + s for s in ER_SUFFIXES}
        if stem.endswith(("el", "et")):
            forms |= {stem + stem[-1] + s for s in ("e", "es", "ent", "era", "erait")}
        if stem.endswith("c"):
            forms |= {stem[:-1] + "c" + s for s in ("ant", "ait", "aient", "ons", "a")}
        if stem.endswith("g"):
            forms |= {stem + "e" + s for s in ("ant", "ait", "aient", "ons", "a")}
        return forms
    if lemma.endswith("ir"):
        return {lemma[:-2] + s for s in IR_SUFFIXES}
    if lemma.endswith("dre"):  # prétendre, répondre, défendre
        return {lemma[:-2] + s for s in RE_SUFFIXES}
    return {lemma}


FOR_X = re.compile(r"(?:^|[.!?\n]\s*)pour\s+(?:[\w'-]+\s+){0,4}?[\w'-]+\s*,")


def _alternation(words: set[str]) -> str:
    words = {w for w in words if len(w) >= 3}
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _word_regex(words: set[str], phrases: list[str]) -> re.Pattern[str]:
    body = "|".join([*phrases, _alternation(words)])
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)")


class Prefilter:
    """Decides, without parsing, whether a text may hold a statement."""

    def __init__(self, lex: Lexicon) -> None:
        strong: set[str] = set(EXTRA)
        weak: set[str] = set()
        for lemma in set(lex.verbs) | set(lex.reflexive_verbs):
            (weak if lex.is_weak(lemma) or lex.is_weak("se_" + lemma) else strong).update(
                conjugations(lemma)
            )
        phrases: list[str] = []
        for locs in lex.locutions.values():
            for loc in locs:
                key = fold("_".join((loc.head,) + loc.rest))
                if key in IRREGULAR:
                    strong.add(IRREGULAR[key])
                    continue
                # the verb, up to three words, then the locution's last word (`fait état`,
                # `tend la main`): the last word alone (`état`, `main`) is far too common
                forms = "|".join(
                    sorted((re.escape(f) for f in conjugations(loc.head)), key=len, reverse=True)
                )
                phrases.append(rf"(?:{forms})\W+(?:\w+\W+){{0,3}}?{re.escape(fold(loc.rest[-1]))}")
        for noun, type_ in lex.nouns.items():
            if type_ == "statement":
                continue  # `un discours`, `un communiqué` carry no act without a cue verb
            n = fold(noun)
            strong |= {n, n + "s"}
        self._strong = _word_regex(strong - weak, phrases)
        weak_body = _alternation(weak)
        # a weak verb counts next to what makes it speech: `que`, a colon, a quotation
        self._weak = re.compile(
            rf"(?<!\w)(?:{weak_body})(?!\w)\W+(?:\w+\W+){{0,6}}?(?:que\b|qu'|:|«|\"|“)"
            rf"|(?:»|\"|”|,)\s*(?:\w+\W+){{0,2}}?(?:{weak_body})(?!\w)"
        )

    def has_cue(self, text: str) -> bool:
        """A strong lexicon word, or a weak one governing a clause or a quotation."""
        folded = fold(text)
        return bool(self._strong.search(folded) or self._weak.search(folded))

    def keep(self, text: str) -> bool:
        """True when the text has a cue, or a quotation framed by a colon (`X : « … »`)."""
        if self.has_cue(text):
            return True
        spans = find_quotes(text).spans
        for s, e in spans:
            if ":" in text[max(0, s - 3) : s] or ":" in text[e : e + 3]:
                return True
        # `Pour le parti X, l'Espagne « … »`: an opinion framed by `pour X,`
        return bool(spans) and FOR_X.search(fold(text)) is not None
