"""Cue detection over a parse: reporting verbs, passives, `selon X`, and speech-act nouns."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .lexicon import Lexicon
from .pipeline import lemma
from .quotes import QuoteIndex

SUBJ_DEPS = {"nsubj", "expl:subj", "nsubj:pass"}
INVERTED = {"-il", "-elle", "-ils", "-elles", "-on", "-t-il", "-t-elle", "-t-on"}
CLIMB_DEPS = {"xcomp", "advcl", "ccomp", "conj", "acl"}
SELON = {"selon", "après"}
TIME_WORDS = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "matin",
              "soir", "jour", "semaine", "mois", "année", "an", "heure", "fois", "veille",
              "lendemain", "midi", "nuit", "après-midi", "soirée", "matinée", "week-end"}
SUBJ_WORDS = {"il", "elle", "ils", "elles", "celui-ci", "celle-ci"}


@dataclass
class Cue:
    """A reporting cue found in one sentence, before its speaker is resolved."""

    tok: Token
    key: str
    type: str
    kind: str
    sent: Span
    last: int
    subjects: list[Token] = field(default_factory=list)
    pronoun: str | None = None
    agent: Token | None = None
    weak: bool = False
    host: Cue | None = None


def _demonstrative(c: Token) -> str | None:
    """`Celui-ci` / `celle-ci`, however the tokenizer split it."""
    doc = c.doc
    for t in doc[max(c.i - 2, 0): min(c.i + 2, len(doc))]:
        if t.lower_.startswith("celui") or t.lower_.startswith("ce dernier"):
            return "celui-ci"
        if t.lower_.startswith("celle"):
            return "celle-ci"
    return None


def conjuncts(t: Token) -> list[Token]:
    """Coordinated heads (`X et Y`), not appositions the parser took for conjuncts."""
    conj = [x for x in t.conjuncts if x.i > t.i]
    if conj and any(c.dep_ == "cc" and c.lower_ in {"et", "ou", "ainsi"}
                    for c in conj[-1].children):
        return conj
    return []


def sent_of(v: Token) -> Span:
    """The sentence of a token, from a per-doc table (Token.sent rescans the doc each time)."""
    table = v.doc.user_data.get("veille_sents")
    if table is None or len(table) != len(v.doc):
        table = []
        for s in v.doc.sents:
            table.extend([s] * len(s))
        v.doc.user_data["veille_sents"] = table
    return table[v.i]


CANDIDATE_WORDS = SELON | {"yeux", "pour"}


def candidates(doc: Doc) -> list[tuple[Span, list[Token]]]:
    """One pass over the doc: each sentence with the tokens that may carry a cue."""
    table: list[Span] = []
    out: list[tuple[Span, list[Token]]] = []
    propns: list[Token] = []
    for sent in doc.sents:
        table.extend([sent] * len(sent))
        toks = []
        for tok in sent:
            pos = tok.pos_
            if pos in {"VERB", "NOUN"} or tok.lower_ in CANDIDATE_WORDS or (
                    pos == "ADJ" and tok.dep_ == "ROOT"):
                toks.append(tok)
            if tok.dep_ == "flat:name":
                if tok.head.pos_ != "PROPN":
                    propns.append(tok.head)
            elif pos == "PROPN":
                propns.append(tok)
        out.append((sent, toks))
    doc.user_data["veille_sents"] = table
    doc.user_data["veille_propns"] = propns
    return out


def subject_tokens(v: Token, depth: int = 0) -> tuple[list[Token], str | None]:
    """Subject heads of `v` (conjuncts included) or a subject pronoun, climbing infinitives."""
    aux_kids = [g for a in v.children if a.dep_.startswith("aux") for g in a.children]
    for c in list(v.children) + aux_kids:
        if c.lower_ in INVERTED or (c.text.startswith("-") and c.lower_.lstrip("-t") in
                                    {"il", "elle", "ils", "elles", "on"}):
            return [], c.lower_.replace("-t-", "-")
    kids = list(v.children) + aux_kids
    before = sorted((c for c in kids if c.i < v.i), key=lambda t: -t.i)
    after = sorted((c for c in kids if c.i > v.i), key=lambda t: t.i)
    for c in before + after:
        if c.dep_ in SUBJ_DEPS and c.i < v.i or (c.dep_ == "nsubj"):
            if c.lower_ in {"celui", "celle"} and c.i + 1 < len(v.doc) \
                    and v.doc[c.i + 1].lower_ == "-ci":
                return [], c.lower_ + "-ci"
            if c.pos_ == "PRON" and c.lower_ in {"qui", "lequel", "laquelle"}:
                # relative clause: the antecedent noun is the subject
                ant = v.head if v.dep_.startswith("acl") else None
                return ([ant] if ant is not None else []), None
            if c.pos_ == "PRON":
                return [], _demonstrative(c) or c.lower_
            if v.dep_ == "conj" and v.head.pos_ in {"PROPN", "NOUN"} and v.head.i < c.i \
                    and any(t.lower_ == "et" for t in v.doc[v.head.i:c.i]):
                return [v.head, c], None  # `X et Y ont réclamé` parsed as X <- conj verb
            return [c, *conjuncts(c)], None
    if depth < 3 and v.dep_ in CLIMB_DEPS and v.head.i != v.i:
        verb_form = v.morph.get("VerbForm", [])
        gerund = "Part" in verb_form and "Pres" in v.morph.get("Tense", [])
        climbs = v.dep_ == "conj" or (("Inf" in verb_form or gerund) and not any(
            c.dep_.startswith("aux") for c in v.children))
        if climbs and not (v.dep_ == "acl" and v.head.pos_ == "NOUN"):
            return subject_tokens(v.head, depth + 1)
    return [], None


def inverted_nominal(v: Token, quotes: QuoteIndex) -> list[Token]:
    """`« ... », a déclaré la ministre X`: the nominal right after an incise verb."""
    sent = sent_of(v)
    before = v.doc[sent.start:v.i]
    incise = any(quotes.inside(t.idx) or t.text in {"»", "”", '"'} for t in before) \
        or v.dep_ in {"parataxis", "advcl", "conj"} or (v.i > sent.start and
                                                       v.doc[v.i - 1].text == ",")
    if not incise:
        return []
    for c in v.children:
        if c.i > v.i and c.dep_ in {"obj", "nsubj", "appos", "obl:mod", "obl:arg", "obl",
                                    "xcomp", "iobj", "dep", "conj"} \
                and c.pos_ in {"NOUN", "PROPN"} and lemma(c).lower() not in TIME_WORDS \
                and not any(g.dep_ == "case" for g in c.children):
            return [c, *conjuncts(c)]
    return []


def agent_of(v: Token) -> Token | None:
    """`par X` in a passive or participial clause (parses attach it loosely)."""
    for t in v.subtree:
        if t.lower_ == "par" and t.dep_ == "case" and t.head.pos_ in {"NOUN", "PROPN", "PRON"} \
                and t.head.i > v.i:
            return t.head
    return None


def is_passive(v: Token) -> bool:
    """Passive voice: `est accusé`, `a été rejetée`."""
    return any(c.dep_ in {"aux:pass", "nsubj:pass"} for c in v.children
               if not c.lower_.startswith("-"))


def has_complement(v: Token, quotes: QuoteIndex) -> bool:
    """Weak verbs need a clause, an infinitive, a colon or a quotation to be speech."""
    if any(c.dep_ in {"ccomp", "xcomp"} for c in v.children):
        return True
    doc = v.doc
    nxt = doc[v.i + 1: min(v.i + 7, sent_of(v).end)]
    if any(t.text == ":" for t in nxt[:3]) or any(t.lower_ in {"que", "qu'", "qu’"} for t in nxt):
        return True
    if any(t.lower_ in {"que", "qu'", "qu’"} and t.dep_ == "mark" and t.i > v.i
           for t in v.subtree):
        return True
    sent = sent_of(v)
    return bool(quotes.overlapping(sent.start_char, sent.end_char))


def verb_cues(sent: Span, toks: list[Token], lex: Lexicon, quotes: QuoteIndex) -> list[Cue]:
    """Reporting verbs among one sentence's candidate tokens, with their raw subjects."""
    cues: list[Cue] = []
    for tok in toks:
        if tok.pos_ not in {"VERB", "NOUN", "ADJ"}:
            continue
        if quotes.inside(tok.idx):
            continue
        guess = lex.verb_misread_as_noun(tok) if tok.pos_ in {"NOUN", "ADJ"} else None
        if tok.pos_ != "VERB" and guess is None:
            continue
        hit = lex.match_verb(tok, guess)
        if hit is None:
            continue
        type_, key, last = hit
        weak = lex.is_weak(key) or lex.is_weak(lemma(tok))
        cue = Cue(tok, key, type_, "verb", sent, last, weak=weak)
        if lemma(tok) == "appeler" and not any(
                t.lower_ in {"à", "au", "aux"} for t in tok.doc[tok.i + 1: tok.i + 8]):
            continue
        if is_passive(tok) or _acl_participle(tok):
            cue.agent = agent_of(tok) or (agent_of(tok.head) if _acl_participle(tok) else None)
            if cue.agent is None or (weak and _acl_participle(tok)):
                continue
            cue.kind = "passive" if is_passive(tok) else "acl"
            cues.append(cue)
            continue
        if weak and "Part" in tok.morph.get("VerbForm", []) and "Past" in tok.morph.get("Tense", []) \
                and not any(c.dep_.startswith("aux") for c in tok.children):
            continue  # `les pays reconnus comme …`: an adjective, not an act
        if lemma(tok) in lex.relays or tok.lower_.startswith(("rapport", "relay")):
            cue.kind = "relay"
        cue.subjects, cue.pronoun = subject_tokens(tok)
        if _incise(tok, quotes) or (tok.i > sent.start and _after_comma(tok)):
            post = inverted_nominal(tok, quotes)
            if post and (not cue.subjects or cue.subjects[0].i < tok.i):
                cue.subjects, cue.pronoun = post, None
        inverted = bool(cue.pronoun and cue.pronoun.startswith("-"))
        if not cue.subjects and cue.pronoun is None:
            cue.subjects = inverted_nominal(tok, quotes)
            inverted = bool(cue.subjects)
        if not cue.subjects and cue.pronoun is None and "Inf" not in tok.morph.get("VerbForm", []):
            cue.subjects, cue.pronoun = nearest_subject(tok, quotes)
        if weak and not (inverted or has_complement(tok, quotes) or _incise(tok, quotes)):
            continue
        if "Pres" in tok.morph.get("Tense", []) and "Part" in tok.morph.get("VerbForm", []):
            cue.kind = "participle"
        if not cue.subjects and cue.pronoun is None:
            cue.subjects = _actor_before(tok)
        cues.append(cue)
    return cues


def _actor_before(v: Token) -> list[Token]:
    """Parse repair: `… tandis que Kiev salue …` with the subject left unattached."""
    i = v.i - 1
    while i > 0 and v.doc[i].pos_ in {"ADV", "AUX", "PRON"} and v.doc[i].lower_ not in {
            "qui", "que"}:
        i -= 1
    t = v.doc[i]
    if t.pos_ == "PROPN" and t.dep_ not in {"nsubj", "obj"} and i >= sent_of(v).start:
        return [t]
    return []


def _acl_participle(v: Token) -> bool:
    """`une demande rejetée par Moscou`: a past participle modifying a noun, not a tense."""
    if v.dep_ != "acl" or "Part" not in v.morph.get("VerbForm", []) \
            or "Pres" in v.morph.get("Tense", []) or v.head.pos_ not in {"NOUN", "PROPN", "PRON"}:
        return False
    left = v.doc[max(sent_of(v).start, v.i - 5):v.i]
    return not any(lemma(t) in {"avoir", "être"} and t.pos_ in {"AUX", "VERB"} for t in left)


def nearest_subject(v: Token, quotes: QuoteIndex) -> tuple[list[Token], str | None]:
    """Parse fallback: the closest subject to the left of the cue, outside quotations."""
    coordinated = False
    for t in reversed(v.doc[sent_of(v).start:v.i]):
        if quotes.inside(t.idx) or t.text in {";", "«", "»"}:
            break
        if t.dep_ in SUBJ_DEPS:
            if t.pos_ == "PRON":
                return ([], t.lower_) if t.lower_ in SUBJ_WORDS else ([], None)
            return [t, *conjuncts(t)], None
        if t.lower_ in {"et", "puis", "mais"}:
            coordinated = True
        if t.pos_ == "VERB" and t.morph.get("VerbForm", []) == ["Fin"] and lemma(t) not in {
                "avoir", "être"} and not coordinated:
            break
    return [], None


def _after_comma(v: Token) -> bool:
    """`…, a précisé son Premier ministre X`: the cue opens an incise after a comma."""
    i = v.i - 1
    while i >= sent_of(v).start and (v.doc[i].dep_.startswith("aux") or v.doc[i].pos_ == "ADV"):
        i -= 1
    return i >= sent_of(v).start and v.doc[i].text in {",", "»", "”", '"'}


def _incise(v: Token, quotes: QuoteIndex) -> bool:
    before = v.doc[sent_of(v).start:v.i]
    return any(t.text in {"»", "”", '"'} for t in before[-6:])

