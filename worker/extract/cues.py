"""Cue detection over a parse: reporting verbs, passives, `selon X`, and speech-act nouns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy
from spacy.attrs import DEP, HEAD, LOWER, ORTH, POS
from spacy.parts_of_speech import ADJ as _ADJ
from spacy.parts_of_speech import NOUN as _NOUN
from spacy.parts_of_speech import PROPN as _PROPN
from spacy.parts_of_speech import VERB as _VERB
from spacy.tokens import Doc, Span, Token

from .lexicon import Lexicon, nounish
from .pipeline import lemma, sent_of
from .quotes import QuoteIndex
from .subjects import (
    TIME_WORDS,
    actor_before,
    after_comma,
    before_relative,
    finite,
    incise,
    inverted_nominal,
    nearest_subject,
    subject_tokens,
)

SELON = {"selon", "après"}


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


CANDIDATE_WORDS = SELON | {"yeux", "pour"}

# documents speak for their authors (`selon le rapport de l'ONU`, `le communiqué de l'UE
# l'accuse`)
DOC_NOUNS = {
    "bilan",
    "communiqué",
    "rapport",
    "texte",
    "résolution",
    "lettre",
    "courrier",
    "déclaration",
    "document",
    "source",
    "message",
    "note",
    "enquête",
    "décret",
    "tribune",
    "initiative",
    "campagne",
    "site",
    "compte",
    "récit",
    "étude",
    "prévision",
    "estimation",
    "sondage",
    "chiffre",
    "donnée",
    "projection",
    "analyse",
    "évaluation",
    "avis",
}


def document_author(x: Token) -> Token | None:
    """`le communiqué de l'UE`, `le rapport publié par l'ONU`: who wrote the document."""
    if lemma(x) not in DOC_NOUNS:
        return None
    author = agent_of(x) or next(
        (
            c
            for c in x.children
            if c.dep_ == "nmod"
            and c.pos_ in {"PROPN", "NOUN"}
            and any(g.lower_ in {"de", "du", "des", "d'", "d’"} for g in c.children)
        ),
        None,
    )
    if author is None:
        # `le communiqué publié au journal officiel de l'UE`: a name further in the phrase
        author = next((t for t in x.subtree if t.pos_ == "PROPN" and t.i > x.i), None)
    return author


def candidates(doc: Doc, lex: Lexicon) -> list[tuple[Span, list[Token]]]:
    """One pass over the doc: each sentence with the tokens that may carry a cue: `selon`
    and its kin, the lexicon's misread verb forms whatever their tag, and verbs, nouns and
    root adjectives that `lex.may_cue`.

    Works on the doc's arrays, with `may_cue` cached per (orth, POS): a Token is built only
    for the words it returns and for words not seen before."""
    strings = doc.vocab.strings
    words = {strings.add(w) for w in (*CANDIDATE_WORDS, *lex.misread)}
    root, flat = strings.add("ROOT"), strings.add("flat:name")
    arr = doc.to_array([POS, DEP, LOWER, HEAD, ORTH])
    pos: list[int] = arr[:, 0].tolist()
    dep: list[int] = arr[:, 1].tolist()
    low: list[int] = arr[:, 2].tolist()
    head: list[int] = arr[:, 3].view(numpy.int64).tolist()  # offset to the head
    orth: list[int] = arr[:, 4].tolist()
    relevant = lex.relevant
    table: list[Span] = []
    out: list[tuple[Span, list[Token]]] = []
    propns: list[Token] = []
    for sent in doc.sents:
        table.extend([sent] * len(sent))
        toks = []
        for i in range(sent.start, sent.end):
            p = pos[i]
            if low[i] in words:
                toks.append(doc[i])
            elif (
                p in (_VERB, _NOUN)
                or (p == _ADJ and dep[i] == root)
                or (p == _PROPN and low[i] == orth[i])  # a lowercase word tagged a name
            ):
                hit = relevant.get((orth[i], p))
                if hit is None:
                    if len(relevant) > 200_000:
                        relevant.clear()
                    hit = relevant[(orth[i], p)] = lex.may_cue(doc[i])
                if hit:
                    toks.append(doc[i])
            if dep[i] == flat:
                h = i + head[i]
                if pos[h] != _PROPN:
                    propns.append(doc[h])
            elif p == _PROPN:
                propns.append(doc[i])
        out.append((sent, toks))
    doc.user_data["veille_sents"] = table
    doc.user_data["veille_propns"] = propns
    return out


def agent_of(v: Token) -> Token | None:
    """`par X` in a passive or participial clause (parses attach it loosely)."""
    for t in v.subtree:
        if (
            t.lower_ == "par"
            and t.dep_ == "case"
            and t.head.pos_ in {"NOUN", "PROPN", "PRON"}
            and t.head.i > v.i
        ):
            return t.head
    return None


def is_passive(v: Token) -> bool:
    """Passive voice: `est accusé`, `a été rejetée` (not `les Vingt-Sept ont exigé`, a
    subject the parser called passive under the auxiliary `avoir`)."""
    kids = [c for c in v.children if not c.lower_.startswith("-")]
    if any(c.dep_ == "aux:pass" for c in kids):
        return True
    if not any(c.dep_ == "nsubj:pass" for c in kids):
        return False
    auxes = [c for c in kids if c.dep_.startswith("aux")]
    return not (auxes and all(lemma(c) == "avoir" for c in auxes))


def has_complement(v: Token, quotes: QuoteIndex) -> bool:
    """Weak verbs need a clause, an infinitive, a colon or a quotation to be speech."""
    if any(c.dep_ in {"ccomp", "xcomp"} for c in v.children):
        return True
    doc = v.doc
    nxt = doc[v.i + 1 : min(v.i + 7, sent_of(v).end)]
    if any(t.text == ":" for t in nxt[:3]) or any(t.lower_ in {"que", "qu'", "qu’"} for t in nxt):
        return True
    if any(t.lower_ in {"que", "qu'", "qu’"} and t.dep_ == "mark" and t.i > v.i for t in v.subtree):
        return True
    sent = sent_of(v)
    return bool(quotes.overlapping(sent.start_char, sent.end_char))


def _scare_quoted(tok: Token, quotes: QuoteIndex) -> bool:
    """`l'ONU « exige » l'arrêt`: the cue word itself quoted, no quotation around it."""
    spans = quotes.overlapping(tok.idx, tok.idx + len(tok.text))
    return any(e - s <= len(tok.text) + 4 for s, e in spans)


def verb_cues(sent: Span, toks: list[Token], lex: Lexicon, quotes: QuoteIndex) -> list[Cue]:
    """Reporting verbs among one sentence's candidate tokens, with their raw subjects."""
    cues: list[Cue] = []
    for tok in toks:
        misread = lex.misread.get(tok.lower_)
        # a lowercase proper noun is a tagger's slip (`Moscou somme Kiev de …`)
        misreadable = nounish(tok)
        if tok.pos_ != "VERB" and not misreadable and misread is None:
            continue
        if quotes.inside(tok.idx) and not _scare_quoted(tok, quotes):
            continue
        guess = misread or (lex.verb_misread_as_noun(tok) if misreadable else None)
        if tok.pos_ != "VERB" and guess is None:
            continue
        hit = lex.match_verb(tok, guess)
        if hit is None:
            continue
        if tok.lower_ in lex.adjectival and not (tok.i > 0 and tok.doc[tok.i - 1].lower_ == "en"):
            continue  # `un ton menaçant`: an adjective
        type_, key, last = hit
        # a locution is as strong as the lexicon says (`rappeler … leurs obligations`)
        weak = lex.is_weak(key) or (" " not in key and lex.is_weak(lemma(tok)))
        cue = Cue(tok, key, type_, "verb", sent, last, weak=weak)
        if lemma(tok) == "appeler" and not _calls_for(tok):
            continue
        if is_passive(tok) or _acl_participle(tok):
            cue.agent = agent_of(tok) or (agent_of(tok.head) if _acl_participle(tok) else None)
            if cue.agent is None or weak:
                continue
            cue.kind = "passive" if is_passive(tok) else "acl"
            cues.append(cue)
            continue
        if _impersonal(tok):
            continue  # `il convient de rappeler que …`: the writer's own voice
        if not incise(tok, quotes) and not after_comma(tok) and _thing_prevented(tok):
            continue  # `prévenir la dissémination`: to prevent, not to warn
        if (
            weak
            and "Part" in tok.morph.get("VerbForm", [])
            and "Past" in tok.morph.get("Tense", [])
            and not any(c.dep_.startswith("aux") for c in tok.children)
            and not _shares_auxiliary(tok)
            # `…», écrit Jens Stoltenberg`: a present tense with the form of a participle
            and not (
                incise(tok, quotes)
                and any(
                    c.dep_ == "nsubj" or (c.dep_ == "obj" and c.pos_ == "PROPN" and c.i > tok.i)
                    for c in tok.children
                )
            )
        ):
            continue  # `les pays reconnus comme …`: an adjective, not an act
        if lemma(tok) in lex.relays or tok.lower_.startswith(("rapport", "relay")):
            cue.kind = "relay"
        cue.subjects, cue.pronoun = subject_tokens(tok)
        relative = (
            before_relative(tok)
            if cue.pronoun is None
            and (
                not cue.subjects
                or all(h.i > tok.i or h.lower_ in {"qui", "dont"} for h in cue.subjects)
            )
            else []
        )
        cue.subjects = relative or cue.subjects
        if cue.subjects and (author := document_author(cue.subjects[0])) is not None:
            cue.subjects = [author]
        # (a comma that closes a relative clause after the subject opens no incise)
        is_incise = not relative and (
            incise(tok, quotes) or (tok.i > sent.start and after_comma(tok))
        )
        if (
            not is_incise
            and cue.subjects
            and all(h.i > tok.i and h.pos_ == "NOUN" for h in cue.subjects)
            and lemma(cue.subjects[0]).lower() not in TIME_WORDS
            and not any(t.lower_ == "comme" for t in tok.doc[max(0, tok.i - 4) : tok.i])
        ):
            # an object the parser took for an inverted subject (`le menace de licenciements`)
            before, pron = nearest_subject(tok, quotes)
            if before or pron:
                cue.subjects, cue.pronoun = before, pron
        if is_incise:
            post = inverted_nominal(tok, quotes)
            # `Le chef de l'Otan, Jens Stoltenberg, a averti la Russie`: the comma closes an
            # apposition of the verb's own subject, and what follows is its object
            own = bool(cue.subjects) and cue.subjects[0].head.i == tok.i
            if own and not incise(tok, quotes) and post and post[0].dep_ != "nsubj":
                post = []
            postposed = False
            if post and (not cue.subjects or cue.subjects[0].i < tok.i):
                cue.subjects, cue.pronoun = post, None
                postposed = True
        else:
            postposed = False
        # `…, a estimé Berlin`: a verb with its subject after it in an incise is speech
        inverted = postposed or bool(cue.pronoun and cue.pronoun.startswith("-"))
        if not cue.subjects and cue.pronoun is None:
            cue.subjects = inverted_nominal(tok, quotes)
            inverted = bool(cue.subjects)
        if not cue.subjects and cue.pronoun is None and _gerund(tok):
            # `…, tout en se disant prêt à …`: a gerund's subject is the main clause's
            cue.subjects, cue.pronoun = subject_tokens(sent.root)
        if not cue.subjects and cue.pronoun is None and "Inf" not in tok.morph.get("VerbForm", []):
            cue.subjects, cue.pronoun = nearest_subject(tok, quotes)
        if weak and not (inverted or has_complement(tok, quotes) or incise(tok, quotes)):
            continue
        if "Pres" in tok.morph.get("Tense", []) and "Part" in tok.morph.get("VerbForm", []):
            cue.kind = "participle"
            host = _participle_host(tok)
            hosted = _host_author(host, tok) if host is not None else []
            if hosted:
                cue.subjects, cue.pronoun = hosted, None
        if not cue.subjects and cue.pronoun is None:
            cue.subjects = actor_before(tok)
        cues.append(cue)
    return cues


CLITICS = {"lui", "leur", "les", "la", "le", "l'", "l’", "se", "s'", "s’", "y", "en"}


def _participle_host(v: Token) -> Token | None:
    """The noun a present participle qualifies (`la décision de la CIJ lui ordonnant de …`,
    `un communiqué appelant Kiev à …`), however the parser hung it (not `en appelant`)."""
    if _gerund(v):
        return None
    if v.dep_ == "acl" and v.head.pos_ == "NOUN" and v.head.i < v.i:
        return v.head
    if v.dep_ != "advcl":
        return None
    i = v.i - 1
    while i > 0 and v.doc[i].lower_ in CLITICS:
        i -= 1
    for c in v.head.children:
        if c.dep_ == "obj" and c.pos_ == "NOUN" and c.i <= i <= max(t.i for t in c.subtree):
            return c
    return None


def _host_author(host: Token, v: Token) -> list[Token]:
    """Who speaks through what the participle qualifies: the `de X` of `la décision de X`,
    the publisher of a document (`le Kremlin a publié un communiqué …`), else the noun."""
    owner = next(
        (
            c
            for c in host.children
            if c.dep_ == "nmod"
            and c.i < v.i
            and any(g.lower_ in {"de", "du", "des", "d'", "d’"} for g in c.children)
        ),
        None,
    )
    if owner is not None:
        return [owner]
    if lemma(host) in DOC_NOUNS and host.dep_ == "obj":
        subjects, _ = subject_tokens(host.head)
        return subjects
    return []  # (`une pancarte dénonçant …`: whoever the sentence says holds it)


def _calls_for(v: Token) -> bool:
    """`appeler X à …` calls for something; `appeler son ambassadeur à Washington` (a place)
    or `appeler X` with no `à` calls no one to anything."""
    window = list(v.doc[v.i + 1 : v.i + 8])
    for k, t in enumerate(window):
        if t.lower_ not in {"à", "au", "aux"}:
            continue
        rest = [x for x in window[k + 1 :] if x.pos_ != "DET"]
        if rest and rest[0].pos_ == "PROPN" and not any(x.pos_ == "VERB" for x in rest):
            return False  # a place
        return True
    return False


def _shares_auxiliary(v: Token) -> bool:
    """`a dénoncé … et promis de …`: a coordinated participle shares its head's auxiliary."""
    return v.dep_ == "conj" and any(c.dep_.startswith("aux") for c in v.head.children)


def _gerund(v: Token) -> bool:
    """`en se disant prêt`: a present participle after `en` (parses attach it anywhere)."""
    if "Part" not in v.morph.get("VerbForm", []) or "Pres" not in v.morph.get("Tense", []):
        return False
    doc = v.doc
    for t in reversed(doc[max(v.i - 3, 0) : v.i]):
        if t.lower_ == "en":
            return True
        if t.lower_ not in {"se", "s'", "s’", "lui", "leur", "y"}:
            return False
    return False


IMPERSONAL_HEADS = {"convenir", "falloir", "importer", "suffire", "rester", "sembler", "valoir"}
IMPERSONAL_FORMS = {
    "convient",
    "faut",
    "importe",
    "suffit",
    "reste",
    "semble",
    "vaut",
    "conviendrait",
    "faudrait",
    "fallait",
}


def _impersonal(v: Token) -> bool:
    """An infinitive under `il est utile de`, `il convient de`, `il faut`: nobody speaks."""
    if "Inf" not in v.morph.get("VerbForm", []):
        return False
    head = v.head
    expletive = any(
        c.lower_ == "il" and c.dep_ in {"expl:subj", "expl:pass", "nsubj", "expl"}
        for c in head.children
    )
    return expletive and (
        head.pos_ == "ADJ" or lemma(head) in IMPERSONAL_HEADS or head.lower_ in IMPERSONAL_FORMS
    )


# verbs that warn someone (`prévenir Moscou que …`) but prevent a thing (`prévenir une crise`)
PREVENT_SENSE = {"prévenir"}


def _thing_prevented(v: Token) -> bool:
    """A thing as direct object, and no clause, infinitive or indirect object after the verb."""
    if lemma(v) not in PREVENT_SENSE:
        return False
    kids = list(v.children)
    if any(c.dep_ in {"ccomp", "xcomp", "iobj"} for c in kids):
        return False
    obj = next((c for c in kids if c.dep_ == "obj"), None)
    if obj is None or obj.pos_ != "NOUN" or obj.i < v.i:
        return False
    # the object of an infinitive, or of a verb whose subject comes first: not an inverted
    # subject (`…, prévient le ministre`)
    return "Inf" in v.morph.get("VerbForm", []) or any(
        c.dep_.startswith("nsubj") and c.i < v.i for c in kids
    )


def _acl_participle(v: Token) -> bool:
    """`une demande rejetée par Moscou`: a past participle modifying a noun, not a tense."""
    if (
        v.dep_ != "acl"
        or finite(v)
        or "Part" not in v.morph.get("VerbForm", [])
        or "Pres" in v.morph.get("Tense", [])
        or v.head.pos_ not in {"NOUN", "PROPN", "PRON"}
    ):
        return False
    left = v.doc[max(sent_of(v).start, v.i - 5) : v.i]
    return not any(lemma(t) in {"avoir", "être"} and t.pos_ in {"AUX", "VERB"} for t in left)
