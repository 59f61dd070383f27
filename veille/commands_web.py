"""The `veille web` and `veille digest` commands: serve the web app, preview or send a digest."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from veille.cli import build_settings, settings_options

log = logging.getLogger("veille")


def _sessions(settings: Any) -> Any:
    from veille.db import make_engine, migrate, session_factory

    engine = make_engine(settings.database_url)
    migrate(engine)
    return session_factory(engine)


@click.command("web")
@settings_options
def web_cmd(**params: Any) -> None:
    """Serve the web app (timeline, statements, alerts, feeds, JSON API, Atom) until Ctrl-C.

    Binds 127.0.0.1:8000 by default; any other address needs --web-token.
    """
    from veille.web.security import InsecureBinding
    from veille.web.server import serve

    settings = build_settings(params)
    try:
        serve(settings, _sessions(settings))
    except InsecureBinding as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("digest")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Local day (YYYY-MM-DD, in --timezone); default: yesterday.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the digest as a standalone HTML file (chart included).",
)
@click.option("--send", is_flag=True, help="Email it to --digest-to through the SMTP settings.")
@settings_options
def digest_cmd(day: datetime | None, out: str | None, send: bool, **params: Any) -> None:
    """Preview (text on stdout, or --out FILE.html) or --send the digest of any day."""
    from veille.digest import build_digest, build_email, default_day, render_html, render_text

    settings = build_settings(params)
    when = day.date() if day else default_day(settings)
    if not date.min + timedelta(days=1) < when < date.max - timedelta(days=1):
        raise click.UsageError(
            f"--date {when.isoformat()} is out of range (0001-01-03 to 9999-12-29)"
        )
    with _sessions(settings)() as session:
        digest = build_digest(session, when, settings)
    if out:
        Path(out).write_text(render_html(digest), encoding="utf-8")
        click.echo(f"wrote {out}")
    if send:
        from worker.delivery.smtp import send_email, smtp_config

        if not settings.digest_to:
            raise click.UsageError("no recipients: set VEILLE_DIGEST_TO (or --digest-to)")
        try:
            config = smtp_config(settings, settings.digest_to)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        attempt = send_email(config, build_email(digest, settings))
        if not attempt.ok:
            raise click.ClickException(f"digest not sent: {attempt.error}")
        click.echo(f"sent the digest of {when.isoformat()} to {', '.join(settings.digest_to)}")
    if not out and not send:
        click.echo(render_text(digest), nl=False)


def register(group: click.Group) -> None:
    """Add the web and digest commands to the `veille` group."""
    group.add_command(web_cmd)
    group.add_command(digest_cmd)
