"""What may be polled as a feed, and how a feed's address is shown: checked where feeds enter
(`feeds add`, OPML import, the TOML list), masked wherever they are displayed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# pseudo-files of the system, never a feed whatever the setting
SYSTEM_ROOTS = ("/proc", "/sys", "/dev", "/run")


class BadFeedLocation(ValueError):
    """A feed address that is not an http(s) URL or an allowed local file."""


def check_feed_location(location: str, allow_local: bool, base: Path | None = None) -> str:
    """The address to store (local paths made absolute), or BadFeedLocation saying why."""
    location = location.strip()
    if not location:
        raise BadFeedLocation("empty feed address")
    if "://" in location or location.lower().startswith(("javascript:", "data:", "mailto:")):
        return _check_url(location)
    if not allow_local:
        raise BadFeedLocation(
            "local feed files are not allowed here (scaled-out mode): give an http(s) URL"
        )
    path = Path(location).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    path = path.resolve()
    if str(path).startswith(SYSTEM_ROOTS) or path == Path("/"):
        raise BadFeedLocation(f"{path} is a system path, not a feed file")
    if not path.is_file():
        raise BadFeedLocation(f"{path} is not a file")
    return str(path)


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise BadFeedLocation(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"}:
        scheme = parts.scheme or url.split(":", 1)[0]
        raise BadFeedLocation(f"unsupported scheme {scheme[:20]!r}: feeds are http(s) URLs")
    if not parts.hostname:
        raise BadFeedLocation("the URL has no host")
    del port
    return url


def masked(url: str) -> str:
    """The address without its password, for lists, pages, the API and logs."""
    if "@" not in url or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.password is not None else "***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))
