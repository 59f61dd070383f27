"""Optional full text of an article page, when the feed only carries a teaser (trafilatura)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from .addresses import AddressRefused
from .fetch import read_body
from .politeness import HostLimiter
from .results import TooLarge

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 5 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_ACCEPT = "text/html,application/xhtml+xml"


class PageError(Exception):
    """The article page could not be used: a status other than 200, or not HTML."""


async def _get_page(client: aiohttp.ClientSession, url: str, max_bytes: int) -> tuple[bytes, str]:
    async with client.get(
        url, allow_redirects=True, max_redirects=8, headers={"Accept": HTML_ACCEPT}
    ) as resp:
        if resp.status != 200:
            raise PageError(f"HTTP {resp.status}")
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype and ctype not in HTML_TYPES:
            raise PageError(f"not an HTML page ({ctype})")
        return await read_body(resp, max_bytes), str(resp.url)


def extract_text(html: bytes | str, url: str | None = None) -> str | None:
    """Main text of an article page (no menus, comments or tables), or None if none is found."""
    import trafilatura  # optional dependency, imported on first use (it is slow to import)

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    return (text.strip() or None) if text else None


async def fetch_fulltext(
    client: aiohttp.ClientSession,
    url: str,
    limiter: HostLimiter | None = None,
    *,
    max_bytes: int = MAX_PAGE_BYTES,
    timeout: float = 30.0,
) -> str | None:
    """Fetch an article page politely and extract its text; None on any failure (logged).

    The page is a link the feed's publisher wrote: `client` must be built with an address
    policy (make_client(policy=...)) so that a link to an internal address is refused.
    """
    try:
        async with asyncio.timeout(timeout):
            if limiter is None:
                page, final = await _get_page(client, url, max_bytes)
            else:
                async with limiter.slot(url):
                    page, final = await _get_page(client, url, max_bytes)
        return await asyncio.to_thread(extract_text, page, final)
    except AddressRefused as exc:
        log.warning("no full text for %s: %s", url, exc)
        return None
    except (aiohttp.ClientError, PageError, TooLarge, ValueError, TimeoutError, OSError) as exc:
        log.info("no full text for %s: %s", url, exc or type(exc).__name__)
        return None
