"""Cheap regex prefilter: skip texts with no reporting cue and no quotation worth parsing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
    "enjoindre": "enjoint enjoints enjoignent enjoignait enjoignaient enjoindra enjoindrait "
    "enjoignant enjoindre",
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
    "dementir": "dement dementent dementi dementie dementis dementies dementait dementaient "
    "dementant dementira dementiront dementirait dementir",
}
EXTRA = (
    "selon",
    "d'apres",
    "aux yeux",
    "a ses yeux",
    "il faut",
    "faut qu",
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

# words, punctuation marks and line breaks of the lowercased text
TOKENS = re.compile(r"\w+'|\w+|[^\w\s]|\n")
SENT_BREAK = frozenset(".!?\n")
# written before a noun, never before a verb (`la`, `les`, `l'`, `leur` may be object pronouns)
DETERMINERS = frozenset(
    [
        "un",
        "une",
        "cette",
        "cet",
        "ces",
        "son",
        "sa",
        "ses",
        "leurs",
        "notre",
        "nos",
        "votre",
        "vos",
        "du",
        "des",
        "au",
        "aux",
        "chaque",
    ]
)
# auxiliaries of an active compound tense (`a accusé`, `avait appelé`; `à` is a preposition)
AVOIR = frozenset(
    [
        "a",
        "ont",
        "avait",
        "avaient",
        "aurait",
        "auraient",
        "aura",
        "auront",
        "avoir",
        "ayant",
        "ai",
        "avons",
        "avez",
        "eu",
    ]
)
REFLEXIVE = frozenset(("se", "s'"))
ARTICLES = frozenset(("le", "la", "les", "l'"))
# before `la`, `les`, `l'` + a finite verb form: the article of a noun (`après l'annonce de`)
PREPOSITIONS = frozenset(
    (
        "de",
        "d'",
        "à",
        "a",
        "après",
        "avant",
        "par",
        "pour",
        "sur",
        "contre",
        "avec",
        "dans",
        "sans",
        "malgré",
        "selon",
        "vers",
        "depuis",
        "face",
        "entre",
        "sous",
        "en",
    )
)
AFTER_NOUN = frozenset(("de", "du", "des", "d'"))  # `la demande de Kiev`, `l'appel d'Ankara`
TO = frozenset(("à", "au", "aux"))
PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées")
SPEECH_MARKS = frozenset(("que", ":", "«", '"', "“"))
AFTER_QUOTE = frozenset(("»", '"', "”", ","))


WORD = re.compile(r"[\w’'-]+")
QUOTE_MARKS = frozenset(("«", "»", '"', "“", "”"))
INF_MARKS = frozenset(("de", "d'", "à", "a"))
# frequent words in -er, -ir, -re, -oir that are no infinitive
_NOT_INFINITIVES = (
    "premier dernier hier cher fier entier quartier dossier papier janvier fevrier metier "
    "danger etranger leger hiver cancer mer fer soir noir avenir desir plaisir loisir "
    "guerre contre notre votre autre entre libre ordre nombre centre titre lettre membre "
    "pire histoire victoire memoire territoire frontiere miroir espoir"
)
NOT_INFINITIVES = frozenset(_NOT_INFINITIVES.split())


def _infinitive(w: str) -> bool:
    """A word that reads as an infinitive (`continuer`, `avoir`, `abandonner`)."""
    if w in {"avoir", "etre", "faire", "dire", "pouvoir", "vouloir", "devoir", "savoir"}:
        return True
    return len(w) > 4 and w.endswith(("er", "ir", "re", "oir")) and w not in NOT_INFINITIVES


def _name_before_colon(title: str) -> bool:
    """`Valérie Pécresse : « … »`: two capitalised words right before a colon, a name the
    knowledge base may not hold (`Guerre en Ukraine :` has a lowercase word there)."""
    for m in re.finditer(":", title):
        words = WORD.findall(title[: m.start()])[-2:]
        if len(words) == 2 and all(w[:1].isupper() for w in words):
            return True
    return False


# where the characters that fold to a Latin letter, a space or an apostrophe live: Latin
# (with its extensions), general punctuation (typographic spaces, `’`) and full-width forms
FOLDING_RANGES = (
    (0, 0x250),
    (0x1E00, 0x1F00),
    (0x2000, 0x2070),
    (0x3000, 0x3001),
    (0xFF00, 0xFF5F),
)


def _variants() -> dict[str, str]:
    """Each folded character with the lowercase characters that fold to it (`e`: `eéèêë…`)."""
    out: dict[str, set[str]] = {}
    for cp in (cp for lo, hi in FOLDING_RANGES for cp in range(lo, hi)):
        c = chr(cp)
        if len(c.lower()) != 1 or c.isupper():
            continue
        decomposed = unicodedata.normalize("NFKD", c.replace("’", "'").replace("\xa0", " "))
        base = "".join(d for d in decomposed if not unicodedata.combining(d)).lower()
        if len(base) == 1 and (base.isascii() and (base.isalnum() or base in " '-")):
            out.setdefault(base, {base}).add(c)
    return {k: "".join(sorted(v)) for k, v in out.items()}


_VARIANTS: dict[str, str] = {}


def _unfolded(phrase: str) -> str:
    """A pattern matching, in lowercase text, what `fold` turns into `phrase`: the search
    then runs on `text.lower()` instead of folding every text whole."""
    if not _VARIANTS:
        _VARIANTS.update(_variants())
    return "".join(
        "[" + re.escape(_VARIANTS[c]) + "]" if len(_VARIANTS.get(c, "")) > 1 else re.escape(c)
        for c in phrase
    )


def _is_participle(raw: str) -> bool:
    return raw.endswith(PARTICIPLE_ENDINGS)


class Prefilter:
    """Decides, without parsing, whether a text may hold a statement.

    It mirrors conditions the extractor itself needs before it reports a statement
    (see cues.py and attribution.py), on words rather than on a parse:

    * a speech-act noun (`menace`, `demande`) is a cue only with its author: `de X`,
      or `par X` after a participle (`une demande de Kiev`, `la menace brandie par X`);
    * a lexicon verb form right after a determiner (`une demande`, `son annonce`) is a noun;
    * a past participle (`accusé`, `condamnées`) speaks only in an active compound tense
      (`a accusé`, `s'est opposé`) or with its agent (`accusé par X`); a weak verb's
      participle needs the compound tense;
    * `appeler` is a demand only as `appeler à` (`appelé à`, `appellent au`);
    * a weak verb (`estimer`, `rappeler`) counts next to `que`, a colon or a quotation.
    """

    def __init__(self, lex: Lexicon, names: Iterable[str] | None = None) -> None:
        # names the actor knowledge base recognises (folded, as word sequences); None: unknown
        self._names: set[str] | None = None
        self._name_len = 0
        if names is not None:
            self._names = {" ".join(fold(w) for w in TOKENS.findall(n.lower())) for n in names}
            self._name_len = max((n.count(" ") + 1 for n in self._names), default=0)
        strong: set[str] = set()
        weak: set[str] = set()
        for lemma in set(lex.verbs) | set(lex.reflexive_verbs):
            (weak if lex.is_weak(lemma) or lex.is_weak("se_" + lemma) else strong).update(
                conjugations(lemma)
            )
        strong |= {fold(form) for form in lex.misread}  # taken as verbs whatever their tag
        self._appeler = conjugations("appeler")
        # locutions: the verb, up to three words, then the locution's last word (`fait état`,
        # `tend la main`): the last word alone (`état`, `main`) is far too common
        self._locutions: dict[str, set[str]] = {}
        for locs in lex.locutions.values():
            for loc in locs:
                for form in conjugations(loc.head):
                    self._locutions.setdefault(form, set()).add(fold(loc.rest[-1]))
        self._nouns: set[str] = set()
        # `un discours`, `un communiqué` carry no act without a cue verb, unless what was said
        # follows (`la déclaration de X selon laquelle …`) or a participle gives the author
        self._said_nouns: set[str] = set()
        for noun, type_ in lex.nouns.items():
            n = fold(noun)
            (self._said_nouns if type_ == "statement" else self._nouns).update({n, n + "s"})
        single = {w for w in EXTRA if re.fullmatch(r"\w+", w)}
        self._words = single
        self._verbs = strong - weak
        self._weak = weak
        # multiword entries (`d'après`, `il faut`, `fin de non-recevoir`) and multiword nouns
        phrases = {w for w in EXTRA if w not in single} | {n for n in self._nouns if " " in n}
        self._phrases = re.compile(
            r"(?<!\w)(?:"
            + "|".join(_unfolded(w) for w in sorted(phrases, key=len, reverse=True))
            + r")(?!\w)"
        )

    def has_cue(self, text: str) -> bool:
        """A lexicon cue in a use the extractor can report (see the class docstring)."""
        return self.first_cue(text) is not None

    def first_cue(self, text: str) -> str | None:
        """The first word (folded) that makes `has_cue` true, if any."""
        m = self._phrases.search(text.lower())
        if m:
            return fold(m.group(0))
        raws = TOKENS.findall(text.lower().replace("’", "'"))
        toks = [fold(r) for r in raws]
        n = len(toks)
        for i, w in enumerate(toks):
            if w in self._words:
                return w
            if w in self._nouns and self._authored(toks, i):
                return w
            if w in self._said_nouns and (self._agent_after(toks, i) or self._says(toks, i)):
                return w
            verb = w in self._verbs
            if not verb and w not in self._weak:
                if w in self._locutions and self._locution(toks, i):
                    return w
                continue
            if self._noun_position(toks, i) and not raws[i].endswith(("er", "ir", "re")):
                continue  # a noun: `une demande`, `après l'annonce`
            if w in self._locutions and self._locution(toks, i):
                return w
            raw = raws[i]
            if (
                _is_participle(raw)
                and not self._compound(raws, i)
                and not (verb and self._agent_after(toks, i))
            ):
                continue  # `accusé de …`, `les pays reconnus`: no speaker in sight
            if w in self._appeler and not any(t in TO for t in raws[i + 1 : i + 10]):
                continue  # `appeler` speaks only as `appeler à`
            if verb or self._speech_near(toks, i, n):
                return w
        return None

    @staticmethod
    def _authored(toks: list[str], i: int) -> bool:
        """`la demande de Kiev`, `les menaces répétées de Moscou`, `l'appel lancé par X`."""
        return any(t in AFTER_NOUN for t in toks[i + 1 : i + 7]) or Prefilter._agent_after(toks, i)

    @staticmethod
    def _noun_position(toks: list[str], i: int) -> bool:
        """Right after a determiner, or after an article that follows a preposition or
        starts the sentence (an object pronoun there would precede an infinitive)."""
        prev = toks[i - 1] if i > 0 else ""
        if prev in DETERMINERS:
            return True
        if prev not in ARTICLES:
            return False
        before = toks[i - 2] if i > 1 else "\n"
        return before in SENT_BREAK or before in PREPOSITIONS

    @staticmethod
    def _agent_after(toks: list[str], i: int) -> bool:
        """`par` later in the same sentence."""
        for t in toks[i + 1 :]:
            if t == "par":
                return True
            if t in SENT_BREAK:
                return False
        return False

    @staticmethod
    def _compound(raws: list[str], i: int) -> bool:
        """An auxiliary `avoir` or a reflexive pronoun shortly before: `a accusé`, `s'est dit`."""
        before = raws[max(0, i - 6) : i]  # `a-t-il déclaré` is six tokens
        return any(t in AVOIR or t in REFLEXIVE for t in before)

    def _locution(self, toks: list[str], i: int) -> bool:
        words = [t for t in toks[i + 1 : i + 9] if t.isalnum()][:4]
        last = self._locutions[toks[i]]
        # the extractor compares lemmas: `des précisions` ends `donner … précision` too
        return any(t in last or (t.endswith(("s", "x")) and t[:-1] in last) for t in words)

    @staticmethod
    def _says(toks: list[str], i: int) -> bool:
        """What was said follows a speech noun: `selon laquelle`, a colon or a quotation."""
        near = toks[i + 1 : i + 9]
        if any(t in {"laquelle", "lesquelles", "lequel", "lesquels"} for t in near[:6]):
            return "selon" in near
        return any(t in {":", "«", '"', "“"} for t in near)

    @staticmethod
    def _speech_near(toks: list[str], i: int, n: int) -> bool:
        """A weak verb governing a clause, an infinitive or a quotation (`estime que`,
        `assume de continuer`, `disent avoir`, `a-t-il rappelé`), or in a sentence that
        quotes (as the extractor's `has_complement`)."""
        words = 0
        for k, t in enumerate(toks[i + 1 : n], start=i + 1):
            if t in SPEECH_MARKS or t == "qu'":
                return True
            if t in SENT_BREAK:
                break
            if words < 2 and _infinitive(toks[k + 1] if t in INF_MARKS and k + 1 < n else t):
                return True
            if t.isalnum():
                words += 1
                if words > 7:
                    break
        words = 0
        for t in reversed(toks[max(0, i - 8) : i]):
            if t in AFTER_QUOTE:
                return True
            if t.isalnum():
                words += 1
                if words > 2:
                    break
        for span in (reversed(toks[:i]), toks[i + 1 : n]):
            for t in span:
                if t in SENT_BREAK:
                    break
                if t in QUOTE_MARKS:
                    return True
        return False

    def keep(self, text: str) -> bool:
        """True when the text has a cue, or a quotation framed by a colon (`X : « … »`) where
        the extractor can find its speaker: a title line naming a known actor or person."""
        if self.has_cue(text):
            return True
        spans = find_quotes(text).spans
        if not spans:
            return False
        # `Pour le parti X, l'Espagne « … »`: an opinion framed by `pour X,`
        if FOR_X.search(text.lower().replace("’", "'")) is not None:
            return True
        title_end = text.find("\n") if self._names is not None else len(text)
        if title_end == -1:
            return False  # no title line of its own (see titles.title_span)
        framed = [
            (s, e)
            for s, e in spans
            if s < title_end and (":" in text[max(0, s - 3) : s] or ":" in text[e : e + 3])
        ]
        return bool(framed) and (
            self._names is None
            or self._names_in(text[:title_end], framed)
            or _name_before_colon(text[:title_end])
        )

    def _names_in(self, title: str, spans: list[tuple[int, int]]) -> bool:
        """Whether the title, outside its quotations, names a known actor or person."""
        assert self._names is not None
        outside, last = [], 0
        for s, e in spans:
            outside.append(title[last:s])
            last = e
        outside.append(title[last:])
        toks = [fold(t) for t in TOKENS.findall(" | ".join(outside).lower().replace("’", "'"))]
        for i in range(len(toks)):
            for n in range(1, self._name_len + 1):
                if " ".join(toks[i : i + n]) in self._names:
                    return True
        return False
