"""Helpers for the web and digest tests: the founding dispatch (plus a hostile item) processed
through the real pipeline into a database, the app served on loopback, and Debian's Chromium.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer

from veille.db import make_engine, migrate, session_factory
from veille.settings import FeedConfig, Settings

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DEMO_FEED = (ROOT / "seeds" / "demo-feed.xml").read_text(encoding="utf-8")
CHROMIUM = os.environ.get("VEILLE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"

# Markup a hostile publisher could put in a feed. Escaped twice in the XML, it reaches the
# database as literal "<script>…" text (the parser unescapes what publishers double-escape).
SCRIPT = "<script>window.__pwned = 'script'; document.title = 'pwned';</script>"
IMG = "<img src=x onerror=\"window.__pwned = 'img'; document.title = 'pwned'\">"
HOSTILE_TITLE = f"{SCRIPT}Otan : Stoltenberg met en garde Moscou {IMG}"
HOSTILE_TEXT = (
    f'{IMG} {SCRIPT} "Nous envoyons un message très clair à la Russie: si elle décide une '
    "fois de plus d'utiliser la force contre l'Ukraine, elle devra en payer le prix fort avec "
    'des sanctions économiques, financières et politiques", a averti mardi Jens Stoltenberg '
    "à Berlin."
)
HOSTILE_LINK = "javascript:window.__pwned='link'"


def hostile_item() -> str:
    """An RSS <item> whose title, description and link try to run script in a reader."""

    def twice(text: str) -> str:
        return html.escape(html.escape(text, quote=False), quote=False)

    return (
        "<item>"
        f"<title>{twice(HOSTILE_TITLE)}</title>"
        f"<link>{html.escape(HOSTILE_LINK)}</link>"
        '<guid isPermaLink="false">veille-test-hostile</guid>'
        "<pubDate>Tue, 18 Jan 2022 17:05:00 GMT</pubDate>"
        f"<description>{twice(HOSTILE_TEXT)}</description>"
        "</item>"
    )


def wire_feed() -> bytes:
    """The demo feed (founding dispatch) with the hostile item added."""
    return DEMO_FEED.replace("</channel>", hostile_item() + "\n  </channel>").encode("utf-8")


def process_wire(database_url: str, extractor: Any) -> Settings:
    """Poll the wire once through the real pipeline into ``database_url``; the settings used."""
    from scheduler.jobs import InProcess, feeds_to_poll, poll_cycle
    from worker.context import build_runtime

    with FeedServer() as srv:
        srv.route("/wire.xml", body=wire_feed())
        settings = Settings(database_url=database_url, feeds=(FeedConfig(srv.url("/wire.xml")),))
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
        finally:
            rt.close()
    return settings


def sessions_for(database_url: str) -> Any:
    """A migrated session factory over a database."""
    engine = make_engine(database_url)
    migrate(engine)
    return session_factory(engine)


@contextmanager
def served(settings: Settings, sessions: Any) -> Iterator[Any]:
    """The web app on 127.0.0.1, a free port; yields the server handle (``.url``)."""
    from dataclasses import replace

    from veille.web.server import start_in_background

    handle = start_in_background(replace(settings, host="127.0.0.1", port=0), sessions)
    try:
        yield handle
    finally:
        handle.stop()


def require_chromium() -> str:
    """Debian's Chromium and Playwright, or skip (a failure under CI=true, where .ci/run
    installs Chromium and the test extras bring Playwright)."""
    import importlib.util

    has_playwright = importlib.util.find_spec("playwright") is not None
    if Path(CHROMIUM).exists() and has_playwright:
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if has_playwright
        else "the playwright package is not installed (pip install -e '.[test]')"
    )
    if IN_CI:
        pytest.fail(f"{message}; CI=true: .ci/run must install it")
    pytest.skip(message)
