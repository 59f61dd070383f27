"""After extraction: merge repeated participles, deduplicate, carry addressees forward."""

from __future__ import annotations

from dataclasses import replace

from veille.domain import Statement

from .cues import Cue


def merge_participles(cues: list[Cue]) -> list[Cue]:
    """`a averti ..., réitérant « ... »`: a participle repeating its host's act is not new."""
    out = []
    for c in cues:
        if c.kind == "participle":
            host = next(
                (
                    h
                    for h in cues
                    if h is not c and h.kind == "verb" and c.tok in list(h.tok.subtree)
                ),
                None,
            )
            if host is not None and (c.type == "statement" or c.type == host.type):
                continue
        out.append(c)
    return out


def dedup(found: list[tuple[Statement, str]]) -> list[Statement]:
    """One statement per speaker and act in a sentence; relays yield to named acts."""
    seen: dict[tuple, tuple[Statement, str]] = {}
    for s, kind in found:
        key = (s.start, _speaker_key(s), s.type, s.background)
        if key not in seen:
            seen[key] = (s, kind)
    by_sent: dict[int, list[tuple[Statement, str]]] = {}
    for s, kind in seen.values():
        by_sent.setdefault(s.start, []).append((s, kind))
    final = []
    for group in by_sent.values():
        verbs = [s for s, kind in group if kind not in {"selon", "noun", "relay"}]
        actors = {s.speaker_actor for s in verbs if s.speaker_actor}
        for s, kind in group:
            if kind in {"selon", "relay"} and verbs:
                continue  # `…, rapporte Reuters`: the relay passes on someone else's words
            if kind == "noun" and s.speaker_actor in actors:
                continue  # `X réclame … aux revendications de Moscou`: the same side again
            final.append(s)
    return final


def inherit_targets(sts: list[Statement]) -> list[Statement]:
    """An offer or demand with no addressee keeps the one its speaker last addressed."""
    last: dict[tuple[str, str], tuple[str, ...]] = {}
    out = []
    for s in sorted(sts, key=lambda x: x.start):
        key = (_speaker_key(s), s.type)
        if s.type in {"offer"} and not s.targets and key in last:
            s = replace(s, targets=last[key], confidence=round(s.confidence - 0.1, 2))
        if s.targets:
            last[key] = s.targets
        out.append(s)
    return out


def _speaker_key(s: Statement) -> str:
    if s.person and s.speaker and s.speaker[:1].isupper():
        return s.speaker.split()[-1].lower()
    return s.speaker_actor or (s.speaker or "").lower()
