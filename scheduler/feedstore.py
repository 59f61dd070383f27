"""Storing what polling learns: feeds from the configuration, new items, feed health.

Plain functions over a session; scheduler.poll calls them from one writer thread, in batches,
so that a thousand 304s cost one transaction rather than a thousand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.parse import ParsedFeed
from scheduler.results import FetchResult
from scheduler.schedule import PollPolicy, after_failure, after_success
from scheduler.stories import assign_story, insert_id
from veille.domain import FeedEntry
from veille.models import Feed, Item, utcnow
from veille.settings import FeedConfig

log = logging.getLogger("veille.scheduler")


@dataclass(frozen=True)
class FeedSnapshot:
    """What a fetch needs to know of a stored feed, detached from any session."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    interval: int | None
    consecutive_failures: int
    fulltext: bool = False
    interval_hint: int | None = None
    # digests of the entries it served last time, not parsed again (scheduler.entries)
    seen_entries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PollOutcome:
    """The result of polling one feed: its new item ids, or the error it failed with."""

    feed_url: str
    new_item_ids: tuple[int, ...] = ()
    not_modified: bool = False
    error: str | None = None


def sync_feeds(
    sessions: sessionmaker[Session], configs: Iterable[FeedConfig], origin: str = "config"
) -> list[int]:
    """Make sure every configured feed has a row; returns their ids in configuration order."""
    ids = []
    with sessions() as session, session.begin():
        for cfg in configs:
            feed = session.scalar(select(Feed).where(Feed.url == cfg.url))
            if feed is None:
                feed = Feed(
                    url=cfg.url,
                    interval=cfg.interval,
                    fulltext=cfg.fulltext,
                    title=cfg.title,
                    origin=origin,
                    status="ok",
                )
                session.add(feed)
                session.flush()
            else:
                feed.interval, feed.fulltext = cfg.interval, cfg.fulltext
            ids.append(feed.id)
    return ids


def user_feed_ids(sessions: sessionmaker[Session]) -> list[int]:
    """Feeds added with `veille feeds add` or imported from OPML."""
    with sessions() as session:
        return list(session.scalars(select(Feed.id).where(Feed.origin == "user")))


def snapshots(
    sessions: sessionmaker[Session], feed_ids: Sequence[int], due_before: datetime | None = None
) -> list[FeedSnapshot]:
    """Detached views of the given feeds that are enabled (and due, when a time is given)."""
    with sessions() as session:
        q = select(Feed).where(Feed.id.in_(list(feed_ids)), Feed.status != "disabled")
        if due_before is not None:
            q = q.where((Feed.next_poll_at.is_(None)) | (Feed.next_poll_at <= due_before))
        return [
            FeedSnapshot(
                f.id,
                f.url,
                f.etag,
                f.last_modified,
                f.interval,
                f.consecutive_failures,
                f.fulltext,
                f.interval_hint,
                _seen_entries(f),
            )
            for f in session.scalars(q.order_by(Feed.id))
        ]


def waiting_feeds(
    sessions: sessionmaker[Session], feed_ids: Sequence[int], slack: float = 0.0
) -> list[tuple[str, str]]:
    """(url, next poll time) of the enabled feeds not due yet: what `poll --once` skips."""
    now = utcnow() + timedelta(seconds=slack)
    with sessions() as session:
        q = select(Feed.url, Feed.next_poll_at).where(
            Feed.id.in_(list(feed_ids)), Feed.status != "disabled", Feed.next_poll_at > now
        )
        return [(url, f"{when:%Y-%m-%d %H:%M:%S} UTC") for url, when in session.execute(q)]


def _seen_entries(feed: Feed) -> frozenset[str]:
    """Entries not to parse again: none while the feed has warnings, so that a malformed
    entry is read (and its warning recorded) on every poll, not only the first."""
    if feed.last_warning or not feed.entry_digests:
        return frozenset()
    return frozenset(feed.entry_digests.split())


def known_keys(sessions: sessionmaker[Session], feed_id: int, keys: Sequence[str]) -> set[str]:
    """Which of these entry keys the feed has already stored."""
    with sessions() as session:
        return set(
            session.scalars(select(Item.key).where(Item.feed_id == feed_id, Item.key.in_(keys)))
        )


def store_entries(
    session: Session,
    feed_id: int,
    entries: Iterable[FeedEntry],
    bodies: Mapping[str, str] | None = None,
) -> list[int]:
    """Insert the entries this feed has not stored yet; returns the new item ids."""
    bodies = bodies or {}
    entries = list(entries)
    known = set(
        session.scalars(
            select(Item.key).where(Item.feed_id == feed_id, Item.key.in_([e.key for e in entries]))
        )
    )
    new_ids = []
    for entry in entries:
        if entry.key in known:
            continue
        known.add(entry.key)
        body = bodies.get(entry.key)
        story_id, fingerprint = assign_story(session, body or entry.text)
        row = {
            "feed_id": feed_id,
            "key": entry.key,
            "guid": entry.guid,
            "link": entry.link,
            "title": entry.title,
            "summary": entry.summary,
            "published": entry.published,
            "body": body,
            "fingerprint": fingerprint,
            "story_id": story_id,
        }
        try:
            with session.begin_nested():  # a Core insert: no unit-of-work flush per item
                item_id = insert_id(session, insert(Item).values(row))
        except IntegrityError:  # stored meanwhile by another poller
            continue
        new_ids.append(item_id)
    return new_ids


@dataclass(frozen=True)
class FetchedFeed:
    """What a fetch learned about one feed, waiting to be stored."""

    snap: FeedSnapshot
    result: FetchResult
    parsed: ParsedFeed | None
    error: str | None
    bodies: Mapping[str, str] = field(default_factory=dict)


def record_batch(
    sessions: sessionmaker[Session], batch: Sequence[FetchedFeed], policy: PollPolicy
) -> list[PollOutcome]:
    """Store many fetch results in one transaction: 304s in one bulk UPDATE, the others each
    in a savepoint of its own."""
    outcomes = []
    unchanged = [
        f for f in batch if f.result.kind == "not_modified" and not f.result.permanent_redirect_to
    ]
    with sessions() as session, session.begin():
        if unchanged:
            outcomes += _record_unchanged(session, unchanged, policy)
        done = {id(f) for f in unchanged}
        for fetched in batch:
            if id(fetched) in done:
                continue
            try:
                with session.begin_nested():
                    outcomes.append(record(session, fetched, policy))
            except Exception as exc:  # one feed's bad data must not lose the others'
                log.exception("feed %s: could not store the result", fetched.snap.url)
                outcomes.append(PollOutcome(fetched.snap.url, error=f"storage error: {exc}"))
    return outcomes


def _record_unchanged(
    session: Session, batch: Sequence[FetchedFeed], policy: PollPolicy
) -> list[PollOutcome]:
    """A feed that answered 304: healthy, same items, next poll at its adaptive interval."""
    now = utcnow()
    rows = []
    for f in batch:
        next_poll = after_success(
            now, policy, interval=f.snap.interval_hint or f.snap.interval,
            max_age=f.result.max_age,
        )  # fmt: skip
        row = {"id": f.snap.id, "status": "ok", "last_error": None, "consecutive_failures": 0,
               "last_success": now, "next_poll_at": next_poll}  # fmt: skip
        if f.result.etag:
            row["etag"] = f.result.etag
        if f.result.last_modified:
            row["last_modified"] = f.result.last_modified
        rows.append(row)
    # Same keys in every row, so the UPDATE is one executemany.
    for keys in {tuple(sorted(r)) for r in rows}:
        session.execute(update(Feed), [r for r in rows if tuple(sorted(r)) == keys])
    return [PollOutcome(f.snap.url, not_modified=True) for f in batch]


def record(session: Session, fetched: FetchedFeed, policy: PollPolicy) -> PollOutcome:
    """Store one feed's fetch result: new items, validators, health, next poll time."""
    snap, result, parsed, error = fetched.snap, fetched.result, fetched.parsed, fetched.error
    now = utcnow()
    feed = session.get(Feed, snap.id)
    assert feed is not None
    if result.permanent_redirect_to:
        moved = session.scalar(select(Feed.id).where(Feed.url == result.permanent_redirect_to))
        if moved is None:
            log.info("feed %s moved permanently to %s", feed.url, result.permanent_redirect_to)
            feed.url = result.permanent_redirect_to
    if result.kind == "gone":
        feed.status = "disabled"
        feed.disabled_reason = feed.last_error = f"{snap.url} answered 410 Gone: feed disabled"
        log.warning("%s", feed.last_error)
        return PollOutcome(snap.url, error=feed.last_error)
    if error is not None:
        feed.consecutive_failures += 1
        feed.status, feed.last_error = "failing", error
        feed.next_poll_at = after_failure(
            now, feed.consecutive_failures, policy, retry_after=result.retry_after
        )
        log.warning(
            "feed %s failed (%s); retry at %s",
            snap.url,
            error,
            feed.next_poll_at.isoformat(timespec="seconds"),
        )
        return PollOutcome(snap.url, error=error)
    new_ids: list[int] = []
    if parsed is not None:
        new_ids = store_entries(session, feed.id, parsed.entries, fetched.bodies)
        feed.title = feed.title or parsed.title or None
        for warning in parsed.warnings:
            log.info("feed %s: %s", snap.url, warning)
        feed.last_warning = "; ".join(parsed.warnings)[:2000] or None
        feed.entry_digests = " ".join(parsed.digests) or None
    feed.etag = result.etag or feed.etag
    feed.last_modified = result.last_modified or feed.last_modified
    feed.status, feed.last_error, feed.consecutive_failures = "ok", None, 0
    feed.last_success = now
    recent = session.scalars(
        select(Item.published)
        .where(Item.feed_id == feed.id, Item.published.is_not(None))
        .order_by(Item.published.desc())
        .limit(20)
    ).all()
    feed.next_poll_at = after_success(
        now,
        policy,
        interval=feed.interval,
        published=[p for p in recent if p],
        max_age=result.max_age,
        ttl_minutes=parsed.ttl if parsed else None,
    )
    feed.interval_hint = round((feed.next_poll_at - now).total_seconds())
    return PollOutcome(snap.url, tuple(new_ids), not_modified=result.kind == "not_modified")
