"""Parse feed bytes with feedparser into clean FeedEntry values, tolerating publishers' quirks."""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from veille.domain import FeedEntry

from .dates import parse_date
from .entries import unseen_entries
from .htmltext import AlternateFinder, clean_text, looks_like_html

_SY_PERIOD_MINUTES = {
    "hourly": 60,
    "daily": 1440,
    "weekly": 10080,
    "monthly": 43200,
    "yearly": 525600,
}


class FeedError(Exception):
    """The body cannot be used as a feed; `suggestion` is a feed URL advertised by an HTML page."""

    def __init__(self, message: str, url: str = "", suggestion: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.suggestion = suggestion

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, str, str | None]]:
        """Keep url and suggestion when the error crosses from a parser process."""
        return (FeedError, (str(self), self.url, self.suggestion))


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: channel title/link, RSS ttl in minutes, entries, and what went wrong."""

    title: str
    link: str | None
    ttl: int | None
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # digests of every entry the body holds (scheduler.entries), and how many of them were
    # served before and so not parsed again
    digests: tuple[str, ...] = ()
    skipped: int = 0


def html_page_error(body: bytes, url: str) -> FeedError:
    """A FeedError for an HTML page, pointing to the feed it advertises, if any."""
    finder = AlternateFinder()
    try:
        finder.feed(body[:500_000].decode("utf-8", errors="replace"))
        finder.close()
    except (AssertionError, ValueError):  # very broken markup: no suggestion, still an error
        pass
    title = clean_text(finder.title)[:80]
    what = f" ({title!r})" if title else ""
    message = f"{url or 'the URL'} served an HTML page, not a feed{what}"
    suggestion = None
    if finder.feeds:
        base = urljoin(url, finder.base) if finder.base else url
        suggestion = urljoin(base, finder.feeds[0])
        message += f"; the page advertises a feed at {suggestion}"
    return FeedError(message, url=url, suggestion=suggestion)


def _ttl_minutes(feed: Any) -> int | None:
    raw = feed.get("ttl")
    if raw is not None:
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = 0
        if value > 0:
            return value
    period = str(feed.get("sy_updateperiod", "")).strip().lower()
    if period in _SY_PERIOD_MINUTES:
        try:
            freq = max(1, int(str(feed.get("sy_updatefrequency", "1")).strip()))
        except ValueError:
            freq = 1
        return max(1, _SY_PERIOD_MINUTES[period] // freq)
    return None


def _struct_to_utc(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def entry_date(entry: Any, notes: Counter[str] | None = None) -> datetime | None:
    """Publication date of an entry in aware UTC: our own parser first, feedparser's second."""
    for raw_key, parsed_key in (
        ("published", "published_parsed"),
        ("updated", "updated_parsed"),
        ("created", "created_parsed"),
    ):
        raw = dict.get(entry, raw_key)  # plain dict access: no feedparser key aliasing
        if not raw:
            continue
        when, note = parse_date(str(raw))
        if when is None:
            when = _struct_to_utc(dict.get(entry, parsed_key))
            note = note or (None if when else f"unreadable date {raw!r}")
        if note and notes is not None:
            notes[note] += 1
        if when is not None:
            return when
    return None


def entry_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    """Stable identity of an entry: the GUID, else the link, else a hash of its text."""
    if guid:
        return guid
    if link:
        return link
    return "sha256:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()


def _summary(entry: Any) -> str:
    if entry.get("summary"):
        return str(entry["summary"])
    for content in entry.get("content") or []:
        if content.get("value"):
            return str(content["value"])
    return ""


def _entry(
    entry: Any, base: str, label: str, warnings: list[str], notes: Counter[str]
) -> FeedEntry | None:
    title = clean_text(entry.get("title"))
    summary = clean_text(_summary(entry))
    link_raw = (entry.get("link") or "").strip()
    link = urljoin(base, link_raw) if link_raw else None
    guid = (entry.get("id") or "").strip() or None
    if not (title or summary or link):
        warnings.append(f"{label}: no title, summary or link; skipped")
        return None
    published = entry_date(entry, notes)
    return FeedEntry(
        key=entry_key(guid, link, title, summary),
        title=title,
        summary=summary,
        link=link,
        guid=guid,
        published=published,
    )


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, seen: Collection[str] = ()
) -> ParsedFeed:
    """Parse feed bytes; raise FeedError when they are not a feed (HTML page, empty, not XML).

    `seen`: digests of the entries this feed served last time; those are not parsed again.
    """
    if not body or not body.strip():
        raise FeedError(f"{url or 'the URL'} returned an empty body, not a feed", url=url)
    if looks_like_html(body):
        raise html_page_error(body, url)
    headers = {"content-type": content_type} if content_type else None
    reduced = unseen_entries(body, seen)
    parsed = feedparser.parse(
        reduced.body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    warnings: list[str] = []
    problem = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(problem, feedparser.NonXMLContentType):
        why = f"{type(problem).__name__}: {problem}"
        if not parsed.entries and not parsed.get("version"):
            raise FeedError(f"{url or 'the URL'} is not a readable feed ({why})", url=url)
        warnings.append(f"malformed feed, parsed leniently: {why}")
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(f"{url or 'the URL'} is XML but not RSS, Atom or RDF", url=url)
    if content_type and not _xmlish(content_type):
        warnings.append(f"served as {content_type.split(';')[0]}, but parsed as a feed")
    feed = parsed.feed
    link = (feed.get("link") or "").strip() or None
    base = url if url.lower().startswith(("http://", "https://")) else (link or "")
    entries: list[FeedEntry] = []
    keys: set[str] = set()
    notes: Counter[str] = Counter()
    for i, raw in enumerate(parsed.entries):
        label = f"entry {i + 1}"
        try:
            entry = _entry(raw, base, label, warnings, notes)
        except Exception as exc:  # noqa: BLE001 - one bad entry must never sink the feed
            warnings.append(f"{label}: skipped ({type(exc).__name__}: {exc})")
            continue
        if entry is None:
            continue
        if entry.key in keys:
            warnings.append(f"{label}: duplicate key {entry.key!r}; skipped")
            continue
        keys.add(entry.key)
        entries.append(entry)
    for note, count in notes.items():
        warnings.append(f"dates: {note} ({count} entries)" if count > 1 else f"dates: {note}")
    if not parsed.entries and not reduced.skipped:
        warnings.append("feed has no entries")
    return ParsedFeed(
        title=clean_text(feed.get("title")),
        link=link,
        ttl=_ttl_minutes(feed),
        entries=entries,
        warnings=_dedupe_warnings(warnings),
        digests=reduced.digests,
        skipped=reduced.skipped,
    )


def _xmlish(content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime.endswith(("+xml", "/xml")) or mime in ("application/octet-stream", "")


def _dedupe_warnings(warnings: list[str], limit: int = 50) -> list[str]:
    out = list(dict.fromkeys(warnings))
    if len(out) > limit:
        out = [*out[:limit], f"... and {len(out) - limit} more warnings"]
    return out


def newest(entries: list[FeedEntry], now: datetime | None = None) -> datetime | None:
    """Latest publication date among entries, ignoring those more than a day in the future."""
    limit = (now or datetime.now(UTC)) + timedelta(days=1)
    dates = [e.published for e in entries if e.published and e.published <= limit]
    return max(dates) if dates else None
