"""Targets: who is warned, who must act, whose demand is rejected, who is accused or offered."""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Token

from .actors import Mention, fold
from .parties import calming, sides, sides_noun
from .pipeline import lemma
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
    if tok.pos_ == "NOUN" and tok.dep_ not in {"amod", "flat:name"}:
        role, actor, former = ctx.office(tok)
        if role and actor and not former:
            return None, actor  # `au président russe`
    return None, None


# groups whose seat is a place one speaks at (`a déclaré à l'ONU`)
SEATS = {"NATO", "UN", "EU"}


def _is_locative(tok: Token) -> bool:
    """`à Berlin`, `en Ukraine`: a place, not an addressee."""
    if tok.dep_ in {"obl:mod", "nmod", "obl"}:
        return (
            any(
                c.dep_ == "case"
                and c.lower_ in LOCATIVE
                and not any(f.dep_ == "fixed" for f in c.children)  # `à nouveau`
                for c in tok.children
            )
            and tok.dep_ != "obl:arg"
        )
    return False


def actors_in(
    ctx: DocContext, toks: Iterable[Token], exclude: set[str | None], adjectives: bool = True
) -> list[str]:
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
            head = ctx.doc[m.start : m.end].root
            if m.person is None and _is_locative(head):
                continue  # `à Berlin` is a place, `à Vladimir Poutine` a person
        elif not adjectives:
            continue
        out.append(actor)
    return out


def first_group(
    ctx: DocContext, toks: list[Token], exclude: set[str | None], dative: bool = False
) -> list[str]:
    """The first actor named in `toks`, plus those coordinated with it."""
    for t in toks:
        m, actor = _mention_actor(ctx, t)
        if actor is None or actor in exclude or t.pos_ == "ADJ":
            continue
        if m is not None and not dative and _is_locative(ctx.doc[m.start : m.end].root):
            continue
        root = ctx.doc[m.start : m.end].root if m else t
        group = [actor]
        for c in root.conjuncts:
            for a in actors_in(ctx, [c], exclude):
                if a not in group:
                    group.append(a)
        for a in _and_next(ctx, m.end if m else t.i + 1):
            if a not in group and a not in exclude:
                group.append(a)  # `les Etats-Unis et l'Otan`, the second parsed elsewhere
        allies = _their_allies(ctx, m.end if m else t.i + 1, actor)
        if allies and allies not in group and allies not in exclude:
            group.append(allies)
        return group
    return []


# whose allies `ses alliés` are: NATO's members' allies are NATO, Kiev's are the West
NATO_MEMBERS = {
    "USA",
    "GBR",
    "FRA",
    "DEU",
    "POL",
    "CAN",
    "ITA",
    "ESP",
    "NLD",
    "BEL",
    "NOR",
    "DNK",
    "LTU",
    "LVA",
    "EST",
    "ROU",
    "TUR",
    "CZE",
    "SVK",
    "HUN",
    "PRT",
    "GRC",
    "BGR",
    "FIN",
    "SWE",
}


def _and_next(ctx: DocContext, end: int) -> list[str]:
    """The actor named right after `et` that follows a mention (`X et l'Otan`)."""
    doc = ctx.doc
    if end + 1 >= len(doc) or doc[end].lower_ != "et":
        return []
    i = end + 1
    if doc[i].pos_ == "DET":
        i += 1
    m = ctx.at.get(i) if i < len(doc) else None
    return [m.actor] if m is not None and m.actor and m.person is None else []


def own_allies(cue: Token, actor: str | None) -> list[str]:
    """`l'Ukraine appelle ses alliés à …`: Kiev's allies are the West, a member's NATO."""
    if actor is None:
        return []
    for c in cue.children:
        if (
            c.dep_ in {"obj", "obl:arg", "iobj", "obl"}
            and lemma(c).lower() in {"allié", "alliés"}
            and any(d.lower_ in {"ses", "leurs", "nos"} for d in c.children)
        ):
            allies = allies_of(actor)
            return [allies] if allies else []
    return []


def _their_allies(ctx: DocContext, end: int, actor: str) -> str | None:
    """`Washington et ses alliés`, `Kiev et ses alliés occidentaux`: the allies' code."""
    doc = ctx.doc
    if end + 2 >= len(doc) or doc[end].lower_ != "et":
        return None
    if doc[end + 1].lower_ not in {"ses", "leurs", "de"} or lemma(doc[end + 2]) != "allié":
        return None
    if end + 3 < len(doc) and lemma(doc[end + 3]) == "occidental":
        return "WEST"
    return allies_of(actor)


def allies_of(actor: str) -> str | None:
    """Whose allies `ses alliés` are: Kiev's are the West, a NATO member's NATO."""
    if actor == "UKR":
        return "WEST"
    return "NATO" if actor in NATO_MEMBERS else None


def _addressed_country(ctx: DocContext, t: Token) -> bool:
    """`réclamer un couloir à la Russie`: one is `en` a country, so `à la`/`à l'` + a state's
    name addresses it (`à l'Elysée`, `à l'ONU` may be where one speaks)."""
    m = ctx.at.get(t.i)
    if t.pos_ != "PROPN" or m is None or m.actor is None or m.actor in SEATS:
        return False
    country = (ctx.kb.display.get(m.actor) or "-").split()[-1]
    return fold(m.text.split()[-1]) == fold(country) and any(
        c.dep_ == "det" and c.lower_ in {"la", "l'", "l’"} for c in t.children
    )


def _before_de(t: Token) -> bool:
    """`demander à Minsk de …`: an `à X` followed by `de` + infinitive is an addressee."""
    end = max(x.i for x in t.subtree) + 1
    return end < len(t.doc) and t.doc[end].lower_ in {"de", "d'", "d’"}


def addressee(
    ctx: DocContext,
    cue: Token,
    exclude: set[str | None],
    antecedent: str | None,
    skip: frozenset[int] = frozenset(),
) -> list[str]:
    """Actors in the cue's argument slots (`appeler X à`, `avertir X`, `demander à X`)."""
    for c in cue.children:
        if c.i in skip:
            continue
        nominal_arg = (
            c.i > cue.i
            and c.pos_ in {"PROPN", "NOUN"}
            and c.dep_ in {"advmod", "nmod", "appos", "obl:arg"}
        )
        if (
            c.dep_ in ARG_DEPS
            or nominal_arg
            or (
                c.dep_.startswith("obl")
                and any(g.lower_ in {"à", "au", "aux", "envers"} for g in c.children)
            )
        ):
            if c.lower_ in CLITIC_OBJ and c.pos_ == "PRON":
                if antecedent and antecedent not in exclude:
                    return [antecedent]
                continue
            dative = any(
                g.dep_ == "case" and g.lower_ in {"à", "au", "aux"} for g in c.children
            ) and (c.dep_ != "obl:mod" or _before_de(c) or _addressed_country(ctx, c))
            # the addressee is the argument itself (`appeler Moscou à`, `avertir les alliés`),
            # not something named inside what is asked for (`réclamer l'abandon des sanctions
            # prises contre X`)
            head_only = [
                t
                for t in c.subtree
                if t.i == c.i
                or (t.head.i == c.i and t.dep_ in {"flat:name", "amod", "appos", "conj", "det"})
            ]
            found = first_group(ctx, head_only, exclude, dative)
            if found:
                return found
            if sides_noun(c):
                # `appeler toutes les parties à …`, `les deux camps`: the sides the text names
                found = sides(ctx, cue.sent, exclude)
                if found:
                    return found
    return []


def named_next(ctx: DocContext, cue: Token, exclude: set[str | None]) -> list[str]:
    """`somme Kiev de …`, `presse Israël d'…`: an actor named right after the cue, before the
    `de`/`à` of what is asked, is the one asked (whatever the parse made of it)."""
    m = ctx.at.get(cue.i + 1) or (ctx.at.get(cue.i + 2) if cue.i + 2 < len(ctx.doc) else None)
    if m is None or m.actor in exclude or m.start > cue.i + 2:
        return []
    if m.end < len(ctx.doc) and ctx.doc[m.end].lower_ in {"de", "d'", "d’", "à"}:
        return [m.actor] if m.actor else []
    return []


def doer_of(ctx: DocContext, cue: Token, exclude: set[str | None]) -> list[str]:
    """`dénonce les frappes russes`, `condamne l'agression russe`: the act blamed, named by
    its doer's adjective, blames the doer (not the place it struck)."""
    for c in cue.children:
        if c.dep_ == "obj" and c.pos_ == "NOUN" and c.i > cue.i:
            for a in c.children:
                if a.dep_ == "amod" and a.pos_ == "ADJ":
                    actor = ctx.kb.nationality(lemma(a))
                    if actor and actor not in exclude:
                        return [actor]
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


def _owner_chain(t: Token, cases: set[str] | None = None) -> list[Token]:
    """`des réponses des Occidentaux`: the NP and its `de X` complements, nothing else."""
    cases = OWNER_CASES if cases is None else cases
    out = [t]
    for c in t.children:
        if c.dep_ in {"det", "amod", "flat:name", "appos"}:
            out.append(c)
        elif c.dep_ == "nmod" and any(g.dep_ == "case" and g.lower_ in cases for g in c.children):
            out.extend(_owner_chain(c, cases))
    return sorted(out, key=lambda x: x.i)


OWNER_CASES = {"de", "du", "des", "d'", "d’"}


def demand_targets(
    ctx: DocContext,
    cue: Token,
    content: list[Token],
    exclude: set[str | None],
    other_cues: frozenset[int] = frozenset(),
) -> list[str]:
    """Who must act: the subject of the demanded clause, else the owner of what is demanded."""
    # the demanded clause is under the cue, or around it for `selon` and incises
    under = {t.i for t in cue.subtree}
    scope = [t for t in content if t.i in under]
    if not any(t.i > cue.i and not t.is_punct for t in scope):
        # `selon X, …` heads nothing; an incise (`« … », a-t-il dit`) follows what it reports
        scope = content
    for t in scope:
        if t.dep_ in {"nsubj", "nsubj:pass"} and t.head.i != cue.i and t.head.i not in other_cues:
            found = first_group(ctx, list(t.subtree), exclude, dative=True)
            if found:
                return found
    for c in cue.children:
        joined = _joined(c)
        if joined is not None:
            # `demander à rejoindre l'Otan`, `demander son entrée dans l'Otan`: who admits
            found = first_group(ctx, list(joined.subtree), exclude, dative=True)
            if found:
                return found
    for c in cue.children:
        if c.dep_ == "obj":
            for g in c.children:
                # `réclamer une enquête à la Russie`: the addressee hangs on what is asked
                if g.dep_ in {"nmod", "obl"} and g.i > c.i and _dative(g):
                    found = first_group(ctx, list(g.subtree), exclude, dative=True)
                    if found:
                        return found
        if c.dep_ in {"obj", "obl:arg"} or (
            c.dep_ == "obl:mod" and c.pos_ == "NOUN" and not _is_locative(c)
        ):
            # `réclamer l'aide de Moscou`, `réclamer un cessez-le-feu de la Russie`
            found = first_group(ctx, _owner_chain(c), exclude)
            if found:
                return found
            # `la levée des sanctions occidentales`, `la nécessité pour la Russie de …`
            chain = _owner_chain(c, cases=OWNER_CASES | {"pour"}) if c.dep_ == "obj" else []
            found = actors_in(ctx, chain, exclude)
            if found:
                return found[:1]
        if (
            c.dep_ in {"obl", "obl:mod", "obl:arg"}
            and c.pos_ == "PROPN"
            and c.i > cue.i
            and any(g.dep_ == "case" and g.lower_ in OWNER_CASES for g in c.children)
        ):
            found = first_group(ctx, [c, *c.children], exclude)  # `réclamer X de Kiev`
            if found:
                return found
    for t in scope:
        # `l'heure est venue pour les Etats-Unis de …`, `il est temps pour Moscou de …`
        if any(g.dep_ == "case" and g.lower_ == "pour" for g in t.children) and _before_de(t):
            found = first_group(ctx, list(t.subtree), exclude, dative=True)
            if found:
                return found
    need = any(c.dep_ == "obj" and lemma(c).lower() in NEED_NOUNS for c in cue.children)
    for c in cue.children if need else ():
        # `souligner la nécessité pour la Russie de …`, the `pour X` parsed onto the verb
        if c.dep_.startswith("obl") and any(g.lower_ == "pour" for g in c.children):
            found = first_group(ctx, [c, *c.children], exclude, dative=True)
            if found:
                return found
    if calming(cue):
        # `appeler à la retenue (entre X et Y)`: both sides, as the sentence or title names them
        return sides(ctx, cue.sent, exclude)
    return []


NEED_NOUNS = {"nécessité", "obligation", "besoin", "urgence"}


def _dative(t: Token) -> bool:
    """`à la Russie`, `aux Occidentaux`: an `à` complement."""
    return any(
        g.dep_ == "case" and g.lower_ in {"à", "au", "aux"} and not list(g.children)
        for g in t.children
    )


# joining: what is asked is to be let in, so the one who admits must act
JOINING_VERBS = {"rejoindre", "adhérer", "intégrer", "entrer", "accéder", "admettre"}
JOINING_NOUNS = {"entrée", "adhésion", "intégration", "admission", "accession", "candidature"}


def _joined(c: Token) -> Token | None:
    """The organisation in `à rejoindre X`, `son entrée dans X`, `l'adhésion de Y à X`."""
    if c.dep_ in {"xcomp", "ccomp", "advcl"} and lemma(c) in JOINING_VERBS:
        for g in c.children:
            if g.dep_ in {"obj", "obl:arg", "obl:mod", "obl", "iobj"}:
                return g
    if c.dep_ in {"obj", "obl:arg", "obl:mod"} and lemma(c).lower() in JOINING_NOUNS:
        for g in c.children:
            if g.dep_ == "nmod" and any(
                x.dep_ == "case" and x.lower_ in {"à", "au", "dans", "en"} for x in g.children
            ):
                return g
    return None


# what only the other side can grant: asking for it asks the other side
GRANTED_NOUNS = {
    "arrêt",
    "fin",
    "levée",
    "retrait",
    "cessez-le-feu",
    "couloir",
    "garantie",
    "réponse",
    "libération",
    "extradition",
    "restitution",
    "départ",
    "trêve",
    "sortie",
    "évacuation",
}


def asks_the_other_side(cue: Token) -> bool:
    """`réclamer la levée des sanctions`, `exiger l'arrêt de la guerre`: a thing granted."""
    return any(
        c.dep_ in {"obj", "obl:arg"} and lemma(c).lower() in GRANTED_NOUNS for c in cue.children
    )


def salient_counterpart(ctx: DocContext, exclude: set[str | None]) -> list[str]:
    """A warning or offer with no named addressee: the other side the text is mostly about."""
    counts: dict[str, int] = {}
    for m in ctx.mentions:
        if m.actor and m.actor not in exclude and m.person is None:
            counts[m.actor] = counts.get(m.actor, 0) + 1
    if not counts:
        return []
    actor, n = max(counts.items(), key=lambda kv: kv[1])
    return [actor]


def condition_subject(ctx: DocContext, content: list[Token], exclude: set[str | None]) -> list[str]:
    """`si elle décide …`: in a warning, the one the condition is about is the one warned."""
    for t in content:
        if t.lower_ in {"si", "s'", "s’"} and t.dep_ == "mark":
            for c in t.head.children:
                if c.dep_ in {"nsubj", "nsubj:pass"}:
                    if c.pos_ == "PRON":
                        if c.lower_ not in {"il", "elle", "ils", "elles"}:
                            return []
                        ante = last_mention_actor(ctx, c.i, exclude)
                        return [ante] if ante else []
                    return first_group(ctx, list(c.subtree), exclude, dative=True)
    return []
