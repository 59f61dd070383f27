"""Read HTTP caching/retry headers and word fetch failures so that a person understands them."""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
from datetime import UTC
from urllib.parse import urlsplit

import aiohttp

from .addresses import AddressRefused


def cap_message(max_bytes: int) -> str:
    """Human wording of the size cap error, e.g. 'response larger than 10 MB cap'."""
    mib = 1024 * 1024
    size = f"{max_bytes / mib:g} MB" if max_bytes >= mib else f"{max_bytes} bytes"
    return f"response larger than {size} cap"


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


def describe_error(
    exc: BaseException, url: str, timeouts: aiohttp.ClientTimeout | None = None
) -> str:
    """Turn a transport exception into a sentence a person running the service understands."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port else host
    text = str(exc) or exc.__class__.__name__
    low = " | ".join(_chain_messages(exc)).lower()
    if isinstance(exc, AddressRefused):
        return text  # already says which address and how to allow it
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        limit = f" after {timeouts.sock_connect:g} s" if timeouts and timeouts.sock_connect else ""
        return f"timeout: could not connect to {where}{limit}"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        limit = f" within {timeouts.sock_read:g} s" if timeouts and timeouts.sock_read else ""
        return f"timeout: {where} did not answer{limit} (read timeout)"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"timeout: {where} took too long to send the whole response"
    if isinstance(exc, (aiohttp.NonHttpUrlClientError, aiohttp.InvalidURL)):
        return f"invalid or unsupported URL {url!r}: {text}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or any(s in low for s in _DNS_FAILURES):
        return f"DNS lookup failed for {host}: no such host"
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return f"TLS/SSL error talking to {where}: {text}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if "refused" in low or "errno 111" in low:
            return f"connection refused by {where} (nothing listening?)"
        if "unreachable" in low:
            return f"network unreachable for {where}"
        return f"could not connect to {where}: {text}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{where} closed the connection before answering"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"{where} sent a body that was cut short or could not be decompressed: {text}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{where} broke the HTTP protocol: {exc.message or text}"
    if isinstance(exc, aiohttp.ClientError):
        return f"HTTP error with {where}: {text}"
    return f"unexpected error fetching {url}: {exc.__class__.__name__}: {text}"


_DNS_FAILURES = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


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
    side = "server error" if status >= 500 else "client error" if status >= 400 else "unexpected"
    label = f"HTTP {status} {reason}".strip() if reason else f"HTTP {status}"
    return f"{label} ({side})"
