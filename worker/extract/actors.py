"""Actor knowledge base: people with dated offices, state names and metonyms, offices, adjectives."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc


@lru_cache(maxsize=65536)
def fold(s: str) -> str:
    """Accent- and case-insensitive key, with typographic apostrophes unified."""
    s = unicodedata.normalize("NFKD", s.replace("’", "'").replace("\u00a0", " "))
    return "".join(c for c in s if not unicodedata.combining(c)).lower().strip()


@dataclass(frozen=True)
class Office:
    """One office a person held, in [start, until)."""

    actor: str
    role: str
    start: date | None
    until: date | None


@dataclass(frozen=True)
class Person:
    """A known person and the offices that make them speak for an actor."""

    name: str
    gender: str
    offices: tuple[Office, ...]

    def office_at(self, when: date | None) -> Office | None:
        """The office held on `when`; with no date, the most recent one."""
        if not self.offices:
            return None
        if when is None:
            return max(self.offices, key=lambda o: o.start or date.min)
        for o in self.offices:
            if (o.start is None or o.start <= when) and (o.until is None or when < o.until):
                return o
        return None


@dataclass(frozen=True)
class Mention:
    """A stretch of the doc that names an actor or a known person."""

    start: int
    end: int
    actor: str | None
    person: Person | None
    text: str


@dataclass
class ActorKB:
    """Merged knowledge base with a phrase matcher built for one spaCy vocabulary."""

    names: dict[str, str] = field(default_factory=dict)
    nationalities: dict[str, str] = field(default_factory=dict)
    offices: dict[str, str] = field(default_factory=dict)
    unaffiliated: set[str] = field(default_factory=set)
    former: set[str] = field(default_factory=set)
    people: dict[str, Person] = field(default_factory=dict)
    by_last: dict[str, Person] = field(default_factory=dict)
    surfaces: dict[str, str] = field(default_factory=dict)
    # code -> the first name written for it (`RUS` -> `Russie`), to name a speaker the text
    # gives only as an adjective (`l'affirmation russe`)
    display: dict[str, str] = field(default_factory=dict)
    matcher: PhraseMatcher | None = None
    _office_cache: dict[str, list[tuple[int, str, str]]] | None = None

    def load(self, data: dict) -> None:
        """Merge one parsed TOML document."""
        for k, v in data.get("names", {}).items():
            self.names[fold(k)] = v
            self.surfaces[k.lower()] = "N:" + fold(k)
            self.display.setdefault(v, k)
        for k, v in data.get("nationalities", {}).items():
            self.nationalities[fold(k)] = v
        for k, v in data.get("offices", {}).items():
            self.offices[fold(k)] = v
        self._office_cache = None
        self.unaffiliated.update(fold(x) for x in data.get("unaffiliated", {}).get("nouns", []))
        self.former.update(fold(x) for x in data.get("unaffiliated", {}).get("former", []))
        for p in data.get("person", []):
            offices = tuple(
                Office(
                    o["actor"],
                    o.get("role", "official"),
                    _date(o.get("from")),
                    _date(o.get("until")),
                )
                for o in p.get("offices", [])
            )
            person = Person(p["name"], p.get("gender", ""), offices)
            self.people[fold(p["name"])] = person
            self.surfaces[p["name"].lower()] = "P:" + fold(p["name"])
            for alias in [p["name"].split()[-1], *p.get("aliases", [])]:
                self.by_last[fold(alias)] = person
                self.surfaces.setdefault(alias.lower(), "L:" + fold(alias))

    def build(self, nlp: Language) -> None:
        """Compile the phrase matcher over lower-cased token text."""
        m = PhraseMatcher(nlp.vocab, attr="LOWER")
        for surface, label in self.surfaces.items():
            variants = {
                surface,
                surface.replace("'", "’"),
                fold(surface),
                surface.replace(" ", "\u00a0"),
            }
            m.add(label, [nlp.make_doc(v) for v in variants])
        self.matcher = m

    def mentions(self, doc: Doc, when: date | None) -> list[Mention]:
        """Longest non-overlapping KB matches in `doc`, in order."""
        assert self.matcher is not None
        found = []
        for match_id, s, e in self.matcher(doc):
            label = doc.vocab.strings[match_id]
            found.append((s, e, label))
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out: list[Mention] = []
        last_end = -1
        for s, e, label in found:
            if s < last_end:
                continue
            kind, key = label[:1], label[2:]
            span = doc[s:e]
            if kind == "N":
                if key in {"alliance", "allies"} and (
                    not _nato_context(doc) or _someone_elses(doc, s, e)
                ):
                    continue
                out.append(Mention(s, e, self.names[key], None, span.text))
            else:
                person = self.people.get(key) if kind == "P" else self.by_last.get(key)
                first = span[0]
                if (
                    kind == "L"
                    and not (
                        first.pos_ == "PROPN"
                        or first.ent_type_ == "PER"
                        or (first.text[:1].isupper() and not first.is_sent_start)
                        # `Poutine prévient que …` opening a headline, tagged as a pronoun
                        or (first.text[:1].isupper() and first.pos_ in {"PRON", "X", "ADJ"})
                    )
                ):
                    continue
                if kind == "L" and _followed_by_name(doc, e):
                    continue  # `François de Rugy`: a first name here, not the KB's surname
                office = person.office_at(when) if person else None
                out.append(Mention(s, e, office.actor if office else None, person, span.text))
            last_end = e
        return out

    def office_keys(
        self, norm: Callable[[str], str], words: Iterable[str]
    ) -> list[tuple[str, str]]:
        """Office keys (normalised once) holding one of `words`, in the KB's order: (key, role).

        Indexed by word, so a noun phrase is compared with a few keys rather than all."""
        if self._office_cache is None:
            index: dict[str, list[tuple[int, str, str]]] = {}
            for n, (k, r) in enumerate(self.offices.items()):
                key = norm(k)
                for w in set(key.split()):
                    index.setdefault(w, []).append((n, key, r))
            self._office_cache = index
        hits = [h for w in set(words) for h in self._office_cache.get(w, ())]
        return [(k, r) for _, k, r in sorted(set(hits))]

    def actor_of_name(self, text: str) -> str | None:
        """Actor code of a collective name as written (`Moscou`, `l'Otan`)."""
        key = fold(text)
        for prefix in ("l'", "la ", "le ", "les "):
            if key.startswith(prefix):
                key = key[len(prefix) :]
        return self.names.get(key)

    def nationality(self, lemma: str) -> str | None:
        """Actor of a nationality adjective lemma (`allemand` -> DEU)."""
        return self.nationalities.get(fold(lemma))

    def person(self, name: str) -> Person | None:
        """A known person by full or last name."""
        key = fold(name)
        return self.people.get(key) or self.by_last.get(key.split()[-1] if key else "")


def _followed_by_name(doc: Doc, e: int) -> bool:
    """The matched word is followed by a capitalised name (so it is a first name)."""
    if e >= len(doc):
        return False
    nxt = doc[e]
    if nxt.lower_ in {"de", "von", "van", "der", "del", "da", "di"} and e + 1 < len(doc):
        nxt = doc[e + 1]
    return nxt.text[:1].isupper() and nxt.is_alpha and not nxt.is_sent_start


POSSESSIVES = {"ses", "leurs", "nos", "vos", "mes", "tes", "son", "sa", "leur", "notre"}


def _someone_elses(doc: Doc, start: int, end: int) -> bool:
    """`ses alliés`, `les alliés de l'exécutif`: someone's allies, not NATO (`les alliés de
    l'Otan` still are)."""
    if start > 0 and doc[start - 1].lower_ in POSSESSIVES:
        return True
    if end + 1 < len(doc) and doc[end].lower_ in {"de", "du", "des", "d'", "d’"}:
        nxt = " ".join(t.lower_ for t in doc[end + 1 : end + 3])
        return not any(w in nxt for w in ("otan", "nato", "alliance"))
    return False


def _nato_context(doc: Doc) -> bool:
    """`l'Alliance` / `les alliés` mean NATO only where NATO is in the text."""
    low = doc.user_data.get("veille_lower")
    if low is None:
        low = doc.user_data["veille_lower"] = doc.text.lower()
    return "otan" in low or "nato" in low


def _date(v: object) -> date | None:
    if v is None:
        return None
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def default_paths() -> list[Path]:
    """The knowledge-base files shipped with the package."""
    base = resources.files("worker.extract") / "data"
    return [Path(str(base / "actors.toml"))]


def load_kb(paths: Iterable[str | Path] = ()) -> ActorKB:
    """Load the default knowledge base, then user files in order."""
    kb = ActorKB()
    for p in [*default_paths(), *map(Path, paths)]:
        with open(p, "rb") as fh:
            kb.load(tomllib.load(fh))
    return kb
