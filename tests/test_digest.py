"""The daily digest of the founding dispatch's day, received by a real SMTP server and parsed;
an empty day in one line; the preview command; the APScheduler cron job.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from browser import process_wire, sessions_for
from click.testing import CliRunner
from receivers import SMTPReceiver

from scheduler.digest_job import add_digest_job, run_digest
from veille.cli import main
from veille.digest import build_digest, default_day, render_text, send_digest
from veille.settings import Settings
from worker.context import build_runtime

FOUNDING_DAY = date(2022, 1, 18)


@pytest.fixture(scope="module")
def wire(
    tmp_path_factory: pytest.TempPathFactory, extractor: Any
) -> Iterator[tuple[Settings, Any]]:
    """The processed wire in SQLite: (settings, session factory)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('digest') / 'digest.db'}"
    settings = process_wire(url, extractor)
    sessions = sessions_for(url)
    yield settings, sessions
    sessions.kw["bind"].dispose()


def _mail_settings(settings: Settings, receiver: SMTPReceiver) -> Settings:
    return replace(
        settings,
        smtp_host=receiver.host,
        smtp_port=receiver.port,
        smtp_security="none",
        smtp_from="veille@example.org",
        digest_to=("desk@example.org", "chief@example.org"),
    )


def test_founding_day_digest_arrives_with_inline_chart(wire: tuple[Settings, Any]) -> None:
    settings, sessions = wire
    with SMTPReceiver() as receiver:
        attempt = send_digest(_mail_settings(settings, receiver), sessions, FOUNDING_DAY)
        assert attempt.ok, attempt.error
        [mail] = receiver.wait_for(1)
    assert set(mail.rcpt_tos) == {"desk@example.org", "chief@example.org"}
    msg = mail.message
    assert msg["Subject"].startswith("[Veille] Digest 2022-01-18:")
    assert msg.get_content_type() == "multipart/alternative"
    text, html = mail.part("plain"), mail.part("html")
    for body in (text, html):
        assert "Jens Stoltenberg (NATO)" in body and "prix fort" in body
        assert "NATO → RUS" in body
        assert "Otan-Russie : Jens Stoltenberg et Olaf Scholz à Berlin" in body
    assert "http://127.0.0.1:8000/?day=2022-01-18" in text
    assert 'href="http://127.0.0.1:8000/statements/' in html
    assert "day before" in text.lower()
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    cid = str(image["Content-ID"]).strip().strip("<>")
    assert f'src="cid:{cid}"' in html
    related = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
    assert related, "the chart travels with the HTML part"
    assert "<script" not in html and "&lt;script&gt;" in html, "feed markup escaped"


def test_empty_day_is_one_line(wire: tuple[Settings, Any]) -> None:
    settings, sessions = wire
    with SMTPReceiver() as receiver:
        assert send_digest(_mail_settings(settings, receiver), sessions, date(2022, 1, 19)).ok
        [mail] = receiver.wait_for(1)
    text = mail.part("plain").strip()
    assert "\n" not in text and "2022-01-19" in text and text.startswith("No fresh")
    assert not [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert re.findall(r"<p[ >]", mail.part("html")) == ["<p "]
    assert "nothing new" in mail.message["Subject"]


def test_digest_counts_against_the_day_before(wire: tuple[Settings, Any]) -> None:
    settings, sessions = wire
    with sessions() as session:
        digest = build_digest(session, FOUNDING_DAY, settings, chart=False)
        after = build_digest(session, date(2022, 1, 19), settings, chart=False)
    assert digest.total >= 3 and digest.previous_total == 0
    pairs = {g.pair: g for g in digest.counts}
    assert pairs["NATO → RUS"].count >= 1 and pairs["NATO → RUS"].previous == 0
    assert all(e.statement.type in {"warning", "demand"} for g in digest.groups for e in g.entries)
    assert not any(e.statement.background for g in digest.groups for e in g.entries)
    assert after.empty and after.previous_total == digest.total
    assert render_text(after).count("\n") == 1


def test_digest_command_previews_any_day(wire: tuple[Settings, Any], tmp_path: Path) -> None:
    settings, _ = wire
    out = tmp_path / "digest.html"
    runner = CliRunner()
    args = ["digest", "--db", settings.database_url, "--date", "2022-01-18"]
    result = runner.invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "Jens Stoltenberg" in page
    text = runner.invoke(main, args)
    assert text.exit_code == 0 and "prix fort" in text.output
    unsent = runner.invoke(main, [*args, "--send"])
    assert unsent.exit_code == 2 and "VEILLE_DIGEST_TO" in unsent.output
    far = runner.invoke(main, ["digest", "--db", settings.database_url, "--date", "9999-12-31"])
    assert far.exit_code == 2 and "out of range" in far.output and far.exception is not None


def test_digest_command_sends(wire: tuple[Settings, Any]) -> None:
    settings, _ = wire
    with SMTPReceiver() as receiver:
        result = CliRunner().invoke(
            main,
            [
                "digest",
                "--db",
                settings.database_url,
                "--date",
                "2022-01-18",
                "--send",
                "--smtp-host",
                receiver.host,
                "--smtp-port",
                str(receiver.port),
                "--smtp-security",
                "none",
                "--digest-to",
                "desk@example.org",
            ],
        )
        assert result.exit_code == 0, result.output
        [mail] = receiver.wait_for(1)
    assert "prix fort" in mail.part("plain")


def test_cron_job_at_local_time_sends_yesterday(wire: tuple[Settings, Any]) -> None:
    settings, sessions = wire
    scheduler = BackgroundScheduler(timezone="UTC")
    assert add_digest_job(scheduler, settings, sessions) is None, "no SMTP, no job"
    with SMTPReceiver() as receiver:
        mail_settings = _mail_settings(settings, receiver)
        runtime = build_runtime(mail_settings, stream=io.StringIO())
        try:
            job = add_digest_job(scheduler, runtime)
        finally:
            runtime.close()
        assert job is not None
        fire = job.trigger.get_next_fire_time(None, datetime(2022, 1, 19, 5, 0, tzinfo=UTC))
        assert fire.isoformat() == "2022-01-19T07:00:00+01:00"
        summer = job.trigger.get_next_fire_time(None, datetime(2022, 7, 1, 12, 0, tzinfo=UTC))
        assert summer.isoformat() == "2022-07-02T07:00:00+02:00"
        assert default_day(settings, fire) == FOUNDING_DAY
        job = add_digest_job(scheduler, mail_settings, sessions)
        assert job is not None
        scheduler.start()
        try:
            job.modify(next_run_time=datetime.now(UTC))  # fire it now, through APScheduler
            [mail] = receiver.wait_for(1, timeout=20)
        finally:
            scheduler.shutdown()
        assert "\n" not in mail.part("plain").strip(), "yesterday is empty: one line"
    with SMTPReceiver() as down:
        port = down.port
    broken = replace(mail_settings, smtp_port=port)
    assert run_digest(broken, sessions) is False, "a failure is logged, not raised"
