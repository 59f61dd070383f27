"""Coreference for speakers: pronouns, `celui-ci`, narrative infinitives, cataphora."""

from __future__ import annotations

from spacy.tokens import Token

from .context import DocContext
from .cues import Cue
from .pipeline import lemma, sent_of
from .quotes import QuoteIndex
from .speakers import Speaker, _person, listed_members, np_text, np_tokens, resolve_np

SUBJ_PRONOUNS = {
    "il": ("m", False),
    "elle": ("f", False),
    "ils": ("m", True),
    "elles": ("f", True),
    "-il": ("m", False),
    "-elle": ("f", False),
    "-ils": ("m", True),
    "-elles": ("f", True),
    "celui-ci": ("m", False),
    "celle-ci": ("f", False),
    "ce dernier": ("m", False),
    "cette dernière": ("f", False),
    "lui": ("m", False),
}


def resolve_speakers(
    ctx: DocContext, cues: list[Cue], quotes: QuoteIndex | None = None
) -> list[tuple[Cue, list[Speaker]]]:
    """Resolve nominal subjects first, then pronouns against earlier (or later) speakers."""
    first: list[list[Speaker] | None] = []
    for c in cues:
        heads = [c.agent] if c.agent is not None else c.subjects
        if c.pronoun is not None or not heads:
            first.append(None)
            continue
        first.append([sp for h in heads for sp in _speakers_of(ctx, h)])
    out: list[tuple[Cue, list[Speaker]]] = []
    history: list[Speaker] = []
    positions: list[int] = []
    for i, c in enumerate(cues):
        sps = first[i]
        if sps and any(not s.name or s.name[:1].islower() for s in sps):
            heads = [c.agent] if c.agent is not None else c.subjects
            sps = [
                x
                for h in heads
                if (sp := resolve_np(ctx, h, history)) is not None
                for x in [sp, *_coordinated_nationalities(ctx, h, sp)]
            ]
        if sps is None:
            later = [s for f in first[i + 1 :] if f for s in f if s.person]
            if c.pronoun in {"celui-ci", "celle-ci"}:
                pron = [
                    t.i
                    for t in ctx.doc[sent_of(c.tok).start : c.tok.i]
                    if t.lower_.startswith(("celui", "celle"))
                ]
                sp = last_person_before(ctx, pron[-1] if pron else c.tok.i)
            elif c.pronoun is not None and (
                group := _coordinated_before(ctx, c, out, history, quotes)
            ):
                # `Lavrov et son homologue se sont vus. « … », ont-ils souligné`: both of them
                out.append((c, group))
                history.extend(group)
                positions.extend([c.tok.i] * len(group))
                continue
            elif c.pronoun is not None:
                sp = resolve_pronoun(c.pronoun, history, later)
                since = max(
                    (positions[k] for k in range(len(history)) if history[k] is sp), default=-1
                )
                # a subject named after the last agreeing speaker is the nearer antecedent
                nearer = subject_before(ctx, c.tok.i, c.pronoun, max(since, _prev_sent(c.tok)))
                if nearer is None and sp is None:
                    # no earlier speaker: the subject opening the sentence before (`Jens
                    # Stoltenberg a rencontré Sergueï Lavrov. Il lui a demandé …`)
                    nearer = subject_before(ctx, c.tok.i, c.pronoun, _prev_sent(c.tok) - 1)
                sp = nearer or sp
                if sp is None and c.pronoun.lstrip("-") in {"il", "elle", "lui"}:
                    # (`Selon lui, …` after a named speaker's sentence with no cue)
                    g = "f" if "elle" in c.pronoun else "m"
                    sp = last_person_before(ctx, c.tok.i, g) or _role_before(ctx, c.tok, g)
                    if sp is not None and c.pronoun == "lui" and not (sp.name or "")[:1].isupper():
                        sp = None  # `Selon lui` takes up a named person only
            elif _narrative_infinitive(c.tok) and history:
                sp = history[-1]
            else:
                sp = None
            sps = [sp] if sp is not None else []
        if not sps:
            continue
        out.append((c, sps))
        history.extend(sps)
        positions.extend([c.tok.i] * len(sps))
    return out


def _coordinated_before(
    ctx: DocContext,
    c: Cue,
    out: list[tuple[Cue, list[Speaker]]],
    history: list[Speaker],
    quotes: QuoteIndex | None,
) -> list[Speaker]:
    """A plural pronoun after two coordinated speakers, or a subject `X et Y` outside
    quotations, in this sentence or the one before: all of them."""
    assert c.pronoun is not None
    if not SUBJ_PRONOUNS.get(c.pronoun.lower(), ("", False))[1]:
        return []
    since = _prev_sent(c.tok)
    if out and len(out[-1][1]) >= 2 and sent_of(out[-1][0].tok).start >= since:
        return list(out[-1][1])
    subjects = [
        t
        for t in ctx.doc[since : c.tok.i]
        if t.dep_ == "nsubj"
        and t.pos_ in {"NOUN", "PROPN"}
        and not (quotes is not None and quotes.inside(t.idx))
    ]
    if not subjects or not subjects[-1].conjuncts:
        return []
    last = subjects[-1]
    group = [sp for h in [last, *last.conjuncts] if (sp := resolve_np(ctx, h, history)) is not None]
    return group if len(group) >= 2 else []


def _speakers_of(ctx: DocContext, head: Token) -> list[Speaker]:
    """The members a collective phrase stands for when the text lists them, else its speaker."""
    members = listed_members(ctx, head)
    if members:
        return members
    sp = resolve_np(ctx, head)
    if sp is None:
        return []
    return [sp, *_coordinated_nationalities(ctx, head, sp)]


def _coordinated_nationalities(ctx: DocContext, head: Token, sp: Speaker) -> list[Speaker]:
    """`des responsables américains et britanniques`: one speaker per nationality."""
    out = []
    for adj in head.children:
        if adj.dep_ != "amod" or ctx.kb.nationality(lemma(adj)) != sp.actor:
            continue
        for other in adj.conjuncts:
            actor = ctx.kb.nationality(lemma(other))
            if other.pos_ == "ADJ" and actor and actor != sp.actor:
                name = f"{head.text} {other.text}"
                out.append(Speaker(name, actor, sp.person, sp.gender, sp.plural))
    return out


def _prev_sent(tok: Token) -> int:
    """Start of the sentence before `tok`'s (antecedents further back come from speakers)."""
    start = sent_of(tok).start
    return sent_of(tok.doc[start - 1]).start if start > 0 else 0


def _narrative_infinitive(v: Token) -> bool:
    """`Et d'ajouter : « ... »`: the infinitive takes the last speaker."""
    return "Inf" in v.morph.get("VerbForm", []) and any(
        c.lower_ in {"d'", "d’", "de"} for c in v.children
    )


def resolve_pronoun(word: str, history: list[Speaker], later: list[Speaker]) -> Speaker | None:
    """Antecedent of a subject pronoun: the latest agreeing speaker, else a later one."""
    if word.lower() not in SUBJ_PRONOUNS and word.lower() != "sa":
        return None  # `je`, `nous`, `on` outside a quotation: the writer, not a speaker
    gender, plural = SUBJ_PRONOUNS.get(word.lower(), ("", False))
    for pool in (reversed(history), iter(later)):
        for sp in pool:
            if sp.plural != plural and not (plural and not sp.person):
                continue
            if gender and sp.gender and sp.gender != gender:
                continue
            return sp
    return None


def _role_before(ctx: DocContext, tok: Token, gender: str) -> Speaker | None:
    """`Le chef de l'Otan en visite à Kiev. Il a appelé …`: the office that heads the sentence
    before (a title with no verb of its own) is the one the pronoun takes up."""
    start = sent_of(tok).start
    if start == 0:
        return None
    prev = sent_of(ctx.doc[start - 1])
    for t in (prev.root, *[c for c in prev.root.children if c.dep_ == "nsubj"]):
        if t.pos_ != "NOUN":
            continue
        sp = resolve_np(ctx, t)
        if sp is not None and sp.person and not sp.plural and sp.gender in {"", gender}:
            return sp
    return None


def last_person_before(ctx: DocContext, i: int, gender: str = "") -> Speaker | None:
    """`Celui-ci`, or a pronoun with no earlier speaker: the person named last before `i`."""
    for start, name in reversed(ctx.person_spans):
        if start >= i or not name[:1].isupper():
            continue
        sp = _person(ctx, ctx.full_name(name), "", ctx.doc[start])
        if gender and sp.gender and sp.gender != gender:
            continue
        return sp
    return None


def subject_before(ctx: DocContext, i: int, pronoun: str, since: int) -> Speaker | None:
    """The latest subject naming a person or an actor in (since, i) that the pronoun fits."""
    gender, plural = SUBJ_PRONOUNS.get(pronoun.lower(), ("", False))
    best: tuple[int, Speaker] | None = None
    for m in ctx.mentions:
        if not since < m.start < i:
            continue
        root = ctx.doc[m.start : m.end].root
        if root.dep_ not in {"nsubj", "nsubj:pass"}:
            continue
        if m.person is not None:
            sp = _person(ctx, ctx.full_name(m.person.name), m.person.gender, root)
        elif m.actor:
            g = root.morph.get("Gender", [])
            sp = Speaker(
                np_text(np_tokens(root)) or m.text,
                m.actor,
                False,
                "f" if g == ["Fem"] else ("m" if g else ""),
                root.morph.get("Number", []) == ["Plur"],
            )
        else:
            continue
        if sp.plural != plural or (gender and sp.gender and sp.gender != gender):
            continue
        best = (m.start, sp)
    return best[1] if best else None
