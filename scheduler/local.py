"""Local feed files (plain paths and file:// URLs): read with mtime+size as the validator."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .httpinfo import cap_message
from .results import FetchResult, FetchState, TooLarge


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


def file_validator(path: Path) -> str:
    """Validator for a local file: mtime in ns plus size, so an unchanged file answers like 304."""
    st = path.stat()
    return f'"file-{st.st_mtime_ns}-{st.st_size}"'


def _read_capped(path: Path, max_bytes: int) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge
    return data


async def fetch_local(
    url: str, state: FetchState, max_bytes: int = 10 * 1024 * 1024
) -> FetchResult:
    """Read a local feed file; mtime+size act as its ETag so unchanged files are not_modified."""
    started = time.perf_counter()
    path = local_path(url)

    def failed(error: str) -> FetchResult:
        return FetchResult(
            url=url, kind="error", error=error, final_url=url,
            elapsed=time.perf_counter() - started,
        )  # fmt: skip

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
    except TooLarge:
        return failed(cap_message(max_bytes))
    except FileNotFoundError:
        return failed(f"file not found: {path}")
    except IsADirectoryError:
        return failed(f"is a directory, not a feed file: {path}")
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EACCES:
            why = "permission denied"
        return failed(f"cannot read {path}: {why}")
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
