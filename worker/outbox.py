"""Sending the outbox: deliveries are claimed in the database, sent, and every attempt recorded.

A delivery row is written in the same transaction as its alert; this module sends what is due.
Claiming with a conditional UPDATE makes a duplicated task harmless: only one sender wins. The
claim is a short lease the sender renews while it sends, so the claims of a process that died
mid-send lapse within ``LEASE`` and another sender (or the restarted one) retakes them.
Delivery is at least once: a sender killed after the receiver got the POST but before the
answer was recorded sends it again, with the same ``webhook-id``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from veille.domain import AlertMessage, Source, Statement
from veille.models import (
    Alert,
    Delivery,
    DeliveryAttempt,
    Feed,
    Item,
    StatementRow,
    utcnow,
)
from veille.store import items_carrying
from worker.delivery.retry import next_attempt_at
from worker.holds import HELD, disable_channel, disable_reason, disabled_in

log = logging.getLogger("veille.delivery")
# A claim lapses LEASE after its last renewal; a live sender renews it every RENEW.
LEASE = timedelta(seconds=10)
RENEW = timedelta(seconds=3)


class Channel(Protocol):
    """A configured alert channel (see worker.delivery)."""

    def send(self, msg: AlertMessage) -> Any: ...


def _source(item: Item, feed_url: str) -> Source:
    return Source(title=item.title, url=item.link, feed_url=feed_url, published=item.published)


def statement_from_row(row: StatementRow) -> Statement:
    """Rebuild the domain statement from its stored row."""
    return Statement(
        speaker=row.speaker,
        speaker_actor=row.speaker_actor,
        type=row.type,
        targets=tuple(row.targets or ()),
        direct=row.direct,
        background=row.background,
        start=row.start,
        end=row.end,
        sentence=row.sentence,
        content=row.content,
        cue=row.cue,
        person=row.person,
        confidence=row.confidence,
    )


def cluster_sources(session: Session, cluster_id: int | None, story_id: int | None) -> list[Source]:
    """Every item that carried a statement of this cluster, or the same story."""
    return [_source(item, feed.url) for item, feed in items_carrying(session, cluster_id, story_id)]


def alert_message(session: Session, alert_id: str) -> AlertMessage | None:
    """Assemble what a channel needs about one alert from the database."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    row = session.get(StatementRow, alert.statement_id)
    if row is None:
        return None
    item = session.get(Item, row.item_id)
    assert item is not None
    feed_url = session.scalar(select(Feed.url).where(Feed.id == item.feed_id)) or ""
    return AlertMessage(
        alert_id=alert.id,
        rule=alert.rule,
        created_at=alert.created_at,
        statement=statement_from_row(row),
        item=_source(item, feed_url),
        sources=tuple(cluster_sources(session, alert.cluster_id, item.story_id)),
    )


def _claim(sessions: sessionmaker[Session], delivery_id: int, now: datetime) -> datetime | None:
    """Take a pending delivery nobody holds a live claim on; the lease's end is the token."""
    until = now + LEASE
    with sessions() as session, session.begin():
        res = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == "pending",
                or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
            )
            .values(claimed_until=until)
        )
        return until if getattr(res, "rowcount", 0) == 1 else None


class _Lease:
    """Renews a claim every RENEW while this process sends, so only a dead sender's lapses."""

    def __init__(self, sessions: sessionmaker[Session], delivery_id: int, until: datetime) -> None:
        self._sessions, self._id, self.until = sessions, delivery_id, until
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{delivery_id}", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(RENEW.total_seconds()):
            until = utcnow() + LEASE
            try:
                with self._sessions() as session, session.begin():
                    res = session.execute(
                        update(Delivery)
                        .where(Delivery.id == self._id, Delivery.claimed_until == self.until)
                        .values(claimed_until=until)
                    )
                if getattr(res, "rowcount", 0) != 1:
                    return  # finished meanwhile, or no longer ours
                self.until = until
            except Exception:  # the database is away: the send goes on, renew next time
                log.warning("could not renew the claim on delivery %s", self._id, exc_info=True)


def due_delivery_ids(
    sessions: sessionmaker[Session],
    now: datetime,
    alert_ids: Sequence[str] | None = None,
    delivery_ids: Sequence[int] | None = None,
) -> list[int]:
    """Deliveries whose time has come (all of them, or those of the given alerts or ids)."""
    q = select(Delivery.id).where(
        Delivery.status == "pending",
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    )
    if alert_ids is not None:
        q = q.where(Delivery.alert_id.in_(list(alert_ids)))
    if delivery_ids is not None:
        q = q.where(Delivery.id.in_(list(delivery_ids)))
    with sessions() as session:
        return list(session.scalars(q.order_by(Delivery.id)))


def deliver_one(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Channel],
    delivery_id: int,
    now: datetime | None = None,
) -> str | None:
    """Send one claimed delivery and record the attempt; returns its new status."""
    now = now or utcnow()
    until = _claim(sessions, delivery_id, now)
    if until is None:
        return None
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        if delivery.channel in disabled_in(session):
            return _hold(sessions, delivery_id)
        msg = alert_message(session, delivery.alert_id)
        channel = channels.get(delivery.channel)
    if msg is None or channel is None:
        reason = "alert vanished" if msg is None else f"channel {delivery.channel!r} not configured"
        _finish(sessions, delivery_id, ok=False, status_code=None, error=reason, final=True)
        return "failed"
    with _Lease(sessions, delivery_id, until):
        try:
            attempt = channel.send(msg)
            ok, code = bool(attempt.ok), getattr(attempt, "status_code", None)
            error = attempt.error
            final = not ok and not attempt.retryable  # 410 Gone, a rejected message: no retry
        except Exception as exc:  # a channel bug must not lose the alert: retry later
            log.exception("channel %s raised", delivery.channel)
            ok, code, error, final = False, None, f"{type(exc).__name__}: {exc}", False
    return _finish(sessions, delivery_id, ok=ok, status_code=code, error=error, final=final)


def _hold(sessions: sessionmaker[Session], delivery_id: int) -> str:
    """A pending delivery to a disabled channel (written before the 410 was known) waits."""
    with sessions() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "pending")
            .values(status=HELD, claimed_until=None, next_attempt_at=None)
        )
    return HELD


def _finish(
    sessions: sessionmaker[Session],
    delivery_id: int,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    final: bool,
) -> str:
    now = utcnow()
    with sessions() as session, session.begin():
        d = session.get(Delivery, delivery_id)
        assert d is not None
        session.add(
            DeliveryAttempt(delivery_id=d.id, at=now, ok=ok, status_code=status_code, error=error)
        )
        d.attempts += 1
        d.claimed_until = None
        if ok:
            d.status, d.delivered_at, d.last_error = "sent", now, None
        else:
            d.last_error = error or (f"HTTP {status_code}" if status_code else "failed")
            nxt = None if final else next_attempt_at(d.attempts, now)
            if final and status_code == 410:
                disable_channel(session, d.channel, now)
                d.status, d.next_attempt_at = HELD, None
                log.warning("%s", disable_reason(d.channel))
            elif nxt is None:
                d.status = "failed"
                log.warning("delivery %s to %s failed for good: %s", d.id, d.channel, d.last_error)
            else:
                d.next_attempt_at = nxt
                log.warning(
                    "delivery %s to %s failed (%s); next attempt at %s",
                    d.id,
                    d.channel,
                    d.last_error,
                    nxt.isoformat(timespec="seconds"),
                )
        return d.status


def deliver_due(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Channel],
    alert_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    delivery_ids: Sequence[int] | None = None,
) -> dict[str, int]:
    """Send every due delivery (optionally only those of some alerts or ids); counts by outcome."""
    counts: dict[str, int] = {}
    now = now or utcnow()
    for delivery_id in due_delivery_ids(sessions, now, alert_ids, delivery_ids):
        status = deliver_one(sessions, channels, delivery_id, now) or "skipped"
        counts[status] = counts.get(status, 0) + 1
    return counts
