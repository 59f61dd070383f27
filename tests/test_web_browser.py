"""A real Chromium on the timeline, after the founding dispatch and a hostile item went through
the real pipeline: what a person sees, a filter, a statement page, and no script from a feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    process_wire,
    require_chromium,
    served,
    sessions_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.processes]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, extractor: Any) -> Iterator[str]:
    """The processed wire (SQLite) served on 127.0.0.1."""
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'web.db'}"
    settings = process_wire(url, extractor)
    sessions = sessions_for(url)
    with served(settings, sessions) as handle:
        yield handle.url
    sessions.kw["bind"].dispose()


DIALOGS: list[str] = []


def _record_dialog(dialog: Any) -> None:
    """An alert() or confirm() would mean feed script ran: note it and close it."""
    DIALOGS.append(dialog.message)
    dialog.dismiss()


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[Any]:
    """A Chromium page that records dialogs (a feed script that ran could open one)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.on("dialog", _record_dialog)
        try:
            yield tab
        finally:
            context.close()
            browser.close()


def _not_pwned(page: Any) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "pwned" not in page.title()
    assert DIALOGS == []


def test_timeline_filter_and_statement(page: Any, app_url: str, artifact: Any) -> None:
    page.goto(app_url + "/")
    assert page.title() == "Timeline · Veille"
    assert page.get_by_role("heading", name="Tuesday 18 January 2022").is_visible()
    rows = page.locator("tr.statement")
    assert rows.count() >= 8
    warning_rows = rows.filter(has_text="prix fort").filter(has_text="Jens Stoltenberg")
    assert warning_rows.first.is_visible()
    chart = page.locator("figure.chart img")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "timeline.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    artifact("timeline screenshot", shot)

    page.select_option("select[name=type]", "warning")
    page.select_option("select[name=speaker]", "NATO")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/?*type=warning*")
    kinds = page.locator("tr.statement .kind").all_inner_texts()
    assert kinds and {k.strip().lower() for k in kinds} == {"warning"}
    assert "Sergueï Lavrov" not in page.locator("main").inner_text()

    row = page.locator("tr.statement").filter(has_text="prix fort").filter(has_text="Otan-Russie")
    row.locator("a.open").click()
    page.wait_for_url("**/statements/*")
    main = page.locator("main").inner_text()
    assert "Jens Stoltenberg (NATO) → RUS" in main
    assert "prix fort" in page.locator("blockquote.sentence").inner_text()
    source = page.get_by_role("link", name="Otan-Russie : Jens Stoltenberg et Olaf Scholz à Berlin")
    assert source.first.get_attribute("href", timeout=2000).startswith("https://")
    _not_pwned(page)


def test_hostile_feed_item_runs_nothing(page: Any, app_url: str) -> None:
    for path in ("/", "/alerts", "/digest?date=2022-01-18", "/?q=pwned"):
        page.goto(app_url + path)
        page.wait_for_load_state("load")
        _not_pwned(page)
    assert "<script>window.__pwned" in page.locator("main").inner_text(), (
        "the markup is shown as text"
    )
    page.locator("a.open").first.click()
    page.wait_for_url("**/statements/*")
    _not_pwned(page)
    assert page.locator("main img").count() == 0, "no element made from feed markup"
    links = page.locator("main a").evaluate_all("els => els.map(e => e.href)")
    assert not [h for h in links if not h.startswith("http")], links


def test_screenshot_path_is_in_the_repository(page: Any) -> None:
    shot = ARTIFACTS / "timeline.png"
    assert shot.exists() and shot.parent == Path(__file__).resolve().parents[1] / "test-artifacts"
