"""Polling and delivery timing with APScheduler, and where new items go: in-process or Celery.

The embedded service runs everything in this process; the scaled-out scheduler only polls and
enqueues item ids for `veille worker` processes. Both call the same plain functions.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from scheduler.feedstore import FeedSnapshot, PollOutcome, snapshots, sync_feeds, user_feed_ids
from scheduler.fetch import make_clients
from scheduler.poll import poll_feeds
from scheduler.schedule import PollPolicy
from veille.models import utcnow
from veille.settings import Settings
from worker.context import Runtime
from worker.outbox import deliver_due
from worker.pipeline import process_items, record_failure, unprocessed_item_ids
from worker.retryable import is_connection_error

log = logging.getLogger("veille.scheduler")


class Dispatcher(Protocol):
    """Where new item ids and due deliveries go."""

    def items(self, item_ids: Sequence[int]) -> None: ...

    def deliveries(self) -> None: ...

    def recover(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class InProcess:
    """Embedded mode: process items and send alerts right here, in batches."""

    runtime: Runtime
    stopping: threading.Event = field(default_factory=threading.Event)

    def items(self, item_ids: Sequence[int]) -> None:
        """Extract the items (batched through spaCy) and deliver their alerts."""
        pending = sorted(set(item_ids) | set(unprocessed_item_ids(self.runtime.sessions)))
        if not pending:
            return
        ctx = self.runtime.pipeline()
        for start in range(0, len(pending), 64):
            if self.stopping.is_set():
                # what is left is in the database: the next start processes it
                log.info("stopping: %d items left for the next start", len(pending) - start)
                return
            batch = pending[start : start + 64]
            try:
                process_items(ctx, batch)
            except Exception:
                log.exception("a batch of %d items failed; retrying them one by one", len(batch))
                for item_id in batch:
                    try:
                        process_items(ctx, [item_id])
                    except Exception as exc:
                        record_failure(
                            self.runtime.sessions, item_id, f"{type(exc).__name__}: {exc}"
                        )
            self.deliveries()

    def deliveries(self) -> None:
        """Send whatever is due in the outbox."""
        deliver_due(self.runtime.sessions, self.runtime.channels)

    def recover(self) -> None:
        """Process items a killed run left behind."""
        self.items([])

    def stop(self) -> None:
        """Finish the batch in hand and take no other."""
        self.stopping.set()


@dataclass
class ViaCelery:
    """Scaled-out mode: enqueue ids for Celery workers.

    Ids that could not be enqueued (the broker is away) wait in a bounded backlog and go out
    at the next tick the broker answers; past the bound, the database sweep finds them.
    """

    sessions: sessionmaker[Session]
    stale_after: timedelta = timedelta(minutes=2)
    max_backlog: int = 100_000
    backlog: list[int] = field(default_factory=list)

    def items(self, item_ids: Sequence[int]) -> None:
        """One task per item id; the payload stays in the database."""
        from worker.tasks import process_item_task

        waiting = set(self.backlog)
        pending = self.backlog + [i for i in dict.fromkeys(item_ids) if i not in waiting]
        for n, item_id in enumerate(pending):
            try:
                process_item_task.delay(item_id)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                self.backlog = pending[n:][: self.max_backlog]
                log.warning(
                    "broker unavailable (%s): %d items wait to be enqueued",
                    type(exc).__name__,
                    len(self.backlog),
                )
                return
        if self.backlog:
            log.info("broker back: %d waiting items enqueued", len(self.backlog))
        self.backlog = []

    def deliveries(self) -> None:
        """Ask a worker to sweep the outbox for due retries."""
        from worker.tasks import deliver_task

        try:
            deliver_task.delay(None)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            log.warning("broker unavailable (%s): outbox sweep skipped", type(exc).__name__)

    def recover(self) -> None:
        """Enqueue again items left unprocessed for a while (a lost message, a dead worker)."""
        stale = unprocessed_item_ids(self.sessions, older_than=self.stale_after)
        if stale:
            log.warning("re-enqueuing %d items left unprocessed", len(stale))
            self.items(stale)

    def stop(self) -> None:
        """Nothing in hand: every enqueued id is the workers' (and the database's)."""


def policy(settings: Settings) -> PollPolicy:
    """The polling policy the settings describe."""
    low = min(settings.min_interval, settings.poll_interval)
    return PollPolicy(
        default_interval=settings.poll_interval,
        min_interval=low,
        max_interval=max(settings.max_interval, settings.poll_interval),
    )


class Poller:
    """Keeps one event loop, HTTP client and per-host limiter across polling cycles.

    Reusing them keeps connections and TLS contexts warm and makes the per-host delay hold
    between cycles, not only within one.
    """

    def __init__(self, settings: Settings, parse_workers: int | None = None) -> None:
        self.settings = settings
        self._parse_workers = settings.parse_workers if parse_workers is None else parse_workers
        self._runner = asyncio.Runner()
        self._client: Any = None
        self._pages: Any = None
        self._limiter: Any = None
        self._parser: Any = None

    async def _poll(self, runtime: Runtime, feeds: Sequence[FeedSnapshot]) -> list[PollOutcome]:
        from scheduler.parsepool import FeedParser
        from scheduler.politeness import HostLimiter

        s = self.settings
        if self._client is None:
            self._client, self._pages = make_clients(s)
            self._limiter = HostLimiter(
                max_per_host=s.per_host_connections, min_delay=s.per_host_delay
            )
            self._parser = FeedParser(self._parse_workers)
        return await poll_feeds(
            runtime.sessions,
            self._client,
            feeds,
            policy(s),
            s.max_feed_bytes,
            self._limiter,
            self._parser,
            page_client=self._pages,
        )

    def poll(self, runtime: Runtime, feeds: Sequence[FeedSnapshot]) -> list[PollOutcome]:
        """Fetch, parse and store these feeds concurrently."""
        return self._runner.run(self._poll(runtime, feeds))

    def parser_pids(self) -> list[int]:
        """Process ids of the feed parser processes (empty before the first cycle)."""
        return self._parser.worker_pids() if self._parser is not None else []

    def close(self) -> None:
        """Close the client, the parser processes and the loop."""
        if self._client is not None:
            self._runner.run(self._client.close())
        if self._pages is not None and self._pages is not self._client:
            self._runner.run(self._pages.close())
        if self._parser is not None:
            self._parser.close()
        self._runner.close()


def poll_cycle(
    runtime: Runtime,
    dispatcher: Dispatcher,
    feed_ids: Sequence[int],
    only_due: bool = True,
    poller: Poller | None = None,
    slack: float = 0.0,
) -> list[PollOutcome]:
    """Poll the feeds (those due within ``slack`` seconds), hand new items to the dispatcher."""
    due = utcnow() + timedelta(seconds=slack) if only_due else None
    feeds = snapshots(runtime.sessions, feed_ids, due)
    outcomes: list[PollOutcome] = []
    if feeds:
        own = poller is None
        # a one-off cycle parses in a thread: starting parser processes would cost more
        poller = poller or Poller(runtime.settings, parse_workers=0)
        try:
            outcomes = poller.poll(runtime, feeds)
        finally:
            if own:
                poller.close()
    new_ids = [i for o in outcomes for i in o.new_item_ids]
    if new_ids:
        log.info("%d new items from %d feeds", len(new_ids), len(feeds))
    dispatcher.items(new_ids)
    return outcomes


def feeds_to_poll(runtime: Runtime) -> list[int]:
    """The configured feeds (--feed or the TOML file), stored if new, and those users added."""
    configured = sync_feeds(runtime.sessions, runtime.settings.feeds)
    return configured + [i for i in user_feed_ids(runtime.sessions) if i not in configured]


def run_forever(runtime: Runtime, dispatcher: Dispatcher, extra_jobs: Sequence = ()) -> None:
    """Poll due feeds every few seconds and sweep the outbox, until interrupted."""
    feed_ids = feeds_to_poll(runtime)
    tick = max(1, min(5, runtime.settings.poll_interval // 2))
    poller = Poller(runtime.settings)
    sched = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(2), "poll": ThreadPoolExecutor(1)}
    )
    sched.add_job(
        poll_cycle,
        "interval",
        seconds=tick,
        args=(runtime, dispatcher, feed_ids),
        kwargs={"poller": poller, "slack": tick / 2},
        executor="poll",
        id="poll",
        max_instances=1,
        coalesce=True,
        next_run_time=utcnow(),
    )
    sched.add_job(
        dispatcher.deliveries,
        "interval",
        seconds=max(5, tick),
        id="deliveries",
        max_instances=1,
        coalesce=True,
    )
    sched.add_job(
        dispatcher.recover, "interval", seconds=60, id="recover", max_instances=1, coalesce=True
    )
    for add in extra_jobs:
        add(sched)
    log.info(
        "polling %d feeds (default interval %ss); Ctrl-C stops",
        len(feed_ids),
        runtime.settings.poll_interval,
    )
    restore = _raise_on_signals()
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit, Stop) as exc:
        log.info("stopping (%s): finishing the work in hand", exc or type(exc).__name__)
    try:
        dispatcher.stop()
        # no new jobs; wait for the running ones (a poll in flight ends within its timeouts)
        sched.shutdown(wait=True)
        poller.close()
        log.info("stopped")
    except (KeyboardInterrupt, Stop):
        log.warning("second signal: stopping without waiting for the work in hand")
    finally:
        restore()


class Stop(Exception):
    """Raised in the main thread by SIGTERM (`docker stop`, systemd) or SIGINT (Ctrl-C)."""


def _raise_on_signals() -> Callable[[], None]:
    """Turn SIGTERM and SIGINT into `Stop`, so both stop as cleanly; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, _frame: Any) -> None:
        raise Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
