"""One polling cycle: fetch the due feeds concurrently, store their new items, report the ids.

Storage is the poller's job; what happens to an item afterwards is the worker's. Only item ids
leave this module. A failing feed is logged once per failure with its reason, backs off, and is
retried; it never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.fetch import FetchResult, FetchState, fetch_feed
from scheduler.fulltext import fetch_fulltext
from scheduler.parse import FeedError, ParsedFeed, parse_feed
from scheduler.politeness import HostLimiter
from scheduler.schedule import PollPolicy, after_failure, after_success
from scheduler.stories import assign_story
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
            )
            for f in session.scalars(q.order_by(Feed.id))
        ]


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
    new_ids = []
    for entry in entries:
        exists = session.scalar(
            select(Item.id).where(Item.feed_id == feed_id, Item.key == entry.key)
        )
        if exists is not None:
            continue
        body = bodies.get(entry.key)
        story_id, fingerprint = assign_story(session, body or entry.text)
        item = Item(
            feed_id=feed_id,
            key=entry.key,
            guid=entry.guid,
            link=entry.link,
            title=entry.title,
            summary=entry.summary,
            published=entry.published,
            body=body,
            fingerprint=fingerprint,
            story_id=story_id,
        )
        try:
            with session.begin_nested():
                session.add(item)
        except IntegrityError:  # stored meanwhile by another poller
            continue
        new_ids.append(item.id)
    return new_ids


def _record(
    sessions: sessionmaker[Session],
    snap: FeedSnapshot,
    result: FetchResult,
    parsed: ParsedFeed | None,
    error: str | None,
    policy: PollPolicy,
    bodies: Mapping[str, str] | None = None,
) -> PollOutcome:
    now = utcnow()
    with sessions() as session, session.begin():
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
            new_ids = store_entries(session, feed.id, parsed.entries, bodies)
            feed.title = feed.title or parsed.title or None
            for warning in parsed.warnings:
                log.info("feed %s: %s", snap.url, warning)
            feed.last_warning = "; ".join(parsed.warnings)[:2000] or None
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
        return PollOutcome(snap.url, tuple(new_ids), not_modified=result.kind == "not_modified")


async def _poll_one(
    client: httpx.AsyncClient, snap: FeedSnapshot, max_bytes: int, limiter: HostLimiter | None
) -> tuple[FetchResult, ParsedFeed | None, str | None]:
    state = FetchState(etag=snap.etag, last_modified=snap.last_modified)
    if limiter is not None:
        async with limiter.slot(snap.url):
            result = await fetch_feed(client, snap.url, state, max_bytes=max_bytes)
    else:
        result = await fetch_feed(client, snap.url, state, max_bytes=max_bytes)
    if result.kind == "error":
        return result, None, result.error or "fetch failed"
    if result.kind != "ok":
        return result, None, None
    try:
        parsed = await asyncio.to_thread(
            parse_feed, result.body, result.final_url or snap.url, result.content_type
        )
    except FeedError as exc:
        return result, None, str(exc)
    return result, parsed, None


async def _fulltexts(
    sessions: sessionmaker[Session],
    client: httpx.AsyncClient,
    snap: FeedSnapshot,
    parsed: ParsedFeed,
    limiter: HostLimiter | None,
) -> dict[str, str]:
    """Article texts of the entries this feed has not stored yet (same politeness rules)."""
    keys = [e.key for e in parsed.entries]
    known = await asyncio.to_thread(known_keys, sessions, snap.id, keys)
    new = [e for e in parsed.entries if e.key not in known and e.link]
    texts = await asyncio.gather(*(fetch_fulltext(client, e.link, limiter) for e in new if e.link))
    return {e.key: t for e, t in zip(new, texts, strict=True) if t}


async def poll_feeds(
    sessions: sessionmaker[Session],
    client: httpx.AsyncClient,
    feeds: Sequence[FeedSnapshot],
    policy: PollPolicy,
    max_bytes: int,
    limiter: HostLimiter | None = None,
) -> list[PollOutcome]:
    """Fetch and parse every feed concurrently, then store each result as it comes."""

    async def one(snap: FeedSnapshot) -> PollOutcome:
        bodies: dict[str, str] = {}
        try:
            result, parsed, error = await _poll_one(client, snap, max_bytes, limiter)
            if parsed is not None and snap.fulltext:
                bodies = await _fulltexts(sessions, client, snap, parsed, limiter)
        except Exception as exc:  # never let one feed's surprise stop the cycle
            log.exception("feed %s: unexpected error", snap.url)
            result = FetchResult(url=snap.url, kind="error", error=str(exc))
            parsed, error = None, f"unexpected error: {exc}"
        return await asyncio.to_thread(
            _record, sessions, snap, result, parsed, error, policy, bodies
        )

    return list(await asyncio.gather(*(one(s) for s in feeds)))


def next_due(sessions: sessionmaker[Session], feed_ids: Sequence[int]) -> timedelta | None:
    """How long until the earliest of these feeds is due again."""
    with sessions() as session:
        when = session.scalar(
            select(Feed.next_poll_at)
            .where(Feed.id.in_(list(feed_ids)), Feed.status != "disabled")
            .order_by(Feed.next_poll_at)
            .limit(1)
        )
    if when is None:
        return None
    return max(timedelta(0), when - utcnow())
