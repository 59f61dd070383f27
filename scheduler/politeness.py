"""Be polite to publishers: cap concurrent connections and space requests per host."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from .fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TOTAL_TIMEOUT,
    FetchRequest,
    FetchResult,
    fetch_feed,
    is_local,
)


def host_key(url: str) -> str:
    """The politeness bucket of a URL: its lower-cased host (with port if any); files share one."""
    if is_local(url):
        return "file:"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0
    in_flight: int = 0
    served: int = 0


class HostLimiter:
    """At most `max_per_host` requests in flight per host, starts spaced by `min_delay` seconds.

    One instance is shared by every fetch of a cycle, whatever the number of feeds on a host.
    Local files are not limited. Create it inside the running event loop that uses it.
    """

    def __init__(
        self,
        max_per_host: int = 2,
        min_delay: float = 1.0,
        *,
        max_total: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_per_host < 1:
            raise ValueError("max_per_host must be at least 1")
        self.max_per_host = max_per_host
        self.min_delay = max(0.0, min_delay)
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._total = asyncio.Semaphore(max_total) if max_total else None

    def _host(self, key: str) -> _Host:
        state = self._hosts.get(key)
        if state is None:
            state = _Host(asyncio.Semaphore(self.max_per_host))
            self._hosts[key] = state
        return state

    def in_flight(self, url_or_host: str) -> int:
        """Requests currently running against a host (for tests and monitoring)."""
        key = host_key(url_or_host) if "/" in url_or_host else url_or_host
        state = self._hosts.get(key)
        return state.in_flight if state else 0

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Wait for this host's turn (concurrency and spacing), then hold a slot until exit."""
        if is_local(url):
            yield
            return
        state = self._host(host_key(url))
        async with state.semaphore:
            # Reserve a start time synchronously (no await in between), then sleep until it:
            # later callers queue behind it without holding any lock while they wait.
            now = self._clock()
            start = max(now, state.next_start)
            state.next_start = start + self.min_delay
            if start > now:
                await asyncio.sleep(start - now)
            if self._total is not None:
                await self._total.acquire()
            state.in_flight += 1
            try:
                yield
            finally:
                state.in_flight -= 1
                state.served += 1
                if self._total is not None:
                    self._total.release()


async def fetch_polite(
    client: aiohttp.ClientSession,
    request: FetchRequest,
    limiter: HostLimiter | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> FetchResult:
    """Fetch one feed inside its host's slot; the deadline starts once the slot is granted."""
    if limiter is None:
        return await fetch_feed(
            client, request.url, request.state, max_bytes=max_bytes, total_timeout=total_timeout
        )
    async with limiter.slot(request.url):
        return await fetch_feed(
            client, request.url, request.state, max_bytes=max_bytes, total_timeout=total_timeout
        )


async def fetch_all(
    client: aiohttp.ClientSession,
    requests: Sequence[FetchRequest],
    limiter: HostLimiter | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> list[FetchResult]:
    """Fetch many feeds concurrently (results in request order); a slow host delays only itself."""
    jobs = [
        fetch_polite(client, r, limiter, max_bytes=max_bytes, total_timeout=total_timeout)
        for r in requests
    ]
    return list(await asyncio.gather(*jobs))
