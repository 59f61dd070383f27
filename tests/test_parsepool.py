"""Feeds parsed in parser processes read the same as in-process, and a killed parser is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feedserver import html_page, rss_feed

from scheduler.parse import FeedError, ParsedFeed, parse_feed
from scheduler.parsepool import FeedParser

FEED = rss_feed(
    "Fil", [("L'Otan met en garde Moscou", "Résumé un"), ("Moscou rejette l'appel", "Deux")]
)
URL = "http://127.0.0.1:1/f.xml"
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.processes


def _parse(parser: FeedParser, body: bytes, url: str = URL) -> ParsedFeed:
    return asyncio.run(parser.parse(body, url, "application/rss+xml"))


def test_process_parse_matches_inline_and_keeps_error_details() -> None:
    parser = FeedParser(1)
    try:
        assert _parse(parser, FEED) == parse_feed(FEED, URL, "application/rss+xml")
        page = html_page(alternate="/rss.xml")
        with pytest.raises(FeedError) as caught:
            _parse(parser, page, "http://127.0.0.1:1/")
        assert "HTML page" in str(caught.value)
        assert caught.value.suggestion == "http://127.0.0.1:1/rss.xml"
        assert caught.value.url == "http://127.0.0.1:1/"
    finally:
        parser.close()


def test_a_killed_parser_process_is_replaced() -> None:
    parser = FeedParser(1)
    try:
        assert len(_parse(parser, FEED).entries) == 2
        (first,) = parser.worker_pids()
        os.kill(first, signal.SIGKILL)
        assert len(_parse(parser, FEED).entries) == 2  # no feed lost to the dead process
        assert parser.worker_pids() and first not in parser.worker_pids()
    finally:
        parser.close()
    assert parser.worker_pids() == []


def test_thread_mode_starts_no_process() -> None:
    parser = FeedParser(0)
    assert len(_parse(parser, FEED).entries) == 2 and parser.worker_pids() == []
    with pytest.raises(ValueError):
        FeedParser(-1)


def test_parser_process_exits_when_the_service_is_killed(tmp_path: Path) -> None:
    """A `kill -9` of the service leaves no orphan parser process behind."""
    script = tmp_path / "service.py"
    script.write_text(
        "import asyncio, sys, time\n"
        "from scheduler.parsepool import FeedParser\n"
        "if __name__ == '__main__':\n"
        "    p = FeedParser(1)\n"
        "    asyncio.run(p.parse(sys.stdin.buffer.read(), 'http://127.0.0.1:1/f.xml', None))\n"
        "    print(p.worker_pids()[0], flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(FEED)
    proc.stdin.close()
    child = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
