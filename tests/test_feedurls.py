"""What `veille feeds add` lets in, and feed passwords never shown (CLI, page, API)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from browser import sessions_for
from click.testing import CliRunner

from veille.cli import main
from veille.settings import Settings
from veille.web.server import start_in_background


@pytest.mark.parametrize(
    "location",
    ["gopher://example.org/feed", "ftp://example.org/feed.xml", "javascript:alert(1)",
     "http://[::1", "", "   ", "file:///etc/shadow", "/proc/self/environ", "/etc",
     "http:///no-host"],
)  # fmt: skip
def test_add_refuses_what_is_no_feed(tmp_path: Path, location: str) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    runner = CliRunner()
    got = runner.invoke(main, ["feeds", "add", location, "--db", db])
    assert got.exit_code == 2, got.output
    assert "Traceback" not in got.output and "root:" not in got.output
    listed = runner.invoke(main, ["feeds", "list", "--db", db])
    assert location.strip() == "" or location not in listed.output


def test_local_files_only_embedded(tmp_path: Path) -> None:
    feed = tmp_path / "wire.xml"
    feed.write_text("<rss/>")
    db = f"sqlite:///{tmp_path / 'v.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["feeds", "add", str(feed), "--db", db]).exit_code == 0
    scaled = runner.invoke(
        main, ["feeds", "add", str(feed), "--db", db], env={"VEILLE_BROKER_URL": "redis://x:1/0"}
    )
    assert scaled.exit_code == 2 and "not allowed" in scaled.output


def test_feed_passwords_are_never_displayed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    url = "https://reader:hunter2-secret@feeds.example.org/private.xml"
    runner = CliRunner()
    added = runner.invoke(main, ["feeds", "add", url, "--db", db])
    assert added.exit_code == 0 and "hunter2" not in added.output
    for args in (["feeds", "list"], ["feeds", "list", "--format", "json"]):
        out = runner.invoke(main, [*args, "--db", db]).output
        assert "feeds.example.org/private.xml" in out and "hunter2" not in out
    assert json.loads(runner.invoke(main, ["feeds", "list", "--format", "json", "--db", db]).output)
    sessions = sessions_for(db)
    handle = start_in_background(Settings(host="127.0.0.1", port=0), sessions)
    try:
        page = httpx.get(handle.url + "/feeds")
        api = httpx.get(handle.url + "/api/feeds")
    finally:
        handle.stop()
    assert "feeds.example.org" in page.text and "hunter2" not in page.text
    assert api.json()[0]["url"].startswith("https://reader:***@") and "hunter2" not in api.text
