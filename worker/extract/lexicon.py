"""Reporting-verb lexicon: loads the TOML data files and matches cue tokens in a parse."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spacy.tokens import Token

from .pipeline import lemma as lemma_of

TYPES = ("warning", "demand", "rejection", "accusation", "offer", "denial", "statement")
MODALITY_KINDS = ("warning", "demand", "condition", "rejection", "accusation", "offer")
REFLEXIVE = {"se", "s'", "s’", "me", "m'", "m’", "nous", "vous", "te", "t'", "t’"}


def nounish(tok: Token) -> bool:
    """Tagged a noun or an adjective, or a lowercase proper noun (a tagger's slip): a word
    that may be a verb the model misread."""
    return tok.pos_ in {"NOUN", "ADJ"} or (tok.pos_ == "PROPN" and tok.text.islower())


@dataclass(frozen=True)
class Locution:
    """A multiword cue: head verb lemma, then lemmas that follow it closely."""

    head: str
    rest: tuple[str, ...]
    reflexive: bool
    type: str


@dataclass
class Lexicon:
    """Everything the cue matcher needs, merged from every loaded file."""

    verbs: dict[str, str] = field(default_factory=dict)
    reflexive_verbs: dict[str, str] = field(default_factory=dict)
    locutions: dict[str, list[Locution]] = field(default_factory=dict)
    weak: set[str] = field(default_factory=set)
    nouns: dict[str, str] = field(default_factory=dict)
    relays: set[str] = field(default_factory=set)
    misread: dict[str, str] = field(default_factory=dict)
    assertions: set[str] = field(default_factory=set)
    exclude: set[str] = field(default_factory=set)
    rejection_labels: set[str] = field(default_factory=set)
    # phrases of a reported content that make a neutral cue another act (see modality.py)
    modality: dict[str, set[str]] = field(default_factory=dict)
    # verbs that a promise or a threat to do is a warning (`promet de punir`)
    promised_harm: set[str] = field(default_factory=set)
    # cue lemma -> head noun of its object -> the act it makes (`revendiquer la prise`: a
    # claim, a statement; `prévenir une escalade`: no speech, "none")
    senses: dict[str, dict[str, str]] = field(default_factory=dict)
    # cue keys of acts coordinated speakers do to each other (`échanger des accusations`)
    reciprocal: set[str] = field(default_factory=set)
    # cues whose content never changes their act (`s'interroger sur l'escalade`)
    literal: set[str] = field(default_factory=set)
    # cue forms that are adjectives unless after `en` (`un discours menaçant`)
    adjectival: set[str] = field(default_factory=set)
    _patterns: dict[str, re.Pattern[str]] | None = field(default=None, repr=False, compare=False)
    # word form -> the lexicon's -er verb it may be a misread form of (see verb_misread_as_noun)
    _er_guess: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    # (orth, POS) -> whether the word may be a cue at all (see may_cue)
    relevant: dict[tuple[int, int], bool] = field(default_factory=dict, repr=False, compare=False)

    def add_entry(self, entry: str, type_: str) -> None:
        """Register one lexicon entry (`lemma`, `se_lemma`, `s'lemma`, `head_word_word`)."""
        self._er_guess.clear()
        self.relevant.clear()
        entry = entry.strip().replace("'", "_") if entry.startswith("s'") else entry.strip()
        parts = [p for p in entry.replace(" ", "_").split("_") if p]
        reflexive = parts[0] in {"se", "s"}
        if reflexive:
            parts = parts[1:]
        if not parts:
            return
        head, rest = parts[0], tuple(parts[1:])
        if rest:
            loc = Locution(head, rest, reflexive, type_)
            self.locutions.setdefault(head, []).append(loc)
            self.locutions[head].sort(key=lambda lc: -len(lc.rest))
        elif reflexive:
            self.reflexive_verbs[head] = type_
        else:
            self.verbs[head] = type_

    def load(self, data: dict) -> None:
        """Merge one parsed TOML document."""
        self.relevant.clear()
        for table in ("strong",):
            for type_, entries in data.get(table, {}).items():
                if type_ not in TYPES:
                    raise ValueError(f"unknown statement type in lexicon: {type_!r}")
                for e in entries:
                    self.add_entry(e, type_)
        self.weak.update(_norm(x) for x in data.get("weak", {}).get("lemmas", []))
        for type_, entries in data.get("nouns", {}).items():
            for e in entries:
                self.nouns[e.lower()] = type_
        self.relays.update(data.get("relays", {}).get("lemmas", []))
        self.assertions.update(_norm(x) for x in data.get("assertions", {}).get("lemmas", []))
        self.misread.update({k.lower(): _norm(v) for k, v in data.get("misread", {}).items()})
        self.exclude.update(_norm(x) for x in data.get("exclude", {}).get("lemmas", []))
        labels = data.get("labels", {})
        self.rejection_labels.update(labels.get("rejection", []))
        for kind, phrases in data.get("modality", {}).items():
            if kind not in MODALITY_KINDS:
                raise ValueError(f"unknown [modality] list in lexicon: {kind!r}")
            self.modality.setdefault(kind, set()).update(p.lower() for p in phrases)
        self._patterns = None
        self.promised_harm.update(_norm(x) for x in data.get("promised_harm", {}).get("lemmas", []))
        self.reciprocal.update(data.get("reciprocal", {}).get("cues", []))
        self.adjectival.update(x.lower() for x in data.get("adjectival", {}).get("forms", []))
        self.literal.update(
            ("se_" + x[2:] if x.startswith(("s'", "s’")) else x).replace(" ", "_")
            for x in data.get("literal", {}).get("lemmas", [])
        )
        for cue_lemma, acts in data.get("senses", {}).items():
            for act, nouns in acts.items():
                if act not in TYPES and act != "none":
                    raise ValueError(f"unknown act in [senses.{cue_lemma}]: {act!r}")
                sense_table = self.senses.setdefault(_norm(cue_lemma), {})
                sense_table.update({n.lower(): act for n in nouns})

    def is_literal(self, key: str) -> bool:
        """A cue that reports without performing (see `[literal]`)."""
        return key.replace(" ", "_") in self.literal

    def modality_patterns(self) -> dict[str, re.Pattern[str]]:
        """The `[modality]` phrase lists compiled once, by kind."""
        if self._patterns is None:
            from .modality import compile_phrases

            self._patterns = {k: compile_phrases(self.modality.get(k, ())) for k in MODALITY_KINDS}
        return self._patterns

    def match_verb(self, tok: Token, guess: str | None = None) -> tuple[str, str, int] | None:
        """(type, cue key, index of last cue token) when `tok` heads a reporting cue."""
        lemma = guess or lemma_of(tok).lower()
        if lemma not in self.verbs and lemma not in self.locutions:
            lemma = guess_er_lemma(tok.lower_) or lemma
        if (
            lemma not in self.verbs
            and lemma not in self.locutions
            and lemma not in self.reflexive_verbs
        ):
            return None
        reflexive = any(
            c.lower_ in REFLEXIVE and c.dep_.startswith(("expl", "obj", "iobj"))
            for c in tok.children
            if c.i < tok.i
        )
        if reflexive and ("se_" + lemma) in self.exclude:
            return None
        doc = tok.doc
        for loc in self.locutions.get(lemma, ()):
            if loc.reflexive != reflexive and loc.reflexive:
                continue
            j, last = tok.i + 1, None
            for want in loc.rest:
                found = None
                for k in range(j, min(j + 4, len(doc))):
                    if lemma_of(doc[k]).lower() == want or doc[k].lower_ == want:
                        found = k
                        break
                    if doc[k].is_punct and doc[k].text not in {"«", "»", '"'}:
                        break
                if found is None:
                    last = None
                    break
                last, j = found, found + 1
            if last is not None:
                key = ("se " if loc.reflexive else "") + " ".join((lemma,) + loc.rest)
                return loc.type, key, last
        if reflexive and lemma in self.reflexive_verbs:
            return self.reflexive_verbs[lemma], "se " + lemma, tok.i
        if lemma in self.verbs:
            if reflexive and lemma in {"demander", "dire", "déclarer", "montrer"}:
                return None
            return self.verbs[lemma], lemma, tok.i
        return None

    def may_cue(self, tok: Token) -> bool:
        """Whether the word can carry a verb or noun cue in some context: what `match_verb`,
        `verb_misread_as_noun` and `noun_type` test before they look at the parse, so that
        the other words of a text are dropped before the costly tests. Callers cache it by
        (orth, POS), as `lemma` does."""
        low = tok.lower_
        if low in self.misread:
            return True
        pos = tok.pos_
        if nounish(tok) and _er_lemma(low, self.verbs) is not None:
            return True
        if pos == "NOUN" and self.noun_type(tok) is not None:
            return True
        if pos != "VERB":
            return False
        lemma = lemma_of(tok).lower()
        if lemma not in self.verbs and lemma not in self.locutions:
            lemma = guess_er_lemma(low) or lemma
        return lemma in self.verbs or lemma in self.locutions or lemma in self.reflexive_verbs

    def verb_misread_as_noun(self, tok: Token) -> str | None:
        """`et juge qu'...` tagged NOUN: the -er verb lemma when the context wants a verb."""
        low = tok.lower_
        guess = self._er_guess.get(low, "")
        if guess == "":
            guess = self._er_guess[low] = _er_lemma(low, self.verbs)
        if guess is None:  # first: the cheapest test, and it rejects nearly every noun
            return None
        if not nounish(tok) or any(c.dep_ == "det" for c in tok.children):
            return None
        if tok.text[:1].isupper() and not tok.is_sent_start:
            return None  # `l'Agence France-Presse`: a name
        if tok.pos_ == "ADJ" and not (
            tok.dep_ == "ROOT" or any(c.dep_ == "nsubj" for c in tok.children)
        ):
            return None
        doc = tok.doc
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        prev = doc[tok.i - 1] if tok.i > 0 else None
        if prev is not None and prev.pos_ in {"ADP", "DET"}:
            return None  # `conférence de presse`: a noun after all
        if prev is not None and prev.text == "," and tok.i > 1 and doc[tok.i - 2].text in '»”"':
            return guess  # `« … », juge le chercheur X`: an incise after a quotation
        if nxt is not None and nxt.lower_ in {"que", "qu'", "qu’", ":", "à", "au", "aux"}:
            return guess
        if any(c.dep_ == "ccomp" for c in tok.children):
            return guess
        if prev is not None and (prev.pos_ in {"PROPN", "PRON"} or prev.lower_ == "et"):
            return guess
        if any(c.dep_ == "nsubj" for c in tok.children) and any(
            c.dep_ == "obj" for c in tok.children
        ):
            return guess
        return None

    def is_weak(self, key: str) -> bool:
        """Weak cues need a complement clause, a quotation or an incise to count."""
        return _norm(key) in self.weak

    def noun_type(self, tok: Token) -> str | None:
        """Type of a speech-act noun (`demande`, `menace`, `mise en garde`), if it is one."""
        found = self.nouns.get(lemma_of(tok).lower()) or self.nouns.get(tok.lower_)
        if found:
            return found
        doc = tok.doc
        for noun, type_ in self.nouns.items():
            words = noun.split()
            if len(words) < 2 or words[0].rstrip("s") != tok.lower_.rstrip("s"):
                continue
            rest = doc[tok.i + 1 : tok.i + len(words)]
            if [t.lower_ for t in rest] == words[1:]:
                return type_
        return None

    def surface_stems(self) -> set[str]:
        """Word beginnings for the prefilter: verb stems, locution words, speech nouns."""
        stems: set[str] = set()
        common = {"faire", "mettre", "dire", "lancer", "poser", "tendre", "opposer", "se"}
        heads = set(self.verbs) | set(self.reflexive_verbs) | set(self.locutions)
        for lemma in heads:
            if lemma in common:
                continue
            stems.add(_stem(lemma))
        for locs in self.locutions.values():
            for loc in locs:
                stems.add(_stem(loc.rest[-1]))
        for noun in self.nouns:
            stems.add(noun.split()[0][:-1] if len(noun) > 5 else noun)
        stems.update(IRREGULAR_FORMS)
        return {s for s in stems if len(s) >= 3}


IRREGULAR_FORMS = (
    "dit",
    "dis",
    "dire",
    "disant",
    "dira",
    "disai",
    "écri",
    "écriv",
    "selon",
    "d'après",
    "aux yeux",
    "prév",
    "prêt",
    "promi",
    "promet",
    "offr",
    "offert",
    "exclu",
    "requi",
    "conclu",
    "admi",
    "admet",
    "reconnu",
    "reconnai",
    "reconnaî",
    "souti",
    "souten",
    "contredi",
    "ni",
    "nie",
    "nié",
    "vou",
    "veu",
    "voul",
    "pens",
    "croi",
    "cru",
    "répond",
    "répondu",
    "interdi",
    "fait savoir",
    "fait valoir",
    "mis en garde",
    "met en garde",
    "mettent en garde",
    "mettre en garde",
    "main tendue",
    "tend la main",
    "fin de non-recevoir",
    "il faut",
    "faut",
)


ER_ENDINGS = (
    ("aient", ""),
    ("ait", ""),
    ("ées", ""),
    ("és", ""),
    ("ée", ""),
    ("é", ""),
    ("ent", ""),
    ("es", ""),
    ("e", ""),
    ("ant", ""),
)


def _er_lemma(low: str, verbs: Container[str]) -> str | None:
    """`juge`, `jugent`, `juges` -> `juger` when that verb is in `verbs`."""
    for suffix in ("ent", "es", "e"):
        if low.endswith(suffix):
            guess = low[: -len(suffix)] + "er"
            return guess if guess in verbs else None
    return None


def guess_er_lemma(form: str) -> str | None:
    """The -er infinitive a conjugated form would come from (lemmatizer fallback)."""
    for suffix, _ in ER_ENDINGS:
        if form.endswith(suffix) and len(form) - len(suffix) >= 3:
            stem = form[: -len(suffix)]
            if suffix in {"ant", "ait", "aient"} and stem.endswith("ç"):
                stem = stem[:-1] + "c"
            if suffix in {"ant", "ait", "aient"} and stem.endswith("ge"):
                stem = stem[:-1]
            return stem + "er"
    return None


def _norm(key: str) -> str:
    return key.replace("'", "_").replace(" ", "_").replace("s__", "se_").lower()


def _stem(lemma: str) -> str:
    """Crude stem that still matches conjugated forms (`déclar` for déclarer)."""
    for suffix in ("oir", "er", "ir", "re"):
        if lemma.endswith(suffix) and len(lemma) - len(suffix) >= 4:
            stem = lemma[: -len(suffix)]
            return stem[:-1] if stem.endswith(("c", "g")) else stem
    return lemma[:-1] if len(lemma) > 4 else lemma


def default_paths() -> list[Path]:
    """The lexicon files shipped with the package."""
    base = resources.files("worker.extract") / "data"
    return [Path(str(base / "lexicon.toml"))]


def load_lexicon(paths: Iterable[str | Path] = ()) -> Lexicon:
    """Load the default lexicon, then user files in order."""
    lex = Lexicon()
    for p in [*default_paths(), *map(Path, paths)]:
        with open(p, "rb") as fh:
            lex.load(tomllib.load(fh))
    return lex
