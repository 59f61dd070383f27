"""Finding who speaks in a parse: subjects, inverted subjects, incises and parse repairs."""

from __future__ import annotations

from spacy.tokens import Token

from .pipeline import lemma, sent_of
from .quotes import QuoteIndex

SUBJ_DEPS = {"nsubj", "expl:subj", "nsubj:pass"}


INVERTED = {"-il", "-elle", "-ils", "-elles", "-on", "-t-il", "-t-elle", "-t-on"}


CLIMB_DEPS = {"xcomp", "advcl", "ccomp", "conj", "acl"}


TIME_WORDS = {
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "matin",
    "soir",
    "jour",
    "semaine",
    "mois",
    "année",
    "an",
    "heure",
    "fois",
    "veille",
    "lendemain",
    "midi",
    "nuit",
    "après-midi",
    "soirée",
    "matinée",
    "week-end",
}


SUBJ_WORDS = {"il", "elle", "ils", "elles", "celui-ci", "celle-ci"}


def _demonstrative(c: Token) -> str | None:
    """`Celui-ci` / `celle-ci`, however the tokenizer split it."""
    doc = c.doc
    for t in doc[max(c.i - 2, 0) : min(c.i + 2, len(doc))]:
        if t.lower_.startswith("celui") or t.lower_.startswith("ce dernier"):
            return "celui-ci"
        if t.lower_.startswith("celle"):
            return "celle-ci"
    return None


def conjuncts(t: Token) -> list[Token]:
    """Coordinated heads (`X et Y`), not appositions the parser took for conjuncts."""
    conj = [x for x in t.conjuncts if x.i > t.i]
    # `Macron et le chancelier allemand, Olaf Scholz`: the apposition after the last
    # conjunct comes out as one more conjunct, so the `et` may sit on any of them
    if conj and any(
        c.dep_ == "cc" and c.lower_ in {"et", "ou", "ainsi"} for x in conj for c in x.children
    ):
        return conj
    return []


def _sibling_subjects(v: Token, c: Token) -> list[Token]:
    """`La Suède et la Finlande demandent`, parsed as two subjects of the verb or with the
    first left hanging: the first conjunct, written right before `et`."""
    out = []
    for s in v.children:
        if (
            s.dep_ == "nsubj"
            and s.i < c.i
            and s.pos_ in {"PROPN", "NOUN"}
            and any(t.lower_ == "et" for t in v.doc[s.i : c.i])
            and not any(t.text in {";", ":", "«", "»"} for t in v.doc[s.i : c.i])
        ):
            out.append(s)
    if out or c.pos_ != "PROPN" or c.conjuncts:
        return out
    doc, i = v.doc, c.i - 1
    while i >= 0 and doc[i].dep_ == "det":
        i -= 1
    if i < 1 or doc[i].lower_ != "et":
        return out
    i -= 1
    n = doc[i]
    while n.dep_ == "flat:name" and n.head.i < n.i:
        n = n.head
    if (
        n.pos_ == "PROPN"
        and n.dep_ in {"nmod", "dep", "appos", "ROOT", "nsubj"}
        and n.i >= sent_of(v).start
        and not any(g.dep_ == "case" for g in n.children)
    ):
        out.append(n)
    return out


def _after_title_colon(v: Token, c: Token) -> Token | None:
    """`Crise dans le Nord : la Norvège … demandent`: a rubric before a colon is no subject;
    the nominal that opens the clause after the colon is."""
    doc = v.doc
    colon = next((t for t in doc[c.i + 1 : v.i] if t.text == ":"), None)
    if colon is None or c.dep_ != "nsubj":
        return None
    i = colon.i + 1
    while i < v.i and doc[i].dep_ == "det":
        i += 1
    n = doc[i]
    if i < v.i and n.pos_ in {"PROPN", "NOUN"}:
        return n
    return None


# `a poussé Helsinki à demander`: the object of these verbs is who does the infinitive
OBJECT_CONTROL = {
    "pousser",
    "inciter",
    "amener",
    "conduire",
    "contraindre",
    "obliger",
    "forcer",
    "encourager",
    "autoriser",
    "charger",
    "mandater",
    "appeler",
    "inviter",
    "exhorter",
}


def _controller(v: Token) -> Token | None:
    """The object of an object-control verb heading the infinitive `v`."""
    head = v.head
    if v.dep_ != "xcomp" or lemma(head) not in OBJECT_CONTROL:
        return None
    for c in head.children:
        if c.dep_ == "obj" and c.i < v.i and c.pos_ in {"PROPN", "NOUN"}:
            return c
    return None


def _disagrees(v: Token, subj: Token) -> bool:
    """A plural verb with one singular subject (`… que la Russie n'envahisse … et menacent`)."""
    vn, sn = v.morph.get("Number", []), subj.morph.get("Number", [])
    return bool(vn and sn and vn != sn and not subj.conjuncts)


def finite(v: Token) -> bool:
    """A finite verb, even where the tagger says participle: a form no participle of its
    lemma has (`avertit` of `avertir`, `dénonce` of `dénoncer`)."""
    if "Fin" in v.morph.get("VerbForm", []):
        return True
    if "Part" not in v.morph.get("VerbForm", []) or "Pres" in v.morph.get("Tense", []):
        return False
    lem, low = lemma(v).lower(), v.lower_
    if (lem.endswith("ir") and low.endswith(("it", "issent"))) or (
        lem.endswith("er") and low.endswith(("e", "es", "ent")) and not low.endswith(("ée", "ées"))
    ):
        return True
    # `le chef de l'Eglise enjoint aux catholiques de …`: a form both present and participle
    # (`enjoint`, `dit`, `écrit`), with no agent, on the subject noun: the present
    return (
        lem.endswith("re")
        and low.endswith("t")
        and v.dep_ == "acl"
        and v.head.dep_ == "nsubj"
        and not any(c.dep_ == "obl:agent" or c.lower_ == "par" for c in v.subtree)
    )


def headline_predicate(v: Token) -> bool:
    """A finite verb the parser hung on the noun before it as a modifier, as it does in
    headlines (`Moscou avertit que …`, `La Russie expulse des diplomates`): that noun is
    its subject (a relative clause would have its pronoun)."""
    return (
        v.dep_ == "acl"
        and finite(v)
        and v.head.i < v.i
        and v.head.pos_ in {"PROPN", "NOUN"}
        and not any(
            t.lower_ in {"qui", "que", "qu'", "qu’", "dont", "où", ","}
            for t in v.doc[v.head.i : v.i]
        )
    )


def subject_tokens(v: Token, depth: int = 0) -> tuple[list[Token], str | None]:
    """Subject heads of `v` (conjuncts included) or a subject pronoun, climbing infinitives."""
    aux_kids = [g for a in v.children if a.dep_.startswith("aux") for g in a.children]
    for c in list(v.children) + aux_kids:
        if c.lower_ in INVERTED or (
            c.text.startswith("-") and c.lower_.lstrip("-t") in {"il", "elle", "ils", "elles", "on"}
        ):
            return [], c.lower_.replace("-t-", "-")
    kids = list(v.children) + aux_kids
    before = sorted((c for c in kids if c.i < v.i), key=lambda t: -t.i)
    after = sorted((c for c in kids if c.i > v.i), key=lambda t: t.i)
    for c in before + after:
        if c.dep_ in SUBJ_DEPS and c.i < v.i or (c.dep_ == "nsubj"):
            if (
                c.lower_ in {"celui", "celle"}
                and c.i + 1 < len(v.doc)
                and v.doc[c.i + 1].lower_ == "-ci"
            ):
                return [], c.lower_ + "-ci"
            if c.pos_ == "PRON" and c.lower_ in {"qui", "lequel", "laquelle"}:
                # relative clause: the antecedent noun is the subject
                ant = v.head if v.dep_.startswith("acl") else None
                return ([ant] if ant is not None else []), None
            if is_pronoun(c):
                return [], _demonstrative(c) or c.lower_
            after_colon = _after_title_colon(v, c)
            if after_colon is not None:
                return [after_colon, *conjuncts(after_colon)], None
            siblings = _sibling_subjects(v, c)
            if siblings:
                return [*siblings, c, *conjuncts(c)], None
            if (
                v.dep_ == "conj"
                and v.head.pos_ in {"PROPN", "NOUN"}
                and v.head.i < c.i
                and any(t.lower_ == "et" for t in v.doc[v.head.i : c.i])
            ):
                return [v.head, c], None  # `X et Y ont réclamé` parsed as X <- conj verb
            return [c, *conjuncts(c)], None
    if headline_predicate(v):
        # `Moscou avertit qu'…` parsed as a noun phrase with the verb as its modifier
        return [v.head, *conjuncts(v.head)], None
    if depth < 3 and v.dep_ in CLIMB_DEPS and v.head.i != v.i:
        verb_form = v.morph.get("VerbForm", [])
        gerund = "Part" in verb_form and "Pres" in v.morph.get("Tense", [])
        climbs = v.dep_ == "conj" or (
            ("Inf" in verb_form or gerund) and not any(c.dep_.startswith("aux") for c in v.children)
        )
        if climbs and not (v.dep_ == "acl" and v.head.pos_ == "NOUN"):
            controller = _controller(v)
            if controller is not None:
                return [controller, *conjuncts(controller)], None
            found = subject_tokens(v.head, depth + 1)
            if (
                v.dep_ == "conj"
                and len(found[0]) == 1
                and _disagrees(v, found[0][0])
                and v.head.dep_ in CLIMB_DEPS | {"ccomp"}
                and v.head.head.i != v.head.i
            ):
                # the conjunct belongs one clause up: its subject agrees with it
                return subject_tokens(v.head.head, depth + 1)
            return found
    return [], None


def inverted_nominal(v: Token, quotes: QuoteIndex) -> list[Token]:
    """`« ... », a déclaré la ministre X`: the nominal right after an incise verb."""
    sent = sent_of(v)
    before = v.doc[sent.start : v.i]
    incise = (
        any(quotes.inside(t.idx) or t.text in {"»", "”", '"'} for t in before)
        or v.dep_ in {"parataxis", "advcl", "conj"}
        or (v.i > sent.start and after_comma(v))
    )
    if not incise:
        return []
    for c in v.children:
        if (
            c.i > v.i
            and c.dep_
            in {
                "obj",
                "nsubj",
                "appos",
                "obl:mod",
                "obl:arg",
                "obl",
                "xcomp",
                "iobj",
                "dep",
                "conj",
            }
            and c.pos_ in {"NOUN", "PROPN"}
            and lemma(c).lower() not in TIME_WORDS
            and not any(g.dep_ == "case" for g in c.children)
        ):
            return [c, *conjuncts(c)]
    return _after_adjunct(v, sent.end)


def _after_adjunct(v: Token, end: int) -> list[Token]:
    """`…, estime, dans une tribune au « Monde », l'historienne X.`, `», juge le chercheur X.`:
    the noun phrase after the verb (and after an adjunct between commas) that ends the
    sentence is the inverted subject, however the parser attached it."""
    doc = v.doc
    i = v.i + 1
    if i < end and doc[i].text == "," and i + 1 < end and doc[i + 1].pos_ == "ADP":
        close = next((k for k in range(i + 2, min(end, i + 14)) if doc[k].text == ","), None)
        if close is None:
            return []
        i = close + 1
    # (`a déclaré mardi le ministre X`: the day is no subject, the phrase after it may be)
    while i < end and (doc[i].pos_ == "DET" or lemma(doc[i]).lower() in TIME_WORDS):
        i += 1
    if i >= end or doc[i].pos_ not in {"NOUN", "PROPN"}:
        return []
    head = doc[i]
    last = max(t.i for t in head.subtree) if head.head.i != head.i else i
    rest = [t for t in doc[last + 1 : end] if not t.is_space]
    if rest and not all(t.is_punct for t in rest):
        return []  # the phrase does not end the sentence: an object, not the subject
    return [head]


def actor_before(v: Token) -> list[Token]:
    """Parse repair: `… tandis que Kiev salue …` with the subject left unattached."""
    i = v.i - 1
    while (
        i > 0 and v.doc[i].pos_ in {"ADV", "AUX", "PRON"} and v.doc[i].lower_ not in {"qui", "que"}
    ):
        i -= 1
    t = v.doc[i]
    if t.pos_ == "PROPN" and t.dep_ not in {"nsubj", "obj"} and i >= sent_of(v).start:
        return [t]
    return []


def nearest_subject(v: Token, quotes: QuoteIndex) -> tuple[list[Token], str | None]:
    """Parse fallback: the closest subject to the left of the cue, outside quotations."""
    coordinated = False
    for t in reversed(v.doc[sent_of(v).start : v.i]):
        if quotes.inside(t.idx) or t.text in {";", "«", "»"}:
            break
        if t.dep_ in SUBJ_DEPS:
            if is_pronoun(t):
                return ([], t.lower_) if t.lower_ in SUBJ_WORDS else ([], None)
            return [t, *conjuncts(t)], None
        if t.lower_ in {"et", "puis", "mais"}:
            coordinated = True
        if (
            t.pos_ == "VERB"
            and t.morph.get("VerbForm", []) == ["Fin"]
            and lemma(t) not in {"avoir", "être"}
            and not coordinated
        ):
            break
    return _before_auxiliary(v, quotes), None


AUX_FORMS = {"a", "ont", "avait", "avaient", "aura", "est", "sont", "était", "étaient"}


def before_relative(v: Token) -> list[Token]:
    """Parse repair for `Le Kremlin, qui s'exprimait à Bruxelles, a exigé …`: a noun phrase
    opening the sentence, then a relative clause between commas, then the cue: the phrase is
    the cue's subject (the parser often hangs it on the relative clause's verb)."""
    doc = v.doc
    start = sent_of(v).start
    i = v.i - 1
    while i > start and (doc[i].dep_.startswith("aux") or doc[i].lower_ in AUX_FORMS):
        i -= 1
    if doc[i].text != ",":
        return []
    qui = next((t for t in doc[start:i] if t.lower_ in {"qui", "dont"} and t.i > start), None)
    if qui is None or doc[qui.i - 1].text != ",":
        return []
    if any(t.text == "," for t in doc[qui.i + 1 : i]):
        return []  # one relative clause only, closed by the comma before the cue
    phrase = [t for t in doc[start : qui.i - 1] if t.pos_ in {"PROPN", "NOUN"}]
    if not phrase or any(t.pos_ in {"VERB", "AUX"} for t in doc[start : qui.i - 1]):
        return []
    head = next((t for t in phrase if t.dep_ != "flat:name"), phrase[0])
    return [head]


def _before_auxiliary(v: Token, quotes: QuoteIndex) -> list[Token]:
    """Parse repair for `M. Macron a, sans surprise, balayé …`: the noun before the tense
    auxiliary of the cue is its subject."""
    start = sent_of(v).start
    for i in range(v.i - 1, max(start, v.i - 9) - 1, -1):
        t = v.doc[i]
        if t.lower_ in AUX_FORMS:
            j = i - 1
            # `la Grèce et Chypre n'ont pas hésité`: past punctuation and the negation
            while j >= start and (v.doc[j].is_punct or v.doc[j].lower_ in {"n'", "n’", "ne"}):
                j -= 1
            if j < start or quotes.inside(v.doc[j].idx):
                return []
            n = v.doc[j]
            while n.dep_ == "flat:name" and n.head.i < n.i:
                n = n.head
            if n.pos_ in {"PROPN", "NOUN"} or (n.text[:1].isupper() and n.is_alpha):
                if n.dep_ == "conj" and n.head.i < n.i and n.head.pos_ in {"PROPN", "NOUN"}:
                    return [n.head, n]
                return [n]
            return []
    return []


def after_comma(v: Token) -> bool:
    """`…, a précisé son Premier ministre X`: the cue opens an incise after a comma."""
    start = sent_of(v).start
    i = v.i - 1
    while i >= start and (v.doc[i].dep_.startswith("aux") or v.doc[i].pos_ == "ADV"):
        i -= 1
    if i < start or v.doc[i].text not in {",", "»", "”", '"'}:
        return False
    if v.doc[i].text == "," and i + 1 < v.i and v.doc[i + 1].lower_ in AUX_FORMS:
        return True  # `…, a précisé X`
    # `X a, sans surprise, balayé …`: the auxiliary before the commas makes it no incise
    return not any(t.lower_ in AUX_FORMS for t in v.doc[max(start, i - 8) : i])


def incise(v: Token, quotes: QuoteIndex) -> bool:
    before = v.doc[sent_of(v).start : v.i]
    return any(t.text in {"»", "”", '"'} for t in before[-6:])


# what the model may tag PRON that really is one; a capitalised word outside this list that the
# model calls a pronoun is a misread name (`Kiev a accusé …` parsed with `Kiev` as PRON)
_PRONOUN_WORDS = (
    "il elle ils elles on nous vous je j' tu ce c' cela ça celui celle ceux celles celui-ci "
    "celle-ci ceux-ci celles-ci qui que qu' lequel laquelle lesquels lesquelles dont quoi où "
    "tout tous toutes chacun chacune personne rien aucun aucune certains certaines plusieurs "
    "lui leur eux moi toi soi se s' me m' te t' y en le la les l' ceci autre autres "
    "ma mon mes ta ton tes sa son ses notre nos votre vos leurs un une"
)
PRONOUNS = frozenset(_PRONOUN_WORDS.split())


def is_pronoun(tok: Token) -> bool:
    """A real pronoun: tagged PRON, and not a capitalised name the model misread."""
    if tok.pos_ != "PRON":
        return False
    return not tok.text[:1].isupper() or tok.lower_ in PRONOUNS
