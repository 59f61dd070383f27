"""Speaker resolution: names, offices in appositions, collectives, pronouns and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc, Token

from .actors import Mention, fold
from .context import DocContext, _name_span, np_tokens
from .pipeline import lemma

DETS = {
    "le",
    "la",
    "les",
    "l'",
    "l’",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d'",
    "d’",
    "ce",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
    "leur",
    "leurs",
    "tous",
    "toutes",
}
# prepositions of place and time: they end a speaker's description
CIRCUMSTANCE = {
    "devant",
    "lors",
    "pendant",
    "durant",
    "depuis",
    "dans",
    "sur",
    "sous",
    "avant",
    "après",
    "face",
    "malgré",
}
FEM_NAME_ENDINGS = ("a", "ine", "ie", "ette", "elle", "ès", "ancy", "ise", "ne", "ude", "ice")
MASC_NAMES = {
    "pierre",
    "jean",
    "mike",
    "george",
    "joe",
    "boris",
    "dmytro",
    "philippe",
    "stéphane",
    "jérôme",
    "antoine",
    "guillaume",
    "denys",
    "oleksandre",
    "andrea",
    "nikita",
    "ilya",
    "luca",
    "andrzej",
    "sacha",
    "mykola",
    "mustafa",
    "josé",
}


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker: display name, actor code, and what coreference needs."""

    name: str | None
    actor: str | None
    person: bool
    gender: str = ""
    plural: bool = False

    @property
    def key(self) -> str:
        """Identity for deduplication: last name for persons, actor or name otherwise."""
        if self.person and self.name and self.name[:1].isupper():
            return "p:" + fold(self.name).split()[-1]
        return "c:" + (self.actor or fold(self.name or ""))


def name_gender(name: str) -> str:
    """Guess a person's gender from the first name, for pronoun agreement."""
    first = fold(name).split()[0] if name.split() else ""
    if not first or len(name.split()) < 2 or first in MASC_NAMES:
        return "m" if first in MASC_NAMES else ""
    return "f" if first.endswith(FEM_NAME_ENDINGS) else "m"


def np_text(toks: list[Token]) -> str:
    """Written form of a collective speaker, without its leading article."""
    # a leading preposition (`D'après le ministère`) is no part of the name
    while toks and toks[0].pos_ == "ADP":
        toks = toks[1:]
    if toks:
        # keep the stretch around the head only: no gaps, no trailing clause
        run = [toks[0]]
        for t in toks[1:]:
            if t.i != run[-1].i + 1 or t.text in {",", "(", ")", "–", "—"}:
                break
            if t.lower_ in CIRCUMSTANCE:
                break  # `la romancière devant le Parlement`: where she spoke, not who
            run.append(t)
        toks = run
    while toks and (toks[0].lower_ in DETS or toks[0].pos_ in {"DET", "ADP", "PUNCT"}):
        toks = toks[1:]
    while toks and toks[-1].pos_ == "PUNCT":
        toks = toks[:-1]
    return "".join(t.text_with_ws for t in toks).strip()


def _misread_name(ctx: DocContext, head: Token) -> bool:
    """`Dmitri Peskov` tagged ADJ + flat:name: a capitalised first name, not an adjective."""
    return head.text[:1].isupper() and (
        head.i in ctx.at or any(c.dep_ == "flat:name" for c in head.children)
    )


def resolve_np(
    ctx: DocContext, head: Token, history: list[Speaker] | None = None
) -> Speaker | None:
    """Resolve a nominal subject to a speaker, or None when it cannot speak."""
    if head.pos_ == "ADJ" and not _misread_name(ctx, head):
        # `l'affirmation russe`, `les accusations occidentales`: the adjective's actor
        actor = ctx.kb.nationality(lemma(head))
        return (
            Speaker(ctx.kb.display.get(actor, head.text), actor, False, "", False)
            if actor
            else None
        )
    toks = np_tokens(head)
    gender = (
        "f"
        if head.morph.get("Gender", []) == ["Fem"]
        else ("m" if head.morph.get("Gender", []) else "")
    )
    for t in toks:
        if t.pos_ == "DET" and t.morph.get("Gender", []):
            gender = "f" if t.morph.get("Gender", []) == ["Fem"] else "m"
            break
    plural = head.morph.get("Number", []) == ["Plur"]
    # a named person, possibly with an office in apposition
    for t in toks:
        m = ctx.at.get(t.i)
        if m and m.person and (t.i == m.start and _apposed(ctx.doc[m.start : m.end].root, head)):
            return _person(ctx, ctx.full_name(m.person.name), m.person.gender, head)
    lo, hi = toks[0].i, toks[-1].i
    run_end = head.i
    while (
        run_end + 1 < len(ctx.doc)
        and run_end + 1 <= hi
        and ctx.doc[run_end + 1].text not in {",", "(", "–"}
    ):
        run_end += 1
    doc = ctx.doc
    after = run_end + 2
    if after < len(doc) and doc[run_end + 1].text == ",":
        m = ctx.at.get(after)
        if m is not None and m.person and m.start == after and _closed_apposition(doc, m.end):
            # `le numéro deux du Conseil de sécurité russe, Dmitri Medvedev, a menacé`
            return _person(ctx, ctx.full_name(m.person.name), m.person.gender, head)
    for start, name in ctx.person_spans:
        if start < lo - 1 or start > max(hi, run_end + 2):
            continue
        adjacent = start == run_end + 1 or (start == run_end + 2 and doc[run_end + 1].text == ",")
        if (
            len(name.split()) >= 2
            and ctx.at.get(start) is None
            and (adjacent or (lo <= start <= hi and _apposed(doc[start], head)))
        ):
            name = ctx.full_name(name)
            return _person(ctx, name, name_gender(name) or gender, head)
    for t in toks:
        m = ctx.at.get(t.i)
        if not _apposed(t, head):
            continue
        is_name = t.pos_ == "PROPN" or any(c.dep_ == "flat:name" for c in t.children)
        if (
            (t.ent_type_ == "PER" or is_name)
            and m is None
            and t.dep_ != "flat:name"
            and t.text[:1].isupper()
            and t.ent_type_ != "ORG"
        ):
            name = ctx.full_name(_name_span(t))
            if len(name.split()) >= 2 or t.ent_type_ in {"PER", ""} or t.head.pos_ == "NOUN":
                return _person(ctx, name, name_gender(name) or gender, head)
    # `le philosophe et chercheur Pierre Musso`: two nouns under one article, one person
    for c in head.children:
        if (
            c.dep_ == "conj"
            and c.pos_ == "NOUN"
            and c.i > head.i
            and not any(d.dep_ == "det" for d in c.children)
        ):
            sp = resolve_np(ctx, c, history)
            if sp is not None and sp.person and sp.name and sp.name[:1].isupper():
                return sp
    # a collective: state, capital, metonym, organisation
    role, actor, former = (
        ctx.office(head) if head.pos_ in {"NOUN", "PROPN"} else (None, None, False)
    )
    if role and actor is None:
        actor = ctx.owner(head)  # `l'Otan …, selon son secrétaire général`
    hm = ctx.at.get(head.i)
    if hm and hm.actor and not role:
        # `le Sénat américain`, `le Conseil de sécurité russe`: the adjective says whose body
        owners = [head, *ctx.doc[hm.start : hm.end]]
        adj = next(
            (
                a
                for t in owners
                for c in t.children
                if c.dep_ == "amod" and c.i >= hm.end and (a := ctx.kb.nationality(lemma(c)))
            ),
            None,
        )
        return Speaker(np_text(toks) or hm.text, adj or hm.actor, False, gender, plural)
    definite = _definite(head)
    if role == "press":
        return Speaker(np_text(toks), None, False, gender, plural)
    if role:
        if role in {"body", "official"}:
            return Speaker(np_text(toks), None if former else actor, False, gender, plural)
        if not plural:
            named = (
                None
                if former
                else (ctx.roles.get((role, actor)) or _kb_role(ctx, role, actor, gender))
            )
            if named is None and definite:
                named = _anaphor(ctx, head, gender, None if former else actor, history)
            if named:
                sp = _person(ctx, named, "", head)
                return Speaker(sp.name, None, True, sp.gender) if former else sp
        text = np_text(toks)
        return Speaker(text[:1].lower() + text[1:], None if former else actor, True, gender, plural)
    head_lemma = fold(lemma(head))
    if head_lemma in ctx.kb.unaffiliated or fold(head.text) in ctx.kb.unaffiliated:
        if definite and not plural:
            named = _anaphor(ctx, head, gender, None, history)
            if named:
                return _person(ctx, named, "", head)
        return Speaker(np_text(toks), None, not plural, gender, plural)
    if (
        head.ent_type_ == "ORG"
        or head.pos_ in {"PROPN", "X"}
        or (
            head.text[:1].isupper()
            and head.i > 0
            and not ctx.doc[head.i - 1].is_sent_end
            and not head.is_sent_start
        )
    ):
        # an unknown organisation or outlet written with a capital (`l'Associated Press`)
        return Speaker(np_text(toks), None, False, gender, plural)
    return None


def _closed_apposition(doc: Doc, end: int) -> bool:
    """The name after the comma is closed by another comma (or ends the subject)."""
    return end < len(doc) and doc[end].text in {",", "("}


def _apposed(t: Token, head: Token) -> bool:
    """The name is the head itself or stands in apposition to it (no preposition)."""
    while t.i != head.i and t.head.i != t.i:
        # `le numéro deux du Conseil, Dmitri Medvedev,`: a conjunct with no `et` is apposed
        comma_conj = t.dep_ == "conj" and not any(c.dep_ == "cc" for c in t.children)
        if (
            t.dep_ not in {"appos", "flat:name", "nmod", "flat", "compound"} and not comma_conj
        ) or any(c.dep_ == "case" for c in t.children):
            return False
        t = t.head
    return t.i == head.i


# offices a state has many holders of at once: the KB's one holder is not the text's
GENERIC_ROLES = {"minister", "official", "member", "diplomat", "adviser", "commander", "envoy"}


def _kb_role(ctx: DocContext, role: str, actor: str | None, gender: str = "") -> str | None:
    """A KB person who held `role` for `actor`: one named in the text first, else a unique one
    (`la porte-parole` of two spokespeople: the woman)."""
    hits = [
        p
        for p in ctx.kb.people.values()
        if (o := p.office_at(ctx.when)) and o.role == role and (actor is None or o.actor == actor)
    ]
    if len(hits) > 1 and gender and actor is not None:
        hits = [p for p in hits if p.gender == gender] or hits
    named = [p for p in hits if fold(p.name).split()[-1] in ctx.full_names]
    if actor is None:
        # `le chancelier` with no country: the one holder of that office the text names
        return named[0].name if len(named) == 1 else None
    if named:
        return named[0].name
    if role in GENERIC_ROLES:
        return None  # `le ministre délégué …`: a state has many; only a name says which
    if len(hits) > 1 and ctx.when is None and (year := ctx.latest_year()):
        # an undated text: the holder in office in the latest year it names
        on = date(year, 7, 1)
        hits = [p for p in hits if (o := p.office_at(on)) and o.role == role and o.actor == actor]
    return hits[0].name if len(hits) == 1 else None


def _definite(head: Token) -> bool:
    """`le président`, `la syndicaliste`: a definite singular description points back."""
    return any(
        c.dep_ == "det" and c.lower_ in {"le", "la", "l'", "l’", "ce", "cette"}
        for c in head.children
    )


def _anaphor(
    ctx: DocContext, head: Token, gender: str, actor: str | None, history: list[Speaker] | None
) -> str | None:
    """The latest named person speaker this description can refer to."""
    for sp in reversed(history or []):
        if not sp.person or not sp.name or not sp.name[:1].isupper():
            continue
        if gender and sp.gender and sp.gender != gender:
            continue
        if actor is not None and sp.actor != actor:
            continue
        return sp.name
    return None


def _person(ctx: DocContext, name: str, gender: str, head: Token) -> Speaker:
    """Build a person speaker, taking the actor from the KB, else from the text's offices."""
    kbp = ctx.kb.person(name)
    actor = None
    if fold(name).split()[-1] in ctx.former:
        return Speaker(
            name, None, True, gender or (kbp.gender if kbp else "") or name_gender(name), False
        )
    if kbp and fold(kbp.name).split()[-1] == fold(name).split()[-1]:
        office = kbp.office_at(ctx.when)
        actor = office.actor if office else None
        gender = gender or kbp.gender
    else:
        actor = ctx.person_actor.get(fold(name).split()[-1])
        for t in [head, *np_tokens(head)]:
            if t.pos_ != "NOUN":
                continue
            role, a, former = ctx.office(t)
            if former:
                actor = None
                break
            if role and a:
                actor = a
                break
    return Speaker(name, actor, True, gender or name_gender(name), False)


NUMBERS = {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8}
LIST_GLUE = {",", "et", "la", "le", "les", "l'", "l’"}
# plural nouns that stand for listed states (`les trois pays alliés`), not for people
MEMBER_NOUNS = {
    "pays",
    "puissance",
    "capitale",
    "allié",
    "état",
    "etat",
    "gouvernement",
    "nation",
    "membre",
    "partenaire",
    "voisin",
}


def listed_members(ctx: DocContext, head: Token) -> list[Speaker]:
    """`les trois pays alliés` when the text lists three actors (`Washington, Paris et
    Londres`): one speaker per member named, the list nearest to the phrase."""
    if head.pos_ != "NOUN" or head.morph.get("Number", []) != ["Plur"]:
        return []
    if lemma(head).lower() not in MEMBER_NOUNS and head.lower_ not in MEMBER_NOUNS:
        return []
    count = next(
        (
            NUMBERS.get(c.lower_) or (int(c.text) if c.text.isdigit() else 0)
            for c in head.children
            if c.dep_ == "nummod"
        ),
        0,
    )
    if count < 2:
        return []
    doc = ctx.doc
    runs: list[list[Mention]] = []
    for m in sorted(ctx.mentions, key=lambda m: m.start):
        if not m.actor or m.person is not None:
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and all(t.lower_ in LIST_GLUE for t in doc[last.end : m.start]):
            runs[-1].append(m)
        else:
            runs.append([m])
    fits = [r for r in runs if len(r) == count and len({m.actor for m in r}) == count]
    if not fits:
        return []
    best = min(fits, key=lambda r: min(abs(r[0].start - head.i), abs(r[-1].end - head.i)))
    return [Speaker(m.text, m.actor, False, "", False) for m in best]
