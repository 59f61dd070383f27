"""Who may read the web app: loopback by default, a token anywhere else, never a stranger's Host."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import sessions_for
from click.testing import CliRunner

from veille.cli import main
from veille.settings import Settings
from veille.web.security import InsecureBinding, check_binding, is_loopback
from veille.web.server import start_in_background


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[Any]:
    """An empty migrated SQLite database."""
    factory = sessions_for(f"sqlite:///{tmp_path / 'sec.db'}")
    yield factory
    factory.kw["bind"].dispose()


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("[::1]") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.10")
    assert not is_loopback("example.org")


def test_no_token_off_loopback_is_refused_with_a_warning(
    sessions: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="veille.web")
    with pytest.raises(InsecureBinding, match="VEILLE_WEB_TOKEN"):
        start_in_background(Settings(host="0.0.0.0", port=0), sessions)
    assert any("refusing to serve" in r.getMessage() for r in caplog.records)
    check_binding("0.0.0.0", "Zk4q-9vXe2LmT7wRb1Yc")  # with a real token it may serve


def test_web_command_refuses_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["web", "--host", "0.0.0.0", "--db", f"sqlite:///{tmp_path / 'cli.db'}"]
    )
    assert result.exit_code == 2
    assert "no token" in result.output


@pytest.mark.parametrize("token", ["x", " ", "                    ", "aaaaaaaaaaaaaaaaaaaa"])
def test_weak_token_off_loopback_is_refused(sessions: Any, token: str) -> None:
    with pytest.raises(InsecureBinding, match="VEILLE_WEB_TOKEN"):
        start_in_background(Settings(host="0.0.0.0", port=0, web_token=token), sessions)


@pytest.mark.parametrize("token", ["x", "   ", "short-token"])
def test_web_command_refuses_a_weak_token(tmp_path: Path, token: str) -> None:
    result = CliRunner().invoke(
        main,
        ["web", "--host", "0.0.0.0", "--db", f"sqlite:///{tmp_path / 'cli.db'}"],
        env={"VEILLE_WEB_TOKEN": token},
    )
    assert result.exit_code == 2, result.output
    assert "web_token" in result.output and "Traceback" not in result.output
    assert token.strip() == "" or token not in result.output.split("web_token")[1]


def test_token_by_header_query_or_cookie(sessions: Any) -> None:
    settings = Settings(host="127.0.0.1", port=0, web_token="s3cret-token")
    handle = start_in_background(settings, sessions)
    try:
        with httpx.Client(base_url=handle.url) as anonymous:
            denied = anonymous.get("/api/feeds")
            assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
            assert anonymous.get("/", params={"token": "wrong"}).status_code == 401
            assert anonymous.get("/alerts.atom").status_code == 401
        bearer = httpx.get(
            handle.url + "/api/feeds", headers={"Authorization": "Bearer s3cret-token"}
        )
        assert bearer.status_code == 200 and bearer.json() == []
        with httpx.Client(base_url=handle.url) as browser:
            first = browser.get("/", params={"token": "s3cret-token"})
            assert first.status_code == 200
            assert "httponly" in first.headers["set-cookie"].lower()
            assert browser.get("/feeds").status_code == 200, "the cookie is enough afterwards"
    finally:
        handle.stop()


def test_loopback_without_token_rejects_foreign_host_names(sessions: Any) -> None:
    handle = start_in_background(Settings(host="127.0.0.1", port=0), sessions)
    try:
        ok = httpx.get(handle.url + "/feeds")
        assert ok.status_code == 200
        assert "default-src 'none'" in ok.headers["content-security-policy"]
        assert ok.headers["x-content-type-options"] == "nosniff"
        local = httpx.get(handle.url + "/feeds", headers={"Host": f"localhost:{handle.port}"})
        assert local.status_code == 200
        rebound = httpx.get(handle.url + "/api/feeds", headers={"Host": "attacker.example"})
        assert rebound.status_code == 421
    finally:
        handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(handle.url + "/feeds", timeout=2)


@pytest.mark.parametrize(
    "path",
    [
        "/api/statements/9223372036854775808",
        "/api/clusters/99999999999999999999",
        "/statements/9223372036854775808",
        "/api/statements?offset=9223372036854775808",
        "/api/statements?day=2022-02-30",
        "/api/statements?day=20220118",
        "/api/statements?feed=99999999999999999999",
        "/api/statements?q=" + "x" * 50_000,
        "/api/statements?type=null",
        "/digest?date=9999-12-31",
        "/?day=9999-12-31",
    ],
)
def test_bad_input_is_a_4xx_with_a_reason(sessions: Any, path: str) -> None:
    handle = start_in_background(Settings(host="127.0.0.1", port=0), sessions)
    try:
        got = httpx.get(handle.url + path, headers={"Accept": "application/json"})
    finally:
        handle.stop()
    assert 400 <= got.status_code < 500, (got.status_code, got.text[:200])
    assert got.json()["detail"]
    assert got.headers["x-content-type-options"] == "nosniff"


def test_every_error_carries_the_headers(sessions: Any) -> None:
    """An unexpected failure (here a table gone from the database) is a plain 500 with headers,
    and a method the server does not answer says which it does."""
    from sqlalchemy import text

    handle = start_in_background(Settings(host="127.0.0.1", port=0), sessions)
    try:
        with httpx.Client(base_url=handle.url) as client:
            trace = client.request("TRACE", "/api/statements")
            assert trace.status_code == 405 and trace.headers["allow"] == "GET"
            missing = client.get("/api/nothing-here")
            assert missing.status_code == 404
            with sessions() as s:
                s.execute(text("DROP TABLE alerts"))
                s.commit()
            broken = client.get("/api/alerts")
            assert broken.status_code == 500 and "Traceback" not in broken.text
            for response in (trace, missing, broken):
                assert response.headers["x-content-type-options"] == "nosniff"
                assert "content-security-policy" in response.headers
    finally:
        handle.stop()
