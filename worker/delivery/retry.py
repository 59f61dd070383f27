"""Retry schedule for failed deliveries: quick retries for short outages, then backing off to a day.

The early steps are seconds apart so a receiver back after a minute or two gets its alerts
within seconds of returning; the later ones keep the overall horizon near two days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from worker.delivery import Attempt

__all__ = ["MAX_ATTEMPTS", "SCHEDULE", "next_attempt_at", "next_retry_at"]

# Delay before the retry that follows failed attempt number i (1-based) is SCHEDULE[i - 1].
SCHEDULE: tuple[timedelta, ...] = (
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
)

# The first attempt plus one retry per schedule step.
MAX_ATTEMPTS = len(SCHEDULE) + 1


def next_attempt_at(attempt_number: int, now: datetime) -> datetime | None:
    """When to try again after failed attempt ``attempt_number`` (1 = the first send).

    None once the schedule is used up: the delivery is then marked failed.
    """
    if attempt_number < 1:
        raise ValueError(f"attempt_number starts at 1, got {attempt_number}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if attempt_number > len(SCHEDULE):
        return None
    return now + SCHEDULE[attempt_number - 1]


def next_retry_at(attempt: Attempt, attempt_number: int) -> datetime | None:
    """The retry time for a finished attempt: None if it succeeded, is permanent, or ran out."""
    if attempt.ok or attempt.permanent or not attempt.retryable:
        return None
    return next_attempt_at(attempt_number, attempt.at)
