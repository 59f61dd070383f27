"""Fetch one feed location (HTTP(S) URL, file:// URL or local path) into a FetchResult."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urljoin

import certifi
import httpx

from .httpinfo import cap_message, describe_error, describe_status, parse_max_age, parse_retry_after
from .local import fetch_local, is_local, local_path
from .results import FetchRequest, FetchResult, FetchState, Kind, TooLarge

__all__ = [
    "FetchRequest",
    "FetchResult",
    "FetchState",
    "Kind",
    "PerHostTransport",
    "cap_message",
    "fetch_feed",
    "fetch_local",
    "is_local",
    "local_path",
    "make_client",
    "parse_max_age",
    "parse_retry_after",
]

DEFAULT_USER_AGENT = "VeilleBot/0.1 (+https://veille.example.org/bot; veille@example.org)"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TOTAL_TIMEOUT = 60.0
MAX_REDIRECTS = 8
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class PerHostTransport(httpx.AsyncBaseTransport):
    """One small connection pool per origin: httpcore scans a pool on every request, so one
    big pool shared by hundreds of hosts costs O(connections) per request; small ones do not.
    Pools left idle longer than `keepalive_expiry` are closed, so a long-lived client polling
    thousands of hosts does not keep thousands of idle sockets open."""

    def __init__(self, per_host: int = 4, keepalive_expiry: float = 30.0) -> None:
        self._limits = httpx.Limits(
            max_connections=per_host,
            max_keepalive_connections=per_host,
            keepalive_expiry=keepalive_expiry,
        )
        self._expiry = keepalive_expiry
        self._pools: dict[tuple[str, str, int | None], httpx.AsyncHTTPTransport] = {}
        self._active: dict[tuple[str, str, int | None], int] = {}
        self._last_used: dict[tuple[str, str, int | None], float] = {}
        self._last_sweep = time.monotonic()
        self._ssl: ssl.SSLContext | None = None  # loading CA certificates costs ~20 ms: once

    @property
    def pool_count(self) -> int:
        """How many origins currently have a pool (for tests and monitoring)."""
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request through its origin's own pool, creating it on first use."""
        await self._sweep()
        key = (request.url.scheme, request.url.host, request.url.port)
        pool = self._pools.get(key)
        if pool is None:
            if self._ssl is None:
                self._ssl = ssl.create_default_context(cafile=certifi.where())
            pool = httpx.AsyncHTTPTransport(limits=self._limits, verify=self._ssl)
            self._pools[key] = pool
        self._active[key] = self._active.get(key, 0) + 1
        self._last_used[key] = time.monotonic()
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._active[key] -= 1
            raise
        response.stream = _Tracked(response.stream, lambda: self._release(key))
        return response

    def _release(self, key: tuple[str, str, int | None]) -> None:
        self._active[key] = max(0, self._active.get(key, 1) - 1)
        self._last_used[key] = time.monotonic()

    async def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self._expiry:
            return
        self._last_sweep = now
        idle = [
            k
            for k, used in self._last_used.items()
            if not self._active.get(k) and now - used > self._expiry
        ]
        for key in idle:
            pool = self._pools.pop(key, None)
            self._active.pop(key, None)
            self._last_used.pop(key, None)
            if pool is not None:
                await pool.aclose()

    async def aclose(self) -> None:
        """Close every origin's pool."""
        pools, self._pools = list(self._pools.values()), {}
        self._active.clear()
        self._last_used.clear()
        for pool in pools:
            await pool.aclose()


class _Tracked(httpx.AsyncByteStream):
    """A response stream that tells its transport when the response is closed."""

    def __init__(
        self, inner: httpx.AsyncByteStream | httpx.SyncByteStream, done: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._done = done
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._done()
        if isinstance(self._inner, httpx.AsyncByteStream):
            await self._inner.aclose()


def make_client(
    user_agent: str = DEFAULT_USER_AGENT,
    timeout_connect: float = 10.0,
    timeout_read: float = 30.0,
    per_host_connections: int = 4,
) -> httpx.AsyncClient:
    """Build the one shared AsyncClient: our UA, Accept header, timeouts, no auto-redirects."""
    timeout = httpx.Timeout(
        connect=timeout_connect, read=timeout_read, write=timeout_read, pool=None
    )
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept": ACCEPT},
        timeout=timeout,
        transport=PerHostTransport(per_host=per_host_connections),
        follow_redirects=False,
    )


def _conditional_headers(state: FetchState) -> dict[str, str]:
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small unwanted body so the connection goes back to the pool instead of closing."""
    total = 0
    try:
        async for chunk in response.aiter_raw():
            total += len(chunk)
            if total > limit:
                return  # not worth it: the connection will simply be closed
    except httpx.HTTPError:
        return


async def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The whole body of a streamed response, raising TooLarge past the cap."""
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower()
    if (
        declared
        and declared.isdigit()
        and encoded in ("", "identity")
        and int(declared) > max_bytes
    ):
        raise TooLarge
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    state: FetchState | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> FetchResult:
    """Conditional GET of one feed, following redirects by hand to tell permanent from temporary."""
    state = state or FetchState()
    if is_local(url):
        return await fetch_local(url, state, max_bytes)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(total_timeout):
            result = await _fetch_http(client, url, state, max_bytes)
    except TooLarge:
        result = FetchResult(url=url, kind="error", error=cap_message(max_bytes))
    except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError) as exc:
        timeouts = client.timeout if isinstance(client.timeout, httpx.Timeout) else None
        result = FetchResult(url=url, kind="error", error=describe_error(exc, url, timeouts))
    except Exception as exc:  # noqa: BLE001 - one feed's bug must not sink a whole cycle
        result = FetchResult(url=url, kind="error", error=describe_error(exc, url))
    return _with_elapsed(result, time.perf_counter() - started)


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return FetchResult(**{**result.__dict__, "elapsed": elapsed})


async def _fetch_http(
    client: httpx.AsyncClient, url: str, state: FetchState, max_bytes: int
) -> FetchResult:
    current = url
    permanent_to: str | None = None
    still_permanent = True
    seen = {url}
    for _hop in range(MAX_REDIRECTS + 1):
        headers = _conditional_headers(state)
        async with client.stream("GET", current, headers=headers) as response:
            status = response.status_code
            if status in REDIRECTS:
                await _drain(response)
                location = response.headers.get("Location")
                if not location:
                    return FetchResult(
                        url=url,
                        kind="error",
                        status=status,
                        final_url=current,
                        error=f"HTTP {status} redirect without a Location header",
                    )
                target = urljoin(current, location.strip())
                if status in PERMANENT_REDIRECTS and still_permanent:
                    permanent_to = target
                else:
                    still_permanent = False
                if target in seen:
                    return FetchResult(
                        url=url,
                        kind="error",
                        status=status,
                        final_url=current,
                        error=f"redirect loop via {target}",
                    )
                seen.add(target)
                current = target
                continue
            return await _finish(response, url, current, state, permanent_to, max_bytes)
    return FetchResult(
        url=url,
        kind="error",
        final_url=current,
        error=f"too many redirects (more than {MAX_REDIRECTS})",
    )


async def _finish(
    response: httpx.Response,
    url: str,
    final_url: str,
    state: FetchState,
    permanent_to: str | None,
    max_bytes: int,
) -> FetchResult:
    status = response.status_code
    h = response.headers
    common = {
        "url": url,
        "status": status,
        "final_url": final_url,
        "permanent_redirect_to": permanent_to if 200 <= status < 300 or status == 304 else None,
        "max_age": parse_max_age(h.get("Cache-Control")),
        "retry_after": parse_retry_after(h.get("Retry-After")),
        "content_type": h.get("Content-Type"),
    }
    success = 200 <= status < 300
    if not success:
        await _drain(response)
    if status == 304:
        return FetchResult(
            kind="not_modified",
            etag=h.get("ETag") or state.etag,
            last_modified=h.get("Last-Modified") or state.last_modified,
            **common,
        )
    if status == 410:
        return FetchResult(
            kind="gone", error="HTTP 410 Gone: the feed was removed for good", **common
        )
    if not success:
        msg = describe_status(status, response.reason_phrase)
        ra = common["retry_after"]
        if ra is not None:
            msg += f", retry after {ra:g} s"
        return FetchResult(kind="error", error=msg, **common)
    body = await read_body(response, max_bytes)
    return FetchResult(
        kind="ok", body=body, etag=h.get("ETag"), last_modified=h.get("Last-Modified"), **common
    )
