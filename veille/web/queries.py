"""Read queries behind the pages, the API and the digest: statement filters and local days.

A statement's day is the publication day of its item in the configured time zone (the fetch
time when a feed gave no date), so a replayed archive lands on the days it was published.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Text, cast, false, func, or_, select
from sqlalchemy.orm import Session

from veille.models import Feed, Item, StatementRow, UTCDateTime
from veille.store import items_carrying
from veille.web.schemas import Page, SourceView, StatementDetail, StatementView
from worker.delivery.email import safe_href

item_time = func.coalesce(Item.published, Item.fetched_at, type_=UTCDateTime())
ESCALATION_TYPES = ("warning", "demand")


@dataclass(frozen=True)
class StatementFilter:
    """The timeline's filters; every field optional, all given ones must hold."""

    speaker: str | None = None
    target: str | None = None
    type: str | None = None
    feed: int | None = None
    q: str | None = None
    day: date | None = None
    fresh: bool = False
    types: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        """The filters as query-string parameters, for links that keep them."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("fresh", "types") or value in (None, ""):
                continue
            out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts (DST-proof)."""
    zone = ZoneInfo(tz)
    start = _midnight(day, zone)
    end = _midnight(day + timedelta(days=1), zone) if day < date.max else _LATEST
    return start, end


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """A local midnight in UTC; at the ends of the calendar, the first or last instant."""
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return _EARLIEST if day.year == date.min.year else _LATEST


def local_day(when: datetime, tz: str) -> date:
    """The calendar day of an instant in the configured time zone."""
    return when.astimezone(ZoneInfo(tz)).date()


def storable(text: str | None) -> bool:
    """Whether a text could be in the database (PostgreSQL refuses NUL characters)."""
    return text is None or "\x00" not in text


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(f: StatementFilter, tz: str) -> list[ColumnElement[bool]]:
    """SQL conditions for a filter (portable between SQLite and PostgreSQL)."""
    conds: list[ColumnElement[bool]] = []
    if not all(storable(text) for text in (f.speaker, f.target, f.q)):
        return [false()]  # no stored text holds a NUL: nothing matches, nothing is sent
    if f.speaker:
        conds.append(StatementRow.speaker_actor == f.speaker)
    if f.target:
        conds.append(cast(StatementRow.targets, Text).like(_like(f'"{f.target}"'), escape="\\"))
    if f.type:
        conds.append(StatementRow.type == f.type)
    if f.types:
        conds.append(StatementRow.type.in_(f.types))
    if f.feed is not None:
        conds.append(Item.feed_id == f.feed)
    if f.q and f.q.strip():
        pattern = _like(f.q.strip())
        conds.append(
            or_(
                *(
                    col.ilike(pattern, escape="\\")
                    for col in (StatementRow.sentence, StatementRow.speaker, Item.title)
                )
            )
        )
    if f.day is not None:
        start, end = day_bounds(f.day, tz)
        conds.extend([item_time >= start, item_time < end])
    if f.fresh:
        conds.append(StatementRow.background.is_(False))
    return conds


def _joined(*cols: Any) -> Select[Any]:
    return (
        select(*cols)
        .select_from(StatementRow)
        .join(Item, Item.id == StatementRow.item_id)
        .join(Feed, Feed.id == Item.feed_id)
    )


def source_view(item: Item, feed: Feed) -> SourceView:
    """An item as a source: title, link (safe href apart) and feed."""
    return SourceView(
        item_id=item.id,
        title=item.title or "",
        url=item.link,
        href=safe_href(item.link),
        feed_id=feed.id,
        feed_url=feed.url,
        feed_title=feed.title,
        published=item.published,
    )


def statement_view(row: StatementRow, item: Item, feed: Feed, tz: str) -> StatementView:
    """A stored statement with its item, dated in the configured zone."""
    when = item.published or item.fetched_at
    return StatementView(
        id=row.id,
        speaker=row.speaker,
        person=row.person,
        speaker_actor=row.speaker_actor,
        type=row.type,
        targets=list(row.targets or []),
        direct=row.direct,
        background=row.background,
        sentence=row.sentence,
        content=row.content or "",
        cue=row.cue or "",
        confidence=row.confidence,
        cluster_id=row.cluster_id,
        when=when,
        day=local_day(when, tz),
        item=source_view(item, feed),
    )


def list_statements(
    session: Session, f: StatementFilter, tz: str, limit: int = 50, offset: int = 0
) -> Page[StatementView]:
    """Newest first (reading order within an item), with the total for pagination."""
    conds = conditions(f, tz)
    total = session.scalar(_joined(func.count(StatementRow.id)).where(*conds)) or 0
    rows = session.execute(
        _joined(StatementRow, Item, Feed)
        .where(*conds)
        .order_by(item_time.desc(), Item.id.desc(), StatementRow.idx)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [statement_view(r, i, fd, tz) for r, i, fd in rows]
    return Page[StatementView](items=items, total=total, limit=limit, offset=offset)


def sources_of(session: Session, cluster_id: int | None, story_id: int | None) -> list[SourceView]:
    """Every item that carried a statement of this cluster or told the same story."""
    return [source_view(i, fd) for i, fd in items_carrying(session, cluster_id, story_id)]


def statement_detail(session: Session, statement_id: int, tz: str) -> StatementDetail | None:
    """One statement with all its sources and the alerts it fired."""
    from veille.models import Alert

    found = session.execute(
        _joined(StatementRow, Item, Feed).where(StatementRow.id == statement_id)
    ).first()
    if found is None:
        return None
    row, item, feed = found
    view = statement_view(row, item, feed, tz)
    alert_ids = list(
        session.scalars(
            select(Alert.id)
            .where(
                or_(Alert.statement_id == row.id, Alert.cluster_id == row.cluster_id)
                if row.cluster_id is not None
                else Alert.statement_id == row.id
            )
            .order_by(Alert.created_at)
        )
    )
    sources = sources_of(session, row.cluster_id, item.story_id) or [view.item]
    return StatementDetail(**view.model_dump(), sources=sources, alert_ids=alert_ids)


def facets(session: Session) -> dict[str, list[Any]]:
    """Choices for the filter form: actors seen as speakers and as targets, types, feeds."""
    speakers = sorted(
        a for a in session.scalars(select(StatementRow.speaker_actor).distinct()) if a
    )
    targets: set[str] = set()
    for value in session.scalars(select(cast(StatementRow.targets, Text)).distinct()):
        targets.update(t for t in (json.loads(value) if value else []) if t)
    feeds = [
        (fd.id, fd.title or fd.url)
        for fd in session.scalars(select(Feed).order_by(Feed.title, Feed.url))
    ]
    return {"speakers": speakers, "targets": sorted(targets), "feeds": feeds}


def pair_label(speaker_actor: str | None, targets: list[str] | tuple[str, ...]) -> str:
    """A pair of actors as people read it: ``NATO → RUS`` (several targets joined by +)."""
    return f"{speaker_actor or '?'} → {'+'.join(targets) if targets else '?'}"


def escalation_counts(
    session: Session, f: StatementFilter, tz: str, first: date, last: date
) -> dict[date, dict[str, int]]:
    """Fresh warnings and demands per local day and pair of actors, a cluster counted once."""
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    f = StatementFilter(**{**f.__dict__, "types": ESCALATION_TYPES, "fresh": True, "day": None})
    if f.type and f.type not in ESCALATION_TYPES:
        return {}
    rows = session.execute(
        _joined(
            StatementRow.id,
            StatementRow.cluster_id,
            StatementRow.speaker_actor,
            StatementRow.targets,
            item_time,
        ).where(*conditions(f, tz), item_time >= start, item_time < end)
    ).all()
    seen: dict[date, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    for sid, cid, actor, targets, when in rows:
        key = ("c", cid) if cid is not None else ("s", sid)
        seen[local_day(when, tz)][pair_label(actor, list(targets or []))].add(key)
    return {d: {p: len(k) for p, k in pairs.items()} for d, pairs in seen.items()}


def latest_day(session: Session, f: StatementFilter, tz: str) -> date | None:
    """The newest local day with a statement matching the filter."""
    newest = session.scalar(_joined(func.max(item_time)).where(*conditions(f, tz)))
    return local_day(newest, tz) if newest else None
