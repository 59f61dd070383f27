"""Parse changed feeds in worker processes: feedparser gets its own core and never stalls polling.

feedparser is pure Python (tens of ms for a 35 KB feed), so parsing on the event loop's process
would hold the GIL while hundreds of conditional requests wait. A small process pool (spawned,
not forked: the service process has threads and a loaded spaCy model) parses instead. A worker
that dies is replaced and the feed is parsed again once; `workers=0` parses in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .parse import FeedError, ParsedFeed, parse_feed

log = logging.getLogger("veille.scheduler")


def _worker_init(parent: int) -> None:
    """In a parser process: leave Ctrl-C to the service, and exit if the service dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # the call queue's pipe never reports EOF (every process holds both ends), so a parser
    # whose service was killed would wait forever without this check
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class FeedParser:
    """Runs `parse_feed` in `workers` processes (0: in a thread of this process)."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 0:
            raise ValueError("workers must be >= 0")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
            )
        return self._pool

    def worker_pids(self) -> list[int]:
        """Process ids of the live parser processes (for monitoring, tests and benchmarks)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in procs.values() if p.pid is not None and p.is_alive()]

    async def parse(
        self, body: bytes, url: str, content_type: str | None, seen: Collection[str] = ()
    ) -> ParsedFeed:
        """Parse one feed body (`seen`: see parse_feed); FeedError when it is not a feed or
        its parser process died."""
        if self.workers == 0:
            return await asyncio.to_thread(parse_feed, body, url, content_type, seen)
        try:
            return await self._in_process(body, url, content_type, seen)
        except BrokenProcessPool:
            pass  # the dead process is replaced: parse this feed once more
        try:
            return await self._in_process(body, url, content_type, seen)
        except BrokenProcessPool:
            raise FeedError(f"the parser process died twice while parsing {url}", url=url) from None

    async def _in_process(
        self, body: bytes, url: str, content_type: str | None, seen: Collection[str]
    ) -> ParsedFeed:
        pool = self._executor()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, parse_feed, body, url, content_type, seen)
        except BrokenProcessPool:
            if self._pool is pool:  # the first feed to notice replaces the pool
                log.warning("a feed parser process died; starting a new one")
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the parser processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
