"""Speaker resolution: names, offices in appositions, collectives, pronouns and roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc, Token

from .lemmas import lemma
from .actors import ActorKB, Mention, fold

SUBJ_PRONOUNS = {"il": ("m", False), "elle": ("f", False), "ils": ("m", True),
                 "elles": ("f", True), "-il": ("m", False), "-elle": ("f", False),
                 "-ils": ("m", True), "-elles": ("f", True), "celui-ci": ("m", False),
                 "celle-ci": ("f", False), "ce dernier": ("m", False),
                 "cette dernière": ("f", False), "lui": ("m", False)}
NP_SKIP = {"acl:relcl", "acl", "advcl", "conj", "cc", "punct", "parataxis", "dep", "ccomp",
           "xcomp", "obl:mod", "obl", "mark"}
DETS = {"le", "la", "les", "l'", "l’", "un", "une", "des", "du", "de", "d'", "d’", "ce",
        "cette", "ces", "son", "sa", "ses", "leur", "leurs", "tous", "toutes"}
FEM_NAME_ENDINGS = ("a", "ine", "ie", "ette", "elle", "ès", "ancy", "ise", "ne", "ude", "ice")
MASC_NAMES = {"pierre", "jean", "mike", "george", "joe", "boris", "dmytro", "philippe",
              "stéphane", "jérôme", "antoine", "guillaume", "denys", "oleksandre", "andrea",
              "nikita", "ilya", "luca", "andrzej", "sacha", "mykola", "mustafa", "josé"}


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


@dataclass
class DocContext:
    """Per-document facts shared by the resolvers."""

    doc: Doc
    kb: ActorKB
    when: date | None
    mentions: list[Mention]
    at: dict[int, Mention] = field(default_factory=dict)
    full_names: dict[str, str] = field(default_factory=dict)
    roles: dict[tuple[str, str | None], str] = field(default_factory=dict)
    person_actor: dict[str, str | None] = field(default_factory=dict)
    former: set[str] = field(default_factory=set)
    person_spans: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for m in self.mentions:
            for i in range(m.start, m.end):
                self.at[i] = m
        for ent in self.doc.ents:
            if ent.label_ == "PER":
                self._register_name(ent.text)
                self._register_mention(ent.start, ent.text)
        for m in self.mentions:
            if m.person:
                self._register_name(m.person.name)
                self._register_mention(m.start, m.person.name)
        propns = self.doc.user_data.get("veille_propns")
        if propns is None:
            propns = [t for t in self.doc if t.pos_ == "PROPN"]
        for tok in propns:
            if tok.dep_ != "flat:name" and tok.i not in self.at \
                    and any(c.dep_ == "flat:name" for c in tok.children) \
                    and tok.ent_type_ not in {"ORG", "LOC"}:
                self._register_name(_name_span(tok))
                self._register_mention(tok.i, _name_span(tok))
        self.person_spans.sort()
        # offices given in appositions: `le chancelier allemand Olaf Scholz`
        for tok in propns:
            m = self.at.get(tok.i)
            if tok.dep_ != "flat:name" and (m is None or m.person):
                head = tok.head if tok.dep_ in {"appos", "nmod", "flat:name", "nsubj"} else None
                for cand in (head, *[c for c in tok.children
                                     if c.dep_ in {"appos", "amod", "nmod"}]):
                    if cand is None or cand.pos_ != "NOUN":
                        continue
                    role, actor, former = self.office(cand)
                    if role:
                        name = self.full_name(_name_span(tok))
                        self.roles.setdefault((role, actor), name)
                        self.person_actor.setdefault(fold(name).split()[-1],
                                                     None if former else actor)
                        if former:
                            self.former.add(fold(name).split()[-1])
                        break

    def _register_mention(self, i: int, name: str) -> None:
        self.person_spans.append((i, name))

    def _register_name(self, name: str) -> None:
        name = " ".join(name.replace("M. ", "").replace("Mme ", "").split())
        if not name or not name[0].isupper():
            return
        last = fold(name).split()[-1]
        if len(name.split()) > len(self.full_names.get(last, "").split()):
            self.full_names[last] = name

    def full_name(self, name: str) -> str:
        """The fullest form of a person's name that the text gives."""
        parts = fold(name).split()
        return self.full_names.get(parts[-1], name) if parts else name

    def office(self, head: Token) -> tuple[str | None, str | None, bool]:
        """(role, actor, former) for an NP headed by an office noun."""
        toks = np_tokens(head)
        text = " " + _words(" ".join(t.text for t in toks)) + " "
        head_word = {_words(lemma(head)), _words(head.text)}
        role = None
        best = 0
        for k, r, words in self.kb.office_keys(_words):
            if len(k) > best and head_word & words and (" " + k + " ") in text:
                role, best = r, len(k)
        if role is None:
            return None, None, False
        actor = None
        former = any(fold(t.text).rstrip("-") in self.kb.former or fold(t.text).startswith("ex-")
                     for t in toks)
        for t in toks:
            m = self.at.get(t.i)
            if m and m.actor and m.person is None:
                actor = m.actor
                break
            if t.pos_ == "ADJ" and self.kb.nationality(lemma(t)):
                actor = actor or self.kb.nationality(lemma(t))
        return role, actor, former


def _words(s: str) -> str:
    """Folded words with elided articles split off, for office matching."""
    return " ".join(fold(s).replace("'", "' ").split())


def np_tokens(head: Token) -> list[Token]:
    """The noun phrase of `head` without clauses, conjuncts or parentheticals."""
    out = [head]
    for c in head.children:
        if c.dep_ in NP_SKIP:
            continue
        out.extend(np_tokens(c))
    return sorted(out, key=lambda t: t.i)


def _name_span(tok: Token) -> str:
    """A proper name with its `flat:name` parts."""
    parts = [tok] + [c for c in tok.children if c.dep_ == "flat:name"]
    return " ".join(t.text for t in sorted(parts, key=lambda t: t.i))


def name_gender(name: str) -> str:
    """Guess a person's gender from the first name, for pronoun agreement."""
    first = fold(name).split()[0] if name.split() else ""
    if not first or len(name.split()) < 2 or first in MASC_NAMES:
        return "m" if first in MASC_NAMES else ""
    return "f" if first.endswith(FEM_NAME_ENDINGS) else "m"


def np_text(toks: list[Token]) -> str:
    """Written form of a collective speaker, without its leading article."""
    if toks:
        # keep the stretch around the head only: no gaps, no trailing clause
        run = [toks[0]]
        for t in toks[1:]:
            if t.i != run[-1].i + 1 or t.text in {",", "(", ")", "–", "—"}:
                break
            run.append(t)
        toks = run
    while toks and (toks[0].lower_ in DETS or toks[0].pos_ in {"DET", "ADP", "PUNCT"}):
        toks = toks[1:]
    while toks and toks[-1].pos_ == "PUNCT":
        toks = toks[:-1]
    return "".join(t.text_with_ws for t in toks).strip()


def resolve_np(ctx: DocContext, head: Token,
               history: list[Speaker] | None = None) -> Speaker | None:
    """Resolve a nominal subject to a speaker, or None when it cannot speak."""
    toks = np_tokens(head)
    gender = "f" if head.morph.get("Gender") == ["Fem"] else ("m" if head.morph.get("Gender") else "")
    for t in toks:
        if t.pos_ == "DET" and t.morph.get("Gender"):
            gender = "f" if t.morph.get("Gender") == ["Fem"] else "m"
            break
    plural = head.morph.get("Number") == ["Plur"]
    # a named person, possibly with an office in apposition
    for t in toks:
        m = ctx.at.get(t.i)
        if m and m.person:
            return _person(ctx, ctx.full_name(m.person.name), m.person.gender, head)
    lo, hi = toks[0].i, toks[-1].i
    run_end = head.i
    while run_end + 1 < len(ctx.doc) and run_end + 1 <= hi and \
            ctx.doc[run_end + 1].text not in {",", "(", "–"}:
        run_end += 1
    doc = ctx.doc
    for start, name in ctx.person_spans:
        if start < lo - 1 or start > max(hi, run_end + 2):
            continue
        adjacent = start == run_end + 1 or (start == run_end + 2 and doc[run_end + 1].text == ",")
        if len(name.split()) >= 2 and ctx.at.get(start) is None \
                and (adjacent or (lo <= start <= hi and _apposed(doc[start], head))):
            name = ctx.full_name(name)
            return _person(ctx, name, name_gender(name) or gender, head)
    for t in toks:
        m = ctx.at.get(t.i)
        if not _apposed(t, head):
            continue
        named = t.pos_ == "PROPN" or any(c.dep_ == "flat:name" for c in t.children)
        if (t.ent_type_ == "PER" or named) and m is None and t.dep_ != "flat:name" \
                and t.text[:1].isupper() and t.ent_type_ != "ORG":
            name = ctx.full_name(_name_span(t))
            if len(name.split()) >= 2 or t.ent_type_ in {"PER", ""} or t.head.pos_ == "NOUN":
                return _person(ctx, name, name_gender(name) or gender, head)
    # a collective: state, capital, metonym, organisation
    role, actor, former = ctx.office(head) if head.pos_ in {"NOUN", "PROPN"} else (None, None, False)
    hm = ctx.at.get(head.i)
    if hm and hm.actor and not role:
        return Speaker(np_text(toks) or hm.text, hm.actor, False, gender, plural)
    definite = _definite(head)
    if role:
        if role in {"body", "official"}:
            return Speaker(np_text(toks), None if former else actor, False, gender, plural)
        if not former and not plural:
            named = ctx.roles.get((role, actor)) or _kb_role(ctx, role, actor)
            if named is None and definite:
                named = _anaphor(ctx, head, gender, actor, history)
            if named:
                return _person(ctx, named, "", head)
        text = np_text(toks)
        return Speaker(text[:1].lower() + text[1:], None if former else actor, True,
                       gender, plural)
    head_lemma = fold(lemma(head))
    if head_lemma in ctx.kb.unaffiliated or fold(head.text) in ctx.kb.unaffiliated:
        if definite and not plural:
            named = _anaphor(ctx, head, gender, None, history)
            if named:
                return _person(ctx, named, "", head)
        return Speaker(np_text(toks), None, not plural, gender, plural)
    if head.ent_type_ == "ORG" or (head.pos_ == "PROPN" and head.ent_type_ in {"ORG", "MISC"}):
        return Speaker(np_text(toks), None, False, gender, plural)
    return None


def _apposed(t: Token, head: Token) -> bool:
    """The name is the head itself or stands in apposition to it (no preposition)."""
    while t is not head and t.head is not t:
        if t.dep_ not in {"appos", "flat:name", "nmod", "flat", "compound"} or any(
                c.dep_ == "case" for c in t.children):
            return False
        t = t.head
    return t is head


def _kb_role(ctx: DocContext, role: str, actor: str | None) -> str | None:
    """A KB person who held `role` for `actor`: one named in the text first, else a unique one."""
    if actor is None:
        return None
    hits = [p for p in ctx.kb.people.values()
            if (o := p.office_at(ctx.when)) and o.role == role and o.actor == actor]
    named = [p for p in hits if fold(p.name).split()[-1] in ctx.full_names]
    if named:
        return named[0].name
    return hits[0].name if len(hits) == 1 else None


def _definite(head: Token) -> bool:
    """`le président`, `la syndicaliste`: a definite singular description points back."""
    return any(c.dep_ == "det" and c.lower_ in {"le", "la", "l'", "l’", "ce", "cette"}
               for c in head.children)


def _anaphor(ctx: DocContext, head: Token, gender: str, actor: str | None,
             history: list[Speaker] | None) -> str | None:
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
        return Speaker(name, None, True, gender or (kbp.gender if kbp else "") or
                       name_gender(name), False)
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


def resolve_pronoun(word: str, history: list[Speaker], later: list[Speaker]) -> Speaker | None:
    """Antecedent of a subject pronoun: the latest agreeing speaker, else a later one."""
    gender, plural = SUBJ_PRONOUNS.get(word.lower(), ("", False))
    for pool in (reversed(history), iter(later)):
        for sp in pool:
            if sp.plural != plural and not (plural and not sp.person):
                continue
            if gender and sp.gender and sp.gender != gender:
                continue
            return sp
    return None


def last_person_before(ctx: DocContext, i: int, gender: str = "") -> Speaker | None:
    """`Celui-ci`, or a pronoun with no earlier speaker: the person named last before `i`."""
    for start, name in reversed(ctx.person_spans):
        if start >= i:
            continue
        sp = _person(ctx, ctx.full_name(name), "", ctx.doc[start])
        if gender and sp.gender and sp.gender != gender:
            continue
        return sp
    return None
