"""The feed list of the configuration checked entry by entry when the settings are read.

The policy of `veille feeds add`: an http(s) URL with a host, or a local file (relative to the
TOML file) that exists and is not a system path. Unlike `feeds add`, the list may name local
files when scaled out too: only the scheduler reads feeds, on the machine of its TOML file (the
default list's demo feed, docker-compose.yml). Each field has its type and an interval its
bounds, so a mistake stops Veille at start-up naming the entry, not at the first poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from veille.feedurls import BadFeedLocation, check_feed_location

FIELDS = frozenset({"url", "interval", "fulltext", "title"})
MIN_FEED_INTERVAL = 1
MAX_FEED_INTERVAL = 7 * 24 * 3600  # a week: past that, remove the feed


class BadFeedEntry(ValueError):
    """One entry of the feed list that cannot be polled as written; the message says why."""


def entry_label(index: int, entry: Any) -> str:
    """``feeds[2] ('ftp://x')``: which entry, as its author wrote it."""
    url = entry.get("url") if isinstance(entry, Mapping) else entry
    return f"feeds[{index}] ({url!r})" if isinstance(url, str) and url else f"feeds[{index}]"


def check_entry(entry: Any, base: Path | None) -> dict[str, Any]:
    """The entry's fields, its url checked and made absolute; BadFeedEntry when one is wrong."""
    if isinstance(entry, str):
        entry = {"url": entry}
    if not isinstance(entry, Mapping):
        raise BadFeedEntry(f"expected a [[feeds]] table or a URL, not {type(entry).__name__}")
    unknown = set(entry) - FIELDS
    if unknown:
        raise BadFeedEntry(f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(FIELDS))})")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadFeedEntry("each feed needs a url, an http(s) URL or a local file")
    try:
        location = check_feed_location(url, allow_local=True, base=base)
    except BadFeedLocation as exc:
        raise BadFeedEntry(f"url: {exc}") from None
    return {
        "url": location,
        "interval": _interval(entry.get("interval")),
        "fulltext": _flag(entry.get("fulltext", False)),
        "title": _title(entry.get("title")),
    }


def _interval(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadFeedEntry(f"interval: a whole number of seconds, not {value!r}")
    if not MIN_FEED_INTERVAL <= value <= MAX_FEED_INTERVAL:
        raise BadFeedEntry(
            f"interval: between {MIN_FEED_INTERVAL} and {MAX_FEED_INTERVAL} seconds, not {value}"
        )
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadFeedEntry(f"fulltext: true or false, not {value!r}")
    return value


def _title(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadFeedEntry(f"title: a string, not {value!r}")
    return value.strip() or None
