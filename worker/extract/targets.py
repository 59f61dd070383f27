"""Targets: who is warned, who must act, whose demand is rejected, who is accused or offered."""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Token

from .lemmas import lemma
from .actors import Mention
from .speakers import DocContext

TARGETED = {"warning", "demand", "rejection", "accusation", "offer"}
ARG_DEPS = {"obj", "iobj", "obl:arg", "nsubj:pass"}
LOCATIVE = {"à", "en", "dans", "depuis", "vers", "au", "aux"}
CLITIC_OBJ = {"l'", "l’", "le", "la", "les", "lui", "leur"}


def _mention_actor(ctx: DocContext, tok: Token) -> tuple[Mention | None, str | None]:
    """The KB mention covering `tok` and its actor, or a nationality adjective's actor."""
    m = ctx.at.get(tok.i)
    if m is not None:
        return m, m.actor
    if tok.pos_ == "ADJ":
        return None, ctx.kb.nationality(lemma(tok))
    return None, None


def _is_locative(tok: Token) -> bool:
    """`à Berlin`, `en Ukraine`: a place, not an addressee."""
    if tok.dep_ in {"obl:mod", "nmod", "obl"}:
        return any(c.dep_ == "case" and c.lower_ in LOCATIVE for c in tok.children) \
            and tok.dep_ != "obl:arg"
    return False


def actors_in(ctx: DocContext, toks: Iterable[Token], exclude: set[str | None],
              adjectives: bool = True) -> list[str]:
    """Actor codes named among `toks`, in order, skipping places and the speaker's own side."""
    out: list[str] = []
    seen_mentions: set[int] = set()
    for t in toks:
        m, actor = _mention_actor(ctx, t)
        if actor is None or actor in exclude or actor in out:
            continue
        if m is not None:
            if m.start in seen_mentions:
                continue
            seen_mentions.add(m.start)
            head = ctx.doc[m.start:m.end].root
            if _is_locative(head):
                continue
        elif not adjectives:
            continue
        out.append(actor)
    return out


def first_group(ctx: DocContext, toks: list[Token], exclude: set[str | None],
                dative: bool = False) -> list[str]:
    """The first actor named in `toks`, plus those coordinated with it."""
    for t in toks:
        m, actor = _mention_actor(ctx, t)
        if actor is None or actor in exclude or t.pos_ == "ADJ":
            continue
        if m is not None and not dative and _is_locative(ctx.doc[m.start:m.end].root):
            continue
        root = ctx.doc[m.start:m.end].root if m else t
        group = [actor]
        for c in root.conjuncts:
            for a in actors_in(ctx, [c], exclude):
                if a not in group:
                    group.append(a)
        return group
    return []


def _before_de(t: Token) -> bool:
    """`demander à Minsk de …`: an `à X` followed by `de` + infinitive is an addressee."""
    end = max(x.i for x in t.subtree) + 1
    return end < len(t.doc) and t.doc[end].lower_ in {"de", "d'", "d’"}


def addressee(ctx: DocContext, cue: Token, exclude: set[str | None],
              antecedent: str | None) -> list[str]:
    """Actors in the cue's argument slots (`appeler X à`, `avertir X`, `demander à X`)."""
    for c in cue.children:
        if c.dep_ in ARG_DEPS or (c.dep_.startswith("obl") and any(
                g.lower_ in {"à", "au", "aux", "contre", "envers"} for g in c.children)):
            if c.lower_ in CLITIC_OBJ and c.pos_ == "PRON":
                if antecedent and antecedent not in exclude:
                    return [antecedent]
                continue
            dative = any(g.dep_ == "case" and g.lower_ in {"à", "au", "aux"}
                         for g in c.children) and (c.dep_ != "obl:mod" or _before_de(c))
            found = first_group(ctx, [t for t in c.subtree], exclude, dative)
            if found:
                return found
    return []


def content_targets(ctx: DocContext, toks: list[Token], exclude: set[str | None]) -> list[str]:
    """Fallback: the first actor named in the reported content, with its coordinates."""
    group = first_group(ctx, toks, exclude)
    if group:
        return group
    return actors_in(ctx, toks, exclude)[:1]


def last_mention_actor(ctx: DocContext, before: int, exclude: set[str | None]) -> str | None:
    """Antecedent actor for a clitic object (`il l'accuse`): the latest named actor before it."""
    best = None
    for m in ctx.mentions:
        if m.start >= before:
            break
        if m.actor and m.actor not in exclude:
            best = m.actor
    return best


def demand_targets(ctx: DocContext, cue: Token, content: list[Token],
                   exclude: set[str | None]) -> list[str]:
    """Who must act: the subject of the demanded clause, else the owner of what is demanded."""
    inside = {t.i for t in content}
    for t in cue.subtree:
        if t.dep_ in {"nsubj", "nsubj:pass"} and t.head is not cue and t.i in inside:
            found = first_group(ctx, list(t.subtree), exclude, dative=True)
            if found:
                return found
    for c in cue.children:
        if c.dep_ in {"obj", "obl:arg"}:
            found = first_group(ctx, list(c.subtree), exclude)
            if found:
                return found
    return []
