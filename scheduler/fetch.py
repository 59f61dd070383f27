"""Fetch one feed location (HTTP(S) URL, file:// URL or local path) into a FetchResult."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

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

Kind = Literal["ok", "not_modified", "gone", "error"]


@dataclass(frozen=True)
class FetchState:
    """Validators remembered from the previous successful fetch, sent back as conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    """One feed to fetch: its stored URL and the validators from last time."""

    url: str
    state: FetchState = field(default_factory=FetchState)


@dataclass(frozen=True)
class FetchResult:
    """What happened when fetching one feed, with everything the scheduler needs to store."""

    url: str
    kind: Kind
    status: int | None = None
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect_to: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    content_type: str | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def state(self) -> FetchState:
        """The validators to send next time (already merged with the previous ones on 304)."""
        return FetchState(etag=self.etag, last_modified=self.last_modified)


class _TooLarge(Exception):
    """Raised internally when a body passes the size cap."""


def make_client(
    user_agent: str = DEFAULT_USER_AGENT,
    timeout_connect: float = 10.0,
    timeout_read: float = 30.0,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    """Build the one shared AsyncClient: our UA, Accept header, timeouts, no auto-redirects."""
    timeout = httpx.Timeout(
        connect=timeout_connect, read=timeout_read, write=timeout_read, pool=None
    )
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept": ACCEPT},
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
    )


def cap_message(max_bytes: int) -> str:
    """Human wording of the size cap error, e.g. 'response larger than 10 MB cap'."""
    mib = 1024 * 1024
    size = f"{max_bytes / mib:g} MB" if max_bytes >= mib else f"{max_bytes} bytes"
    return f"response larger than {size} cap"


def is_local(url: str) -> bool:
    """True for file:// URLs and plain filesystem paths, which are valid feed locations."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or scheme == "" or (len(scheme) == 1 and os.name == "nt")


def local_path(url: str) -> Path:
    """The filesystem path behind a file:// URL or a plain path."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        return Path(unquote(parts.path))
    return Path(url).expanduser()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def parse_max_age(cache_control: str | None) -> float | None:
    """The max-age of a Cache-Control header in seconds, or None (no-store/no-cache ignored)."""
    if not cache_control:
        return None
    m = _MAX_AGE.search(cache_control)
    return float(m.group(1)) if m else None


def describe_error(exc: BaseException, url: str, timeouts: httpx.Timeout | None = None) -> str:
    """Turn a transport exception into a sentence a person running the service understands."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port else host
    text = str(exc) or exc.__class__.__name__
    low = " | ".join(_chain_messages(exc)).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        limit = f" after {timeouts.connect:g} s" if timeouts and timeouts.connect else ""
        return f"timeout: could not connect to {where}{limit}"
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        limit = f" within {timeouts.read:g} s" if timeouts and timeouts.read else ""
        return f"timeout: {where} did not answer{limit} (read timeout)"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"timeout: {where} took too long to send the whole response"
    if isinstance(exc, httpx.ConnectError):
        if any(
            s in low
            for s in (
                "name or service not known",
                "nodename nor servname",
                "temporary failure in name resolution",
                "no address associated",
                "getaddrinfo failed",
                "name resolution",
            )
        ):
            return f"DNS lookup failed for {host}: no such host"
        if "refused" in low or "errno 111" in low:
            return f"connection refused by {where} (nothing listening?)"
        if "certificate" in low or "ssl" in low or "tls" in low:
            return f"TLS/SSL error talking to {where}: {text}"
        if "unreachable" in low:
            return f"network unreachable for {where}"
        return f"could not connect to {where}: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{where} broke the HTTP protocol or closed the connection: {text}"
    if isinstance(exc, httpx.DecodingError):
        return f"{where} sent a body that could not be decompressed: {text}"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return f"invalid or unsupported URL {url!r}: {text}"
    if isinstance(exc, httpx.HTTPError):
        return f"HTTP error with {where}: {text}"
    return f"unexpected error fetching {url}: {exc.__class__.__name__}: {text}"


def _chain_messages(exc: BaseException) -> list[str]:
    """Messages of an exception and its causes: the root OSError says what really failed."""
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        out.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return out


def describe_status(status: int, reason: str | None = None) -> str:
    """Wording for an HTTP error status, e.g. 'HTTP 404 Not Found (client error)'."""
    side = "server error" if status >= 500 else "client error"
    label = f"HTTP {status} {reason}".strip() if reason else f"HTTP {status}"
    return f"{label} ({side})"


def file_validator(path: Path) -> str:
    """Validator for a local file: mtime in ns plus size, so an unchanged file answers like 304."""
    st = path.stat()
    return f'"file-{st.st_mtime_ns}-{st.st_size}"'


def _read_capped(path: Path, max_bytes: int) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _TooLarge
    return data


async def fetch_local(
    url: str, state: FetchState, max_bytes: int = DEFAULT_MAX_BYTES
) -> FetchResult:
    """Read a local feed file; mtime+size act as its ETag so unchanged files are not_modified."""
    started = time.perf_counter()
    path = local_path(url)
    try:
        validator = await asyncio.to_thread(file_validator, path)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        last_modified = email.utils.format_datetime(mtime, usegmt=True)
        if state.etag == validator:
            return FetchResult(
                url=url,
                kind="not_modified",
                etag=validator,
                last_modified=last_modified,
                final_url=url,
                elapsed=time.perf_counter() - started,
            )
        body = await asyncio.to_thread(_read_capped, path, max_bytes)
    except _TooLarge:
        return FetchResult(
            url=url,
            kind="error",
            error=cap_message(max_bytes),
            final_url=url,
            elapsed=time.perf_counter() - started,
        )
    except FileNotFoundError:
        return FetchResult(
            url=url,
            kind="error",
            error=f"file not found: {path}",
            final_url=url,
            elapsed=time.perf_counter() - started,
        )
    except IsADirectoryError:
        return FetchResult(
            url=url,
            kind="error",
            error=f"is a directory, not a feed file: {path}",
            final_url=url,
            elapsed=time.perf_counter() - started,
        )
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EACCES:
            why = "permission denied"
        return FetchResult(
            url=url,
            kind="error",
            error=f"cannot read {path}: {why}",
            final_url=url,
            elapsed=time.perf_counter() - started,
        )
    return FetchResult(
        url=url,
        kind="ok",
        body=body,
        etag=validator,
        last_modified=last_modified,
        final_url=url,
        content_type=None,
        elapsed=time.perf_counter() - started,
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


async def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower()
    if (
        declared
        and declared.isdigit()
        and encoded in ("", "identity")
        and int(declared) > max_bytes
    ):
        raise _TooLarge
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise _TooLarge
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
    except _TooLarge:
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
        "permanent_redirect_to": permanent_to,
        "max_age": parse_max_age(h.get("Cache-Control")),
        "retry_after": parse_retry_after(h.get("Retry-After")),
        "content_type": h.get("Content-Type"),
    }
    if status == 304 or status == 410 or status >= 400 or status < 200:
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
    if status >= 400 or status < 200:
        msg = describe_status(status, response.reason_phrase)
        ra = common["retry_after"]
        if ra is not None:
            msg += f", retry after {ra:g} s"
        return FetchResult(kind="error", error=msg, **common)
    body = await _read_body(response, max_bytes)
    return FetchResult(
        kind="ok", body=body, etag=h.get("ETag"), last_modified=h.get("Last-Modified"), **common
    )
