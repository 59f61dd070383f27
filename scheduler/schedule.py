"""When to poll a feed next: the settings' policy applied to what the last poll learned."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class PollPolicy:
    """Intervals in seconds; failures back off exponentially up to ``backoff_cap``."""

    default_interval: int = 300
    min_interval: int = 60
    max_interval: int = 3600
    backoff_base: float = 60.0
    backoff_cap: float = 6 * 3600.0
    rng: random.Random = field(default_factory=random.Random, compare=False)


def after_failure(
    now: datetime, failures: int, policy: PollPolicy, retry_after: float | None = None
) -> datetime:
    """Back off exponentially with full jitter, never giving up; Retry-After is a floor."""
    from scheduler.backoff import failure_delay

    delay = failure_delay(
        failures,
        base=min(policy.backoff_base, policy.default_interval),
        cap=policy.backoff_cap,
        rng=policy.rng,
        retry_after=retry_after,
    )
    return now + timedelta(seconds=delay)


def after_success(
    now: datetime,
    policy: PollPolicy,
    *,
    interval: int | None,
    published: Sequence[datetime] = (),
    max_age: float | None = None,
    ttl_minutes: int | None = None,
) -> datetime:
    """The feed's own interval, adapted to how often it publishes, within the policy's bounds."""
    from scheduler.backoff import success_delay

    delay = success_delay(
        base=interval or policy.default_interval,
        min_interval=policy.min_interval,
        max_interval=policy.max_interval,
        published=published,
        max_age=max_age,
        ttl_minutes=ttl_minutes,
        now=now,
    )
    return now + timedelta(seconds=delay)
