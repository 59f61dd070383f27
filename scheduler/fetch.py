"""Fetch one feed location (HTTP(S) URL, file:// URL or local path) into a FetchResult."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import certifi

from .addresses import AddressPolicy, GuardedConnector
from .httpinfo import cap_message, describe_error, describe_status, parse_max_age, parse_retry_after
from .local import fetch_local, is_local, local_path
from .results import FetchRequest, FetchResult, FetchState, Kind, TooLarge

if TYPE_CHECKING:
    from veille.settings import Settings

__all__ = [
    "FetchRequest",
    "FetchResult",
    "FetchState",
    "Kind",
    "cap_message",
    "fetch_feed",
    "fetch_local",
    "is_local",
    "local_path",
    "make_client",
    "make_clients",
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


def make_client(
    user_agent: str = DEFAULT_USER_AGENT,
    timeout_connect: float = 10.0,
    timeout_read: float = 30.0,
    per_host_connections: int = 4,
    keepalive: float = 30.0,
    proxy: str | None = None,
    policy: AddressPolicy | None = None,
) -> aiohttp.ClientSession:
    """Build the one shared session (call inside the event loop): UA, Accept, timeouts, pools.

    aiohttp rather than httpx here because a polling cycle is thousands of tiny conditional
    requests: its C HTTP parser costs a quarter of the CPU per request (bench/bench_poll.py).
    The connector keeps at most `per_host_connections` sockets per origin and closes idle ones
    after `keepalive` seconds, so polling thousands of hosts does not hoard sockets.
    With a `policy`, every request and redirect hop is refused (AddressRefused) whose host is,
    or resolves to, an internal address the policy does not allow (scheduler.addresses).
    """
    options: dict[str, Any] = {
        "limit": 0,
        "limit_per_host": per_host_connections,
        "keepalive_timeout": keepalive,
        "ssl": _ssl_context(),
        "ttl_dns_cache": 300,
    }
    if policy is None:
        connector = aiohttp.TCPConnector(**options)
    else:
        # the operator's own proxy is reached whatever its address; it resolves the names
        proxy_host = urlsplit(proxy).hostname if proxy else None
        connector = GuardedConnector(policy, exempt=[proxy_host] if proxy_host else (), **options)
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": user_agent, "Accept": ACCEPT},
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=timeout_connect, sock_read=timeout_read
        ),
        cookie_jar=aiohttp.DummyCookieJar(),  # one feed's cookies must not follow another's
        auto_decompress=True,
        # settings.http_proxy rather than trust_env: reading HTTP(S)_PROXY and ~/.netrc on
        # every request doubles the CPU cost of a 304
        proxy=proxy or None,
    )


def make_clients(settings: Settings) -> tuple[aiohttp.ClientSession, aiohttp.ClientSession]:
    """The feed client and the article page client (one and the same when both are guarded).

    Article links are the publishers' word: internal addresses are refused for them unless
    allowed (`fetch_allow_networks`). Feeds are the operator's own list in embedded mode (local
    files included) and are not restricted there; scaled out, they are too.
    """
    s = settings
    guard = AddressPolicy.from_setting(s.fetch_allow_networks)
    options: dict[str, Any] = {
        "user_agent": s.user_agent,
        "timeout_connect": min(10.0, s.fetch_timeout),
        "timeout_read": s.fetch_timeout,
        "per_host_connections": s.per_host_connections,
        "proxy": s.http_proxy,
    }
    if not s.embedded:
        client = make_client(policy=guard, **options)
        return client, client
    return make_client(**options), make_client(policy=guard, **options)


_SSL: list[ssl.SSLContext] = []


def _ssl_context() -> ssl.SSLContext:
    """Certifi's CA bundle, loaded once per process (it costs ~20 ms)."""
    if not _SSL:
        _SSL.append(ssl.create_default_context(cafile=certifi.where()))
    return _SSL[0]


def _conditional_headers(state: FetchState) -> dict[str, str]:
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def _drain(response: aiohttp.ClientResponse, limit: int = 64 * 1024) -> None:
    """Read a small unwanted body so the connection goes back to the pool instead of closing."""
    total = 0
    try:
        async for chunk in response.content.iter_chunked(16 * 1024):
            total += len(chunk)
            if total > limit:
                response.close()  # not worth it: drop the connection
                return
    except (aiohttp.ClientError, OSError):
        response.close()


async def read_body(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
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
    async for chunk in response.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            response.close()
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_feed(
    client: aiohttp.ClientSession,
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
    except (aiohttp.ClientError, ValueError, OSError, TimeoutError) as exc:
        result = FetchResult(url=url, kind="error", error=describe_error(exc, url, client.timeout))
    except Exception as exc:  # noqa: BLE001 - one feed's bug must not sink a whole cycle
        result = FetchResult(url=url, kind="error", error=describe_error(exc, url))
    return _with_elapsed(result, time.perf_counter() - started)


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return FetchResult(**{**result.__dict__, "elapsed": elapsed})


async def _fetch_http(
    client: aiohttp.ClientSession, url: str, state: FetchState, max_bytes: int
) -> FetchResult:
    current = url
    permanent_to: str | None = None
    still_permanent = True
    seen = {url}
    for _hop in range(MAX_REDIRECTS + 1):
        headers = _conditional_headers(state)
        async with client.get(current, headers=headers, allow_redirects=False) as response:
            status = response.status
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
    response: aiohttp.ClientResponse,
    url: str,
    final_url: str,
    state: FetchState,
    permanent_to: str | None,
    max_bytes: int,
) -> FetchResult:
    status = response.status
    h = response.headers
    common: dict[str, Any] = {
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
        msg = describe_status(status, response.reason)
        ra = common["retry_after"]
        if ra is not None:
            msg += f", retry after {ra:g} s"
        return FetchResult(kind="error", error=msg, **common)
    body = await read_body(response, max_bytes)
    return FetchResult(
        kind="ok", body=body, etag=h.get("ETag"), last_modified=h.get("Last-Modified"), **common
    )
