"""Alert rules: which statements wake someone up. Plain data, matched by a pure function."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from veille.domain import TYPES, Statement


class RuleError(ValueError):
    """A rule definition is malformed; the message says which key."""


@dataclass(frozen=True)
class Rule:
    """A named filter over statements; empty criteria match everything."""

    name: str
    types: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()  # speaker actor OR target
    speaker_actors: frozenset[str] = frozenset()
    target_actors: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    regex: str | None = None
    min_confidence: float = 0.0
    feeds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # empty: every configured channel
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, st: Statement, feed_url: str | None = None) -> bool:
        """True when the statement is fresh news that this rule is about."""
        if st.background:
            return False
        if self.types and st.type not in self.types:
            return False
        involved = {st.speaker_actor, *st.targets} - {None}
        if self.actors and not (involved & self.actors):
            return False
        if self.speaker_actors and st.speaker_actor not in self.speaker_actors:
            return False
        if self.target_actors and not (set(st.targets) & self.target_actors):
            return False
        if st.confidence < self.min_confidence:
            return False
        if self.feeds and feed_url not in self.feeds:
            return False
        haystack = f"{st.content}\n{st.sentence}"
        if self.keywords and not any(k.lower() in haystack.lower() for k in self.keywords):
            return False
        if self._pattern is not None and not self._pattern.search(haystack):
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        """The stored, TOML-compatible form of the rule."""
        out: dict[str, Any] = {"name": self.name}
        for key in ("types", "actors", "speaker_actors", "target_actors"):
            if getattr(self, key):
                out[key] = sorted(getattr(self, key))
        for key in ("keywords", "feeds", "channels"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.regex:
            out["regex"] = self.regex
        if self.min_confidence:
            out["min_confidence"] = self.min_confidence
        return out


DEFAULT_RULE: Mapping[str, Any] = {
    "name": "default",
    "types": ["warning", "demand"],
    "actors": ["NATO", "RUS"],
}

_LIST_KEYS = ("types", "actors", "speaker_actors", "target_actors")
_KNOWN = set(_LIST_KEYS) | {"name", "keywords", "regex", "min_confidence", "feeds", "channels"}


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, ())
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"rule {raw.get('name')!r}: {key} must be a list of strings")
    return tuple(v.strip() for v in value)


def rule_from_dict(raw: Mapping[str, Any]) -> Rule:
    """Build a Rule from its TOML/JSON form, failing on unknown keys or bad values."""
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError("a rule needs a name")
    unknown = set(raw) - _KNOWN
    if unknown:
        raise RuleError(f"rule {name!r}: unknown keys {sorted(unknown)}")
    types = frozenset(_strings(raw, "types"))
    if types - set(TYPES):
        raise RuleError(f"rule {name!r}: unknown types {sorted(types - set(TYPES))}")
    regex = raw.get("regex")
    pattern = None
    if regex:
        try:
            pattern = re.compile(str(regex), re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"rule {name!r}: bad regex ({exc})") from exc
    try:
        min_conf = float(raw.get("min_confidence", 0.0))
    except (TypeError, ValueError) as exc:
        raise RuleError(f"rule {name!r}: min_confidence must be a number") from exc
    return Rule(
        name=name.strip(),
        types=types,
        actors=frozenset(a.upper() for a in _strings(raw, "actors")),
        speaker_actors=frozenset(a.upper() for a in _strings(raw, "speaker_actors")),
        target_actors=frozenset(a.upper() for a in _strings(raw, "target_actors")),
        keywords=_strings(raw, "keywords"),
        regex=str(regex) if regex else None,
        min_confidence=min_conf,
        feeds=_strings(raw, "feeds"),
        channels=_strings(raw, "channels"),
        _pattern=pattern,
    )


def load_rules(definitions: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """The rules in force: the given ones, or the default rule when there are none."""
    rules = [rule_from_dict(d) for d in definitions]
    return rules or [rule_from_dict(DEFAULT_RULE)]
