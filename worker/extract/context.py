"""Per-document facts shared by the resolvers: KB mentions, full names, offices in appositions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc, Token

from .actors import ActorKB, Mention, fold
from .pipeline import lemma

OFFICE_PREFIXES = ("ex-", "vice-")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
POSSESSIVES = {"son", "sa", "ses", "leur", "leurs"}
# bodies within a state whose chairs are not its head (`président du comité …`)
SUB_BODIES = {"comite", "groupe", "parti", "commission", "sous-commission", "fraction"}
NP_SKIP = {
    "acl:relcl",
    "acl",
    "advcl",
    "conj",
    "cc",
    "punct",
    "parataxis",
    "dep",
    "ccomp",
    "xcomp",
    "obl:mod",
    "obl",
    "mark",
    "cop",
    "nsubj",
    "advmod",
    "aux",
    "aux:tense",
    "expl:subj",
    "expl:comp",
}


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
    text: str = ""
    _offices: dict[int, tuple[str | None, str | None, bool]] = field(default_factory=dict)
    person_spans: list[tuple[int, str]] = field(default_factory=list)
    _year: int | None = None

    def __post_init__(self) -> None:
        self.text = self.text or self.doc.text
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
            if (
                tok.dep_ != "flat:name"
                and tok.i not in self.at
                and any(c.dep_ == "flat:name" for c in tok.children)
                and tok.ent_type_ not in {"ORG", "LOC"}
            ):
                self._register_name(_name_span(tok))
                self._register_mention(tok.i, _name_span(tok))
        self.person_spans.sort()
        # offices given in appositions: `le chancelier allemand Olaf Scholz`
        for tok in propns:
            hit = self.at.get(tok.i)
            if not tok.text[:1].isupper():
                continue  # `le dirigeant, fermement proeuropéen`: a misread adverb, no name
            if tok.dep_ != "flat:name" and (hit is None or hit.person):
                head = tok.head if tok.dep_ in {"appos", "nmod", "flat:name", "nsubj"} else None
                for cand in (
                    head,
                    *[c for c in tok.children if c.dep_ in {"appos", "amod", "nmod"}],
                ):
                    if cand is None or cand.pos_ != "NOUN":
                        continue
                    role, actor, former = self.office(cand)
                    if role:
                        name = self.full_name(_name_span(tok))
                        self.roles.setdefault((role, actor), name)
                        self.person_actor.setdefault(
                            fold(name).split()[-1], None if former else actor
                        )
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

    def latest_year(self) -> int | None:
        """The latest year an undated text names (`en 2022`), up to this year: its era."""
        if self._year is None:
            now = date.today().year
            years = [int(y) for y in YEAR.findall(self.text) if 1990 <= int(y) <= now]
            self._year = max(years) if years else 0
        return self._year or None

    def full_name(self, name: str) -> str:
        """The fullest form of a person's name that the text gives."""
        parts = fold(name).split()
        return self.full_names.get(parts[-1], name) if parts else name

    def office(self, head: Token) -> tuple[str | None, str | None, bool]:
        """(role, actor, former) for an NP headed by an office noun (cached per token)."""
        hit = self._offices.get(head.i)
        if hit is None:
            hit = self._offices[head.i] = self._office(head)
        return hit

    def _office(self, head: Token) -> tuple[str | None, str | None, bool]:
        head_word = {_words(lemma(head)), _words(head.text)}
        head_word |= {w[len(p) :] for w in head_word for p in OFFICE_PREFIXES if w.startswith(p)}
        keys = self.kb.office_keys(_words, head_word)
        if not keys:
            return None, None, False  # most nouns: no office has this word
        toks = np_tokens(head)
        text = " " + _words(" ".join(t.text for t in toks)) + " "
        for prefix in OFFICE_PREFIXES:  # `ex-ministre` (former), `vice-ministre`: an office
            text = text.replace(" " + prefix, " " + prefix[:-1] + " ")
        # `le ministre russe des affaires étrangères`: the office with its adjective left out
        bare = (
            " "
            + _words(
                " ".join(
                    t.text for t in toks if not (t.pos_ == "ADJ" and self.kb.nationality(lemma(t)))
                )
            )
            + " "
        )
        role = None
        best, best_key = 0, ""
        for k, r in keys:
            if len(k) > best and ((" " + k + " ") in text or (" " + k + " ") in bare):
                role, best, best_key = r, len(k), k
        if role is None:
            return None, None, False
        actor = None
        former = any(
            fold(t.text).rstrip("-") in self.kb.former or fold(t.text).startswith("ex-")
            for t in toks
        )
        named = None
        for t in toks:
            m = self.at.get(t.i)
            if m and m.actor and m.person is None:
                named = named or m.actor
            if (t.pos_ == "ADJ" or (t.pos_ == "NOUN" and t.text.islower())) and (
                self.kb.nationality(lemma(t)) or self.kb.nationality(t.lower_)
            ):
                # `le pouvoir kazakh`, its adjective sometimes tagged as a noun; the adjective
                # wins over a name (`l'envoyé américain pour l'Ukraine`, `le Conseil de
                # sécurité russe`)
                actor = actor or self.kb.nationality(lemma(t)) or self.kb.nationality(t.lower_)
        actor = actor or named
        if role == "press":
            actor = None  # `l'agence de presse russe`: journalists speak for no state
        if role in {"head_state", "head_gov"} and " " not in best_key and self._of_a_body(head):
            role = "official"  # `le président de la commission de la Douma`: not the head of state
        return role, actor, former

    def owner(self, head: Token) -> str | None:
        """Whose office `son`/`leur` names: the first collective its sentence names before it."""
        if not any(c.dep_ == "det" and fold(c.text) in POSSESSIVES for c in head.children):
            return None
        start = head.sent.start
        for m in self.mentions:
            if m.start >= head.i:
                break
            if m.start >= start and m.actor and m.person is None:
                return m.actor
        return None

    def _of_a_body(self, head: Token) -> bool:
        """`président de la commission`, `chef du groupe`: the office of a body within a state."""
        for c in head.children:
            if (
                c.dep_ == "nmod"
                and c.i not in self.at  # `la présidente de la Commission européenne` heads it
                and any(g.dep_ == "case" for g in c.children)
            ):
                words = {_words(lemma(c)), _words(c.text)}
                keys = self.kb.office_keys(_words, words)
                if any(r == "body" and k in words for k, r in keys) or (
                    fold(lemma(c)) in SUB_BODIES
                ):
                    return True
        return False


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


NAME_PARTICLES = {
    "le",
    "la",
    "de",
    "du",
    "des",
    "van",
    "von",
    "der",
    "den",
    "di",
    "da",
    "el",
    "al",
    "ben",
    "bin",
    "mac",
    "st",
}


def _name_span(tok: Token) -> str:
    """A proper name with its `flat:name` parts and capitalised words just before it
    (`Marine Le Pen`, `Ursula von der Leyen` often come out of the parser in pieces)."""
    parts = sorted([tok] + [c for c in tok.children if c.dep_ == "flat:name"], key=lambda t: t.i)
    doc = tok.doc
    i = parts[0].i - 1
    # only through a particle: `Le Pen` <- `Marine`, `der Leyen` <- `von` <- `Ursula`
    while (
        i >= 1
        and doc[i].lower_ in NAME_PARTICLES
        and (doc[i].text[:1].isupper() or doc[i].lower_ not in {"de", "du", "des", "la", "le"})
    ):
        parts.insert(0, doc[i])
        i -= 1
        if doc[i].text[:1].isupper() and doc[i].is_alpha and doc[i].lower_ not in NAME_PARTICLES:
            parts.insert(0, doc[i])
            break
    while parts and parts[0].lower_ in NAME_PARTICLES:
        parts.pop(0)
    if not parts:
        return tok.text
    # `Anne` `-` `Marie`, `Bechet` `-` `Golovko`: hyphenated names split by the tokenizer
    i = parts[0].i - 1
    while (
        i >= 1
        and doc[i].text == "-"
        and not doc[i].whitespace_
        and not doc[i - 1].whitespace_
        and doc[i - 1].text[:1].isupper()
    ):
        parts[:0] = [doc[i - 1], doc[i]]
        i -= 2
    j = parts[-1].i + 1
    while (
        j + 1 < len(doc)
        and doc[j].text == "-"
        and not doc[j - 1].whitespace_
        and not doc[j].whitespace_
        and doc[j + 1].text[:1].isupper()
    ):
        parts.extend([doc[j], doc[j + 1]])
        j += 2
    return "".join(t.text_with_ws for t in parts).strip()
