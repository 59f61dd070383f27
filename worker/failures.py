"""Items that cannot be extracted: counted attempts, set aside at the limit, retried on demand.

An item whose extraction fails (an extractor bug, a text it cannot read) is tried again at the
next cycle, up to `item_attempts` times; then it is set aside as failed with its reason, shown
by `veille items failed` and `veille feeds list`, and not tried again until `veille items retry`.
It never holds up the other items of its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from veille.models import Feed, Item, utcnow


@dataclass(frozen=True)
class Attempt:
    """What one failed attempt left: how many so far, and whether the item is now set aside."""

    attempts: int
    failed: bool


@dataclass(frozen=True)
class FailedItem:
    """An item set aside, as `veille items failed` lists it."""

    id: int
    feed_url: str
    title: str
    attempts: int
    reason: str
    failed_at: datetime


def record_attempt(
    sessions: sessionmaker[Session], item_id: int, reason: str, max_attempts: int
) -> Attempt:
    """Count a failed extraction of an item; at `max_attempts` set it aside with its reason."""
    with sessions() as session, session.begin():
        session.execute(
            update(Item)
            .where(Item.id == item_id, Item.processed_at.is_(None))
            .values(attempts=Item.attempts + 1, error=reason[:2000])
        )
        session.execute(
            update(Item)
            .where(Item.id == item_id, Item.failed_at.is_(None), Item.attempts >= max_attempts)
            .values(failed_at=utcnow())
        )
        row = session.execute(
            select(Item.attempts, Item.failed_at).where(Item.id == item_id)
        ).one_or_none()
    if row is None:
        return Attempt(0, False)
    return Attempt(row.attempts, row.failed_at is not None)


def failed_items(sessions: sessionmaker[Session]) -> list[FailedItem]:
    """Every item set aside, oldest failure first."""
    q = (
        select(Item, Feed.url)
        .join(Feed, Feed.id == Item.feed_id)
        .where(Item.failed_at.is_not(None))
        .order_by(Item.failed_at, Item.id)
    )
    with sessions() as session:
        return [
            FailedItem(
                id=item.id,
                feed_url=url,
                title=item.title,
                attempts=item.attempts,
                reason=item.error or "",
                failed_at=item.failed_at,
            )
            for item, url in session.execute(q).all()
            if item.failed_at is not None
        ]


def failed_counts(session: Session) -> dict[int, int]:
    """How many items each feed has set aside, by feed id."""
    q = select(Item.feed_id, func.count()).where(Item.failed_at.is_not(None)).group_by(Item.feed_id)
    return {feed_id: n for feed_id, n in session.execute(q).all()}


def retry_items(sessions: sessionmaker[Session], item_ids: Sequence[int] | None) -> list[int]:
    """Put failed items (these, or all when None) back in line with a fresh count of attempts;
    the next cycle, or the scaled-out sweep, extracts them. Returns the ids put back."""
    with sessions() as session, session.begin():
        q = select(Item.id).where(Item.failed_at.is_not(None))
        if item_ids is not None:
            q = q.where(Item.id.in_(list(item_ids)))
        ids = list(session.scalars(q.order_by(Item.id)))
        if ids:
            session.execute(
                update(Item).where(Item.id.in_(ids)).values(attempts=0, failed_at=None, error=None)
            )
    return ids
