"""Domain types shared by the scheduler, the worker and the web: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

TYPES = ("warning", "demand", "rejection", "accusation", "offer", "denial", "statement")
ALERT_TYPES = frozenset({"warning", "demand"})


@dataclass(frozen=True)
class Statement:
    """One attributed speech act found in a text (see ../shared/spec/statements.md)."""

    speaker: str | None
    speaker_actor: str | None
    type: str
    targets: tuple[str, ...]
    direct: bool
    background: bool
    start: int
    end: int
    sentence: str
    content: str = ""
    cue: str = ""
    person: bool = True
    confidence: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """Serialise to the spec's JSON shape (targets as a list)."""
        d = asdict(self)
        d["targets"] = list(self.targets)
        return d


@dataclass(frozen=True)
class FeedEntry:
    """An entry parsed out of a feed, before it is stored."""

    key: str
    title: str
    summary: str
    link: str | None
    guid: str | None
    published: datetime | None

    @property
    def text(self) -> str:
        """The text the extractor reads: the title, then the summary."""
        parts = [p for p in (self.title.strip(), self.summary.strip()) if p]
        return "\n\n".join(parts)


@dataclass(frozen=True)
class ItemRef:
    """What the worker needs to know about a stored item."""

    id: int
    feed_id: int
    feed_url: str
    title: str
    url: str | None
    published: datetime | None
    text: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """One outlet's item that carried a statement."""

    title: str
    url: str | None
    feed_url: str
    published: datetime | None = None


@dataclass(frozen=True)
class AlertMessage:
    """Everything a channel needs to tell a person about one alert."""

    alert_id: str
    rule: str
    created_at: datetime
    statement: Statement
    item: Source
    sources: tuple[Source, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The webhook body: the same JSON for every channel that wants JSON."""
        st = self.statement
        return {
            "type": "alert.created",
            "timestamp": self.created_at.isoformat(),
            "data": {
                "alert_id": self.alert_id,
                "rule": self.rule,
                "statement": {
                    "speaker": st.speaker,
                    "speaker_actor": st.speaker_actor,
                    "type": st.type,
                    "targets": list(st.targets),
                    "content": st.content,
                    "direct": st.direct,
                    "background": st.background,
                    "sentence": st.sentence,
                },
                "item": {
                    "title": self.item.title,
                    "url": self.item.url,
                    "feed_url": self.item.feed_url,
                    "published": self.item.published.isoformat() if self.item.published else None,
                },
                "sources": [
                    {"title": s.title, "url": s.url, "feed_url": s.feed_url} for s in self.sources
                ],
            },
        }
