"""When to poll next: jittered exponential backoff on failure, adaptive interval on success."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

DEFAULT_RETRY_AFTER_CAP = 24 * 3600.0
RECENT_ITEMS = 20


def failure_delay(
    failures: int,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600.0,
    rng: random.Random | None = None,
    retry_after: float | None = None,
    floor: float = 1.0,
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP,
) -> float:
    """Seconds before retrying after the n-th failure in a row: full jitter, never giving up.

    The ceiling doubles per failure (base, 2*base, ...) up to `cap`; the delay is uniform in
    [0, ceiling] (spreads retries of feeds that failed together), at least `floor`, and at least
    the server's Retry-After (itself capped so a bogus header cannot stop polling).
    """
    rng = rng or random.Random()
    n = max(1, failures)
    ceiling = min(cap, base * 2.0 ** min(n - 1, 60))
    delay = max(floor, rng.uniform(0.0, ceiling))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, retry_after_cap))
    return delay


def publication_gap(
    published: Sequence[datetime], now: datetime, recent: int = RECENT_ITEMS
) -> float | None:
    """Median seconds between a feed's recent publications, or None with fewer than 3 dates."""
    horizon = now + timedelta(hours=1)
    dates = sorted({d for d in published if d is not None and d <= horizon}, reverse=True)[:recent]
    if len(dates) < 3:
        return None
    gaps = [(a - b).total_seconds() for a, b in zip(dates, dates[1:], strict=False)]
    return max(1.0, statistics.median(gaps))


def adaptive_interval(published: Sequence[datetime], now: datetime, base: float) -> float:
    """Poll about twice per typical gap between items; slower when the feed has gone quiet."""
    gap = publication_gap(published, now)
    if gap is None:
        return base
    interval = gap / 2.0
    newest = max(d for d in published if d is not None)
    silence = (now - newest).total_seconds()
    if silence > 4 * gap:  # nothing for a long while: back off gently, a quarter of the silence
        interval = max(interval, silence / 4.0)
    return interval


def success_delay(
    *,
    base: float,
    min_interval: float,
    max_interval: float,
    published: Sequence[datetime] = (),
    max_age: float | None = None,
    ttl_minutes: int | None = None,
    now: datetime,
    rng: random.Random | None = None,
    jitter: float = 0.0,
) -> float:
    """Seconds until the next poll of a healthy feed.

    Adaptive interval from publication frequency, clamped to [min_interval, max_interval];
    then Cache-Control max-age and RSS <ttl> act as lower bounds (never past max_interval).
    An optional ±jitter fraction (with an injected rng) spreads feeds added together.
    """
    lo, hi = min(min_interval, max_interval), max(min_interval, max_interval)
    delay = min(hi, max(lo, adaptive_interval(published, now, base)))
    for hint in (max_age, ttl_minutes * 60.0 if ttl_minutes else None):
        if hint is not None and hint > 0:
            delay = max(delay, min(hint, hi))
    if jitter > 0 and rng is not None:
        delay *= 1.0 + rng.uniform(-jitter, jitter)
        delay = min(hi, max(lo, delay))
    return delay


def next_poll_at(now: datetime, delay_seconds: float) -> datetime:
    """The datetime `delay_seconds` after `now` (keeps the caller's timezone)."""
    return now + timedelta(seconds=delay_seconds)
