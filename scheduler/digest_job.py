"""The daily digest as an APScheduler cron job at settings.digest_time in settings.timezone."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.job import Job
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session, sessionmaker

from veille.settings import Settings

log = logging.getLogger("veille.digest")
JOB_ID = "digest"


def digest_trigger(settings: Settings) -> CronTrigger:
    """Every day at the configured local time (DST handled by the zone)."""
    hour, _, minute = settings.digest_time.partition(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.timezone)


def run_digest(settings: Settings, sessions: sessionmaker[Session], **smtp: Any) -> bool:
    """Send yesterday's digest; log rather than raise, so the scheduler keeps going."""
    from veille.digest import send_digest

    try:
        attempt = send_digest(settings, sessions, **smtp)
    except Exception:
        log.exception("the daily digest could not be built")
        return False
    if attempt.ok:
        log.info("daily digest sent to %s", ", ".join(settings.digest_to))
    else:
        log.warning("daily digest not sent: %s", attempt.error)
    return bool(attempt.ok)


def add_digest_job(
    scheduler: Any, source: Any, sessions: sessionmaker[Session] | None = None
) -> Job | None:
    """Schedule the digest when recipients and an SMTP server are configured; else say why.

    ``source`` is a worker Runtime (its settings and sessions are used) or Settings, in which
    case ``sessions`` is required.
    """
    if sessions is None:
        settings, sessions = source.settings, source.sessions
    else:
        settings = source
    if not settings.digest_to or not settings.smtp_host:
        log.info("no daily digest: set VEILLE_DIGEST_TO and VEILLE_SMTP_HOST to receive one")
        return None
    job: Job = scheduler.add_job(
        run_digest,
        digest_trigger(settings),
        args=(settings, sessions),
        id=JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    log.info(
        "daily digest at %s %s to %s",
        settings.digest_time,
        settings.timezone,
        ", ".join(settings.digest_to),
    )
    return job
