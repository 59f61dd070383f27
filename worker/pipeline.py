"""What happens to an item: extract its statements, cluster them, record alerts and their outbox.

Plain functions over a context that carries the session factory, the extractor and the rules;
the Celery tasks and the embedded runner call exactly these. Everything an item produces is
written in one transaction, and the unique constraints make a second run write nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from veille.domain import Statement
from veille.models import Alert, Delivery, Feed, Item, StatementRow, utcnow
from worker.clusters import assign_cluster
from worker.failures import record_attempt
from worker.rules import Rule

log = logging.getLogger("veille.worker")


class StatementExtractor(Protocol):
    """What the pipeline needs of an extractor (worker.extract.Extractor satisfies it)."""

    def extract(self, text: str, published: date | None = None) -> list[Statement]: ...

    def extract_many(
        self, items: Iterable[tuple[str, date | None]], batch_size: int = 32
    ) -> Iterable[list[Statement]]: ...


@dataclass
class PipelineContext:
    """The parts a worker process builds once and passes to every task."""

    sessions: sessionmaker[Session]
    extractor: StatementExtractor
    rules: list[Rule]
    channels: Sequence[str]  # channel names an alert is delivered to
    held: frozenset[str] = frozenset()  # channels disabled by a 410: their deliveries wait
    window: timedelta = timedelta(days=7)
    max_attempts: int = 3  # failed extractions before an item is set aside (item_attempts)
    on_alerts: Callable[[list[str]], None] | None = field(default=None)


@dataclass(frozen=True)
class ItemResult:
    """What processing one item did: how many statements and which alerts it recorded."""

    item_id: int
    statements: int
    alert_ids: tuple[str, ...]
    skipped: str | None = None


def item_text(item: Item) -> str:
    """The text the extractor reads for an item: title, then the full text or the summary."""
    parts = [
        p.strip() for p in (item.title or "", item.body or item.summary or "") if p and p.strip()
    ]
    return "\n\n".join(parts)


def _duplicate_of_processed(session: Session, item: Item) -> bool:
    if item.story_id is None:
        return False
    other = session.scalar(
        select(Item.id).where(
            Item.story_id == item.story_id, Item.id != item.id, Item.processed_at.is_not(None)
        )
    )
    return other is not None


def _record(
    session: Session,
    ctx: PipelineContext,
    item: Item,
    feed_url: str,
    statements: list[Statement],
) -> list[str]:
    seen_at = item.published or utcnow()
    opened: set[int] = set()
    alert_ids: list[str] = []
    for idx, st in enumerate(statements):
        cluster, new = assign_cluster(session, st, seen_at, ctx.window, exclude=opened)
        if new:
            opened.add(cluster.id)
        row = StatementRow(
            item_id=item.id,
            idx=idx,
            speaker=st.speaker,
            person=st.person,
            speaker_actor=st.speaker_actor,
            type=st.type,
            targets=list(st.targets),
            direct=st.direct,
            background=st.background,
            start=st.start,
            end=st.end,
            sentence=st.sentence,
            content=st.content,
            cue=st.cue,
            confidence=st.confidence,
            cluster_id=cluster.id,
        )
        session.add(row)
        session.flush()
        if not new:
            continue
        for rule in ctx.rules:
            if not rule.matches(st, feed_url):
                continue
            alert = Alert(
                id=str(uuid.uuid4()), rule=rule.name, statement_id=row.id, cluster_id=cluster.id
            )
            session.add(alert)
            for channel in ctx.channels:
                if rule.channels and not any(channel.startswith(c) for c in rule.channels):
                    continue
                status = "held" if channel in ctx.held else "pending"
                session.add(Delivery(alert_id=alert.id, channel=channel, status=status))
            alert_ids.append(alert.id)
    item.processed_at = utcnow()
    item.error = None
    return alert_ids


def process_item(ctx: PipelineContext, item_id: int) -> ItemResult:
    """Extract and store one item's statements and alerts; a second run changes nothing."""
    return process_items(ctx, [item_id])[0]


def process_items(ctx: PipelineContext, item_ids: Sequence[int]) -> list[ItemResult]:
    """Process several items, parsing their texts in one batch through the extractor.

    An item the extractor fails on costs an attempt (see worker.failures); the others of the
    batch are processed as usual."""
    from worker.extract.parts import MAX_CHARS  # the extractor (and spaCy) is loaded by now

    todo: list[tuple[int, str, str, date | None]] = []
    results: dict[int, ItemResult] = {}
    with ctx.sessions() as session:
        for item_id in item_ids:
            item = session.get(Item, item_id)
            if item is None:
                results[item_id] = ItemResult(item_id, 0, (), skipped="no such item")
            elif item.processed_at is not None:
                results[item_id] = ItemResult(item_id, 0, (), skipped="already processed")
            elif item.failed_at is not None:
                results[item_id] = ItemResult(item_id, 0, (), skipped="failed")
            else:
                feed_url = session.scalar(select(Feed.url).where(Feed.id == item.feed_id)) or ""
                pub = item.published.date() if item.published else None
                text = item_text(item)
                if len(text) > MAX_CHARS:
                    log.warning(
                        "item %s: text of %d characters, only the first %d are read",
                        item_id,
                        len(text),
                        MAX_CHARS,
                    )
                todo.append((item_id, text, feed_url, pub))
    extracted = iter(ctx.extractor.extract_many([(text, pub) for _, text, _, pub in todo]))
    for n, (item_id, _text, feed_url, _pub) in enumerate(todo):
        try:
            statements = next(extracted)
        except Exception as exc:
            # the extractor failed somewhere in the batch: read the rest one by one, so that
            # only the item it fails on pays for it
            if n == len(todo) - 1:
                results[item_id] = _failed(ctx, item_id, exc)
            else:
                log.debug("batch extraction failed; items one by one", exc_info=True)
                for rest in todo[n:]:
                    results[rest[0]] = _alone(ctx, *rest)
            break
        results[item_id] = _store(ctx, item_id, feed_url, statements)
    all_alerts = [a for r in results.values() for a in r.alert_ids]
    if all_alerts and ctx.on_alerts is not None:
        ctx.on_alerts(all_alerts)
    return [results[i] for i in item_ids]


def _alone(
    ctx: PipelineContext, item_id: int, text: str, feed_url: str, pub: date | None
) -> ItemResult:
    """One item extracted on its own; a failure costs it an attempt."""
    try:
        (statements,) = ctx.extractor.extract_many([(text, pub)])
    except Exception as exc:
        return _failed(ctx, item_id, exc)
    return _store(ctx, item_id, feed_url, statements)


def _failed(ctx: PipelineContext, item_id: int, exc: Exception) -> ItemResult:
    """Count the attempt; one log line, no traceback (it would repeat every cycle)."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    attempt = record_attempt(ctx.sessions, item_id, reason, ctx.max_attempts)
    if attempt.failed:
        log.error(
            "item %s set aside after %d failed attempts: %s (`veille items retry %s` tries again)",
            item_id,
            attempt.attempts,
            reason,
            item_id,
        )
    else:
        log.warning(
            "item %s could not be extracted (attempt %d of %d): %s",
            item_id,
            attempt.attempts,
            ctx.max_attempts,
            reason,
        )
    log.debug("item %s extraction failure", item_id, exc_info=exc)
    return ItemResult(item_id, 0, (), skipped=f"failed: {reason}")


def _store(
    ctx: PipelineContext, item_id: int, feed_url: str, statements: list[Statement]
) -> ItemResult:
    try:
        with ctx.sessions() as session, session.begin():
            item = session.get(Item, item_id, with_for_update=True)
            if item is None or item.processed_at is not None:
                return ItemResult(item_id, 0, (), skipped="already processed")
            if _duplicate_of_processed(session, item):
                item.processed_at = utcnow()
                return ItemResult(item_id, 0, (), skipped="story already extracted")
            alert_ids = _record(session, ctx, item, feed_url, statements)
    except IntegrityError:
        # Another worker stored this item first: its statements and alerts stand.
        log.info("item %s was processed concurrently; nothing written twice", item_id)
        return ItemResult(item_id, 0, (), skipped="processed concurrently")
    return ItemResult(item_id, len(statements), tuple(alert_ids))


def record_failure(sessions: sessionmaker[Session], item_id: int, error: str) -> None:
    """Keep the reason an item could not be processed, so it is seen and can be retried."""
    with sessions() as session, session.begin():
        session.execute(update(Item).where(Item.id == item_id).values(error=error[:2000]))


def unprocessed_item_ids(
    sessions: sessionmaker[Session], limit: int = 1000, older_than: timedelta | None = None
) -> list[int]:
    """Items stored but not processed (a worker killed mid-task, a lost message), except those
    set aside as failed."""
    q = select(Item.id).where(Item.processed_at.is_(None), Item.failed_at.is_(None))
    if older_than is not None:
        q = q.where(Item.fetched_at < utcnow() - older_than)
    with sessions() as session:
        return list(session.scalars(q.order_by(Item.id).limit(limit)))
