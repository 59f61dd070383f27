"""Attribution without a reporting verb: `selon X`, `aux yeux de X`, speech-act nouns."""

from __future__ import annotations

from spacy.tokens import Span, Token

from .cues import DOC_NOUNS, SELON, Cue, agent_of
from .lexicon import Lexicon
from .pipeline import lemma, sent_of
from .quotes import QuoteIndex


def selon_cues(sent: Span, toks: list[Token]) -> list[Cue]:
    """`selon X`, `d'après X`, `aux yeux de X`, sentence-initial `Pour X,`."""
    cues = []
    for tok in toks:
        low = tok.lower_
        if low in SELON and (
            tok.dep_ == "case"
            or (low == "après" and tok.dep_ == "fixed" and tok.head.dep_ == "case")
        ):
            if low == "après" and not (tok.i > 0 and tok.doc[tok.i - 1].lower_ in {"d'", "d’"}):
                continue
            if tok.dep_ == "fixed":
                tok = tok.head  # `D'après X`: `après` hangs on the `d'`, the phrase's case
            x = tok.head
            if x.pos_ == "PRON" and x.lower_ in {"laquelle", "lequel", "lesquels", "lesquelles"}:
                continue
        elif low == "yeux" and tok.i > 0 and tok.doc[tok.i - 1].lower_ in {"ses", "leurs"}:
            cues.append(Cue(tok, "selon", "statement", "selon", sent, tok.i, pronoun="sa"))
            continue
        elif low == "yeux" and tok.i > 0 and tok.doc[tok.i - 1].lower_ == "aux":
            owner = next((c for c in tok.children if c.dep_ == "nmod"), None)
            if owner is None:
                continue
            x = owner
        elif (
            low == "pour"
            and tok.i <= sent.start + 1
            and tok.dep_ == "case"
            and tok.head.pos_ in {"PROPN", "NOUN"}
            and tok.head.i + 1 < len(tok.doc)
        ):
            x = tok.head
            end = max(t.i for t in x.subtree)
            if end + 1 >= len(tok.doc) or tok.doc[end + 1].text != ",":
                continue
        else:
            continue
        if lemma(x) in DOC_NOUNS:
            author = agent_of(x) or next((c for c in x.children if c.dep_ == "nmod"), None)
            x = author if author is not None else x
        cue = Cue(tok, "selon", "statement", "selon", sent, tok.i, subjects=[x, *x.conjuncts])
        if x.pos_ == "PRON":
            cue.subjects, cue.pronoun = [], x.lower_
        cues.append(cue)
    return cues


def noun_cues(sent: Span, toks: list[Token], lex: Lexicon, quotes: QuoteIndex) -> list[Cue]:
    """Speech-act nouns with their author: `une demande de Kiev`, `menace brandie par X`."""
    cues = []
    for tok in toks:
        if tok.pos_ != "NOUN" or quotes.inside(tok.idx):
            continue
        type_ = lex.noun_type(tok)
        if type_ is None:
            continue
        if type_ == "warning" and lemma(tok).lower() == "menace" and _under_threat(tok):
            continue  # `sous la menace de la Russie`: a danger, not a speech act
        author = None
        # `la mise en garde de Washington`: the author may hang on the phrase's last noun
        kids = list(tok.children)
        kids += [g for c in kids if c.dep_ == "nmod" and c.i == tok.i + 2 for g in c.children]
        for c in kids:
            if c.dep_ in {"acl", "xcomp"} and "Part" in c.morph.get("VerbForm", []):
                if "Pres" in c.morph.get("Tense", []):
                    continue  # `l'appel insistant de l'ONU`: a modifier, not a cue
                hit = lex.match_verb(c)
                if hit is not None and "_" not in hit[1] and hit[0] != "statement":
                    author = None  # the participle is a cue of its own
                    break
                # (`l'ultimatum lancé par Moscou`: the participle only carries the noun's act)
                author = agent_of(c) or agent_of(tok)
            elif (
                c.dep_ == "nmod"
                and c.pos_ in {"PROPN", "NOUN"}
                and c.i > tok.i
                and any(g.lower_ in {"de", "du", "des", "d'", "d’"} for g in c.children)
                and (type_ != "statement" or _reports(tok, quotes))
            ):
                author = author or c
            elif (
                c.dep_ == "amod" and c.pos_ == "ADJ" and c.i == tok.i + 1 and _reports(tok, quotes)
            ):
                author = author or c  # `l'affirmation russe selon laquelle …`
        if author is not None:
            cues.append(Cue(tok, lemma(tok), type_, "noun", sent, tok.i, subjects=[author]))
    return cues


def _reports(noun: Token, quotes: QuoteIndex) -> bool:
    """The noun comes with what was said: `selon laquelle …`, a colon or a quotation after it
    (`la déclaration de guerre` says nothing; `la déclaration de X selon laquelle …` does)."""
    doc = noun.doc
    after = doc[noun.i + 1 : min(noun.i + 8, sent_of(noun).end)]
    if any(t.lower_ in {"laquelle", "lesquelles", "lequel", "lesquels"} for t in after[:6]):
        return any(t.lower_ == "selon" for t in after)
    return any(t.text == ":" or quotes.inside(t.idx) or t.text in {"«", '"', "“"} for t in after)


def _under_threat(noun: Token) -> bool:
    """`sous la menace`, `face à la menace`, `contre la menace`: the noun names a danger."""
    doc = noun.doc
    before = [t.lower_ for t in doc[max(0, noun.i - 3) : noun.i]]
    return any(w in {"sous", "face", "devant", "contre", "malgré"} for w in before)


def source_of_infinitives(cues: list[Cue]) -> list[Cue]:
    """`le G20 doit permettre d'appeler la Russie à …, selon l'Elysée`: an infinitive cue
    under a verb that is no speech says what someone else will do; the sentence's `selon X`
    is the one who asks, and speaks through that cue (the `selon` cue is then dropped)."""
    out = list(cues)
    for v in cues:
        if v.kind != "verb" or "Inf" not in v.tok.morph.get("VerbForm", []):
            continue
        if any(c is not v and c.tok.i == v.tok.head.i for c in cues):
            continue  # `a promis d'appeler …`: the head is a cue of its own
        src = next(
            (
                c
                for c in out
                if c.kind == "selon"
                and c.sent == v.sent
                and c.subjects
                and c.subjects[0].pos_ == "PROPN"  # `selon l'Elysée`, not `selon ses calculs`
            ),
            None,
        )
        if src is None or src.tok.i < v.tok.i:
            continue
        v.subjects, v.pronoun, v.agent = list(src.subjects), src.pronoun, None
        out.remove(src)
    return out


def without_announced(cues: list[Cue]) -> list[Cue]:
    """`Poutine prévient que la Russie répondra …`: a speech verb in the future inside what
    another cue reports is what will be done, not words reported: the outer cue speaks."""
    verbs = [c for c in cues if c.kind in {"verb", "participle"}]
    out = []
    for c in cues:
        t = c.tok
        future = "Fut" in t.morph.get("Tense", []) or "Cnd" in t.morph.get("Mood", [])
        inside = future and any(
            o is not c and o.tok.i < t.i and t in o.tok.subtree and t.dep_ == "ccomp" for o in verbs
        )
        if not inside:
            out.append(c)
    return out
