"""One polling cycle: fetch the due feeds concurrently and store what they say.

Fetching and parsing run concurrently (one slow host never delays the others); a single writer
stores results in batches as they arrive (scheduler.feedstore). Only item ids leave this
module. A failing feed is logged once per failure with its reason, backs off, and is retried;
it never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp
from sqlalchemy.orm import Session, sessionmaker

from scheduler.feedstore import FeedSnapshot, FetchedFeed, PollOutcome, known_keys, record_batch
from scheduler.fetch import FetchResult, FetchState, fetch_feed
from scheduler.fulltext import fetch_fulltext
from scheduler.parse import FeedError, ParsedFeed
from scheduler.parsepool import FeedParser
from scheduler.politeness import HostLimiter
from scheduler.schedule import PollPolicy

log = logging.getLogger("veille.scheduler")
WRITE_BATCH = 200


async def _poll_one(
    client: aiohttp.ClientSession,
    snap: FeedSnapshot,
    max_bytes: int,
    limiter: HostLimiter | None,
    parser: FeedParser,
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
        parsed = await parser.parse(
            result.body, result.final_url or snap.url, result.content_type, snap.seen_entries
        )
    except FeedError as exc:
        return result, None, str(exc)
    return result, parsed, None


async def _fulltexts(
    sessions: sessionmaker[Session],
    client: aiohttp.ClientSession,
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
    client: aiohttp.ClientSession,
    feeds: Sequence[FeedSnapshot],
    policy: PollPolicy,
    max_bytes: int,
    limiter: HostLimiter | None = None,
    parser: FeedParser | None = None,
    page_client: aiohttp.ClientSession | None = None,
) -> list[PollOutcome]:
    """Fetch and parse every feed concurrently; one writer stores the results as they come.

    Article pages of full-text feeds are fetched with `page_client` (default: `client`), the
    one whose address policy refuses internal addresses even where feeds may use them.
    """
    parser = parser or FeedParser(0)
    pages = page_client or client
    queue: asyncio.Queue[FetchedFeed | None] = asyncio.Queue()

    async def one(snap: FeedSnapshot) -> None:
        bodies: dict[str, str] = {}
        try:
            result, parsed, error = await _poll_one(client, snap, max_bytes, limiter, parser)
            if parsed is not None and snap.fulltext:
                bodies = await _fulltexts(sessions, pages, snap, parsed, limiter)
        except Exception as exc:  # never let one feed's surprise stop the cycle
            log.exception("feed %s: unexpected error", snap.url)
            result = FetchResult(url=snap.url, kind="error", error=str(exc))
            parsed, error = None, f"unexpected error: {exc}"
        await queue.put(FetchedFeed(snap, result, parsed, error, bodies))

    async def writer() -> list[PollOutcome]:
        outcomes: list[PollOutcome] = []
        done = False
        while not done:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < WRITE_BATCH:
                batch.append(queue.get_nowait())
            done = batch[-1] is None
            ready = [b for b in batch if b is not None]
            if ready:
                outcomes += await asyncio.to_thread(record_batch, sessions, ready, policy)
        return outcomes

    async def fetchers() -> None:
        await asyncio.gather(*(one(s) for s in feeds))
        await queue.put(None)

    _, outcomes = await asyncio.gather(fetchers(), writer())
    by_url = {o.feed_url: o for o in outcomes}
    return [by_url[s.url] for s in feeds]
