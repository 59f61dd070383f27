"""What a cue reports: its content tokens, the words the act is read from, and the
`content` field as the text wrote it."""

from __future__ import annotations

from spacy.tokens import Token

from .cues import Cue
from .quotes import QuoteIndex
from .speakers import Speaker
from .subjects import TIME_WORDS, headline_predicate

QUOTE_CLOSERS = {"»", "”", '"'}
QUOTE_OPENERS = {"«", "“", '"'}


# what a cue governs to its right: the reported clause, infinitive or object
COMPLEMENT_DEPS = {"ccomp", "xcomp", "obj", "obl:arg", "iobj", "obl:mod", "obl", "nmod", "acl"}
CORE_COMPLEMENTS = {"ccomp", "xcomp"}


def content_field(text: str, content: list[Token], cue: Token, qs: list[tuple[int, int]]) -> str:
    """What was said, whole: the cue's complement as one stretch of text with the quotations
    begun in it (`la Russie menace de bombarder Kiev` after a title's `« Moskva »`; `a menacé
    de « frapper »` keeps the threat, not just the quoted word); for a cue that governs
    nothing to its right (`« … », a-t-il dit`), the quotation."""
    # a quotation just before the cue is what it reports (`« … », a-t-il dit`); one earlier in
    # the sentence may be a name or a word (`dans un entretien au « Monde », X appelle …`)
    quoted_before = any(
        s < cue.idx and (e > cue.idx or _incise_gap(text[e : cue.idx])) for s, e in qs
    )
    # after a quotation, `a averti mardi à Berlin` governs a day and a place: only a clause
    # of its own (`a ajouté que …`) is what it reports then
    deps = CORE_COMPLEMENTS if quoted_before else COMPLEMENT_DEPS
    governs = any(c.i > cue.i and c.dep_ in deps for c in cue.children)
    toks = sorted((t for t in content if not t.is_space and t.i > cue.i), key=lambda t: t.i)
    while toks and toks[-1].is_punct and toks[-1].text not in QUOTE_CLOSERS:
        toks.pop()
    # `a réclamé mardi des réponses`: the day is when it was said, not what was
    while toks and (
        (toks[0].is_punct and toks[0].text not in QUOTE_OPENERS) or toks[0].lower_ in TIME_WORDS
    ):
        toks.pop(0)
    if not (governs and toks):
        own = [
            (s, e) for s, e in qs if s > cue.idx or e > cue.idx or _incise_gap(text[e : cue.idx])
        ]
        if own:
            return " ".join(text[s:e] for s, e in own)[:500]
        return _content_text(content, cue)
    start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
    for s, e in qs:
        if start <= s < end:
            end = max(end, e)  # a quotation begun in the complement runs to its end
    if any(start < e and s < end and (s < start or e > end) for s, e in qs):
        return _content_text(content, cue)  # a quotation straddles it: the words reported
    return text[start:end].strip(" ,;:\n\t")[:500]


def _incise_gap(gap: str) -> bool:
    """`« … », a-t-il dit`: only a comma and the verb's auxiliary between quotation and cue."""
    return len(gap) <= 24 and ("," in gap or not gap.strip()) and " et " not in f" {gap} "


def _content_text(content: list[Token], cue: Token) -> str:
    """What was said, as the text wrote it: contiguous runs of the reported words, with gaps
    shown as an ellipsis; when the words follow the cue, those before it (auxiliaries,
    adverbs) are left out. Capped for storage."""
    toks = sorted((t for t in content if not t.dep_.startswith("aux")), key=lambda t: t.i)
    after = [t for t in toks if t.i > cue.i and not t.is_punct]
    # `dénonce … et réclame plus de sanctions`: a coordinated cue reports what follows it
    if after and (len(after) * 2 >= len(toks) or cue.dep_ == "conj"):
        toks = after
    runs: list[str] = []
    current = ""
    for prev, tok in zip([None, *toks], toks, strict=False):
        if prev is not None and tok.i != prev.i + 1:
            runs.append(current.strip())
            current = ""
        current += tok.text_with_ws
    runs.append(current.strip())
    text = " … ".join(r for r in runs if r)
    return text.strip(" ,;:.\n\t")[:500]


# what opens a clause of circumstance, not of what was said (`après que`, `alors que`)
SUBORDINATORS = {"après", "alors", "tandis", "bien", "depuis", "avant", "pendant", "lorsque"}


def own_words(
    cue: Cue, content: list[Token], resolved: list[tuple[Cue, list[Speaker]]], quotes: QuoteIndex
) -> list[Token]:
    """What the cue reports without the words another speaker's cue inside it reports
    (`X a salué …, après que Y a assuré « … »`): those are Y's act, not X's. A cue inside a
    quotation is the quoted speaker's own words."""
    inside = {t.i for t in content}
    theirs: set[int] = set()
    mine = {sp.actor for c, sps in resolved if c is cue for sp in sps}
    for other, sps in resolved:
        if (
            other is not cue
            and other.sent == cue.sent
            and other.tok.i in inside
            and cue.tok.is_ancestor(other.tok)
            and not quotes.inside(other.tok.idx)
            and other.subjects
            and {sp.actor for sp in sps} != mine
        ):
            theirs |= {t.i for t in other.tok.subtree}
    return [t for t in content if t.i not in theirs] if theirs else content


def reported(cue: Cue) -> list[Token]:
    """What was said: the cue's complements, or the rest of the sentence for an incise."""
    v = cue.tok
    subj = {t.i for h in cue.subjects for t in h.subtree}
    if headline_predicate(v) or (v.dep_ == "conj" and headline_predicate(v.head)):
        subj -= {t.i for t in v.subtree}  # the verb was parsed inside its subject's phrase
    if cue.agent is not None:
        subj |= {t.i for t in cue.agent.subtree}
    skip = {
        t.i
        for c in v.children
        if c.dep_ == "advcl"
        and c.i > v.i
        and (
            "Part" in c.morph.get("VerbForm", [])
            # `a salué …, après que le président américain a assuré …`: another's words
            or (
                any(g.dep_ == "mark" and g.lower_ in SUBORDINATORS for g in c.children)
                and any(g.dep_ in {"nsubj", "nsubj:pass"} and g.pos_ != "PRON" for g in c.children)
            )
        )
        for t in c.subtree
    }
    # `X appelle à …, la Russie demande …`: another clause with its own subject is not content
    skip |= {
        t.i
        for c in v.children
        if c.dep_ in {"conj", "parataxis"}
        and c.i > v.i
        and (
            any(g.dep_ in {"nsubj", "expl:subj"} for g in c.children)
            or (c.dep_ == "conj" and c.pos_ == "VERB")  # `a dénoncé … et promis de …`
        )
        for t in c.subtree
    }
    # a rubric before a title colon (`Sanctions contre la Russie : X …`) is not what was said
    colon = next((t.i for t in cue.sent if t.text == ":" and t.i < v.i), None)
    if colon is not None and any(t.text in {":", "«", '"'} for t in v.doc[v.i : cue.sent.end]):
        colon = None  # `X a déclaré : « … »` keeps its colon after the cue
    start = cue.sent.start if colon is None else colon + 1
    # `X accuse … ; Y « … »`: a semicolon closes one news and opens another
    semis = [t.i for t in cue.sent if t.text == ";"]
    start = max([start, *[i + 1 for i in semis if i < v.i]])
    stop = min([cue.sent.end, *[i for i in semis if i > v.i]])
    middle = cue.sent.start + (cue.sent.end - cue.sent.start) / 2
    if cue.kind == "selon":
        # `Selon le Kremlin, il est temps que …`: the sentence around the source
        head = v.head
        if head.dep_ == "ROOT" or head.i == v.i:
            phrase = {v.i, head.i} | {
                c.i for c in head.children if c.dep_ in {"det", "amod", "flat:name", "case"}
            }
        else:
            phrase = {t.i for t in head.subtree} | {v.i}
        toks = [t for t in cue.sent if t.i not in phrase and t.text != ","]
    elif v.pos_ not in {"VERB", "NOUN", "ADJ"} and cue.kind == "verb":
        # a verb form the model misread (`dément` as ADV) heads nothing: what follows it
        toks = [t for t in v.doc[v.i + 1 : cue.sent.end] if not t.is_punct or t.text in "«»"]
    elif (
        v.dep_ == "conj"
        and v.pos_ == "VERB"
        and v.head.pos_ == "VERB"
        and any(c.dep_ == "cc" for c in v.children)
        and any(c.dep_ in {"xcomp", "ccomp"} for c in v.children)
    ):
        # `a dénoncé … et promis de …`: the coordinated cue's own complements
        toks = [t for t in v.subtree if t.i not in subj and t.i != v.i]
    elif v.dep_ in {"parataxis", "advcl"} or v.i > middle:
        toks = [t for t in cue.sent if t.i not in subj and t.i not in skip]
    else:
        toks = [t for t in v.subtree if t.i not in subj and t.i not in skip and t.i != v.i]
    return [t for t in toks if start <= t.i < stop]
