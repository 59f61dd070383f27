"""Retry schedule: the documented backoff, then giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.delivery import Attempt
from worker.delivery.retry import MAX_ATTEMPTS, SCHEDULE, next_attempt_at, next_retry_at

NOW = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_schedule_is_the_documented_backoff() -> None:
    expected = [
        timedelta(seconds=5),
        timedelta(seconds=15),
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=24),
    ]
    got = [next_attempt_at(n, NOW) for n in range(1, len(SCHEDULE) + 1)]
    assert [t - NOW for t in got if t is not None] == expected
    assert MAX_ATTEMPTS == 12
    assert timedelta(days=1.5) < sum(SCHEDULE, timedelta()) < timedelta(days=2)


def test_a_90_second_outage_delays_alerts_by_seconds_not_minutes() -> None:
    at, n = NOW, 1
    while at - NOW < timedelta(seconds=90):  # the receiver is down for 90 s
        nxt = next_attempt_at(n, at)
        assert nxt is not None
        at, n = nxt, n + 1
    assert at - NOW - timedelta(seconds=90) <= timedelta(seconds=30)


def test_none_after_the_last_retry() -> None:
    assert next_attempt_at(MAX_ATTEMPTS, NOW) is None
    assert next_attempt_at(MAX_ATTEMPTS + 3, NOW) is None


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        next_attempt_at(0, NOW)
    with pytest.raises(ValueError):
        next_attempt_at(1, datetime(2026, 11, 28))


def test_next_retry_at_follows_the_attempt_outcome() -> None:
    assert next_retry_at(Attempt.success(200), 1) is None
    assert next_retry_at(Attempt.failure("gone", status_code=410, permanent=True), 1) is None
    failed = Attempt(ok=False, status_code=500, error="HTTP 500", at=NOW, retryable=True)
    assert next_retry_at(failed, 2) == NOW + timedelta(seconds=15)
    assert next_retry_at(failed, MAX_ATTEMPTS) is None
