"""`veille feeds`: add, list, remove, import and export the feeds Veille polls."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import click
from sqlalchemy import func, select

from veille.cli import build_settings
from veille.db import make_engine, migrate, session_factory
from veille.feedurls import masked
from veille.models import Feed, Item
from veille.settings import resolve_feed_location
from worker.failures import failed_counts

db_option = click.option(
    "--db", "database_url", default=None, help="Database URL [env: VEILLE_DATABASE_URL]"
)
config_option = click.option("--config", default=None, help="TOML file [env: VEILLE_CONFIG]")


def _sessions(database_url: str | None, config: str | None) -> Any:
    settings = build_settings({"config": config, "database_url": database_url})
    engine = make_engine(settings.database_url)
    migrate(engine)
    return session_factory(engine)


@click.group("feeds")
def feeds_group() -> None:
    """Manage the feeds Veille polls (in addition to those of the configuration)."""


@feeds_group.command("add")
@click.argument("url")
@click.option("--interval", type=int, default=None, help="Poll interval of this feed, seconds.")
@click.option("--fulltext", is_flag=True, help="Fetch each item's article page for its text.")
@click.option("--title", default=None)
@db_option
@config_option
def add_cmd(
    url: str,
    interval: int | None,
    fulltext: bool,
    title: str | None,
    database_url: str | None,
    config: str | None,
) -> None:
    """Add a feed (an http(s) URL, or a local file in embedded mode)."""
    from veille.feedurls import BadFeedLocation, check_feed_location

    settings = build_settings({"config": config, "database_url": database_url})
    try:
        url = check_feed_location(url, allow_local=settings.embedded)
    except BadFeedLocation as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    sessions = _sessions(database_url, config)
    with sessions() as session, session.begin():
        feed = session.scalar(select(Feed).where(Feed.url == url))
        if feed is not None:
            feed.interval, feed.fulltext, feed.origin = interval, fulltext, "user"
            feed.status, feed.disabled_reason = "ok", None
            click.echo(f"updated {masked(url)}")
            return
        session.add(
            Feed(
                url=url,
                interval=interval,
                fulltext=fulltext,
                title=title,
                origin="user",
                status="ok",
            )
        )
    click.echo(f"added {masked(url)}")


def feed_rows(sessions: Any) -> list[dict[str, Any]]:
    """Every stored feed with its health, as `feeds list --format json` prints it."""
    with sessions() as session:
        counts = dict(
            session.execute(select(Item.feed_id, func.count()).group_by(Item.feed_id)).all()
        )
        failed = failed_counts(session)
        out = []
        for f in session.scalars(select(Feed).order_by(Feed.id)):
            out.append(
                {
                    "url": masked(f.url),
                    "title": f.title,
                    "status": f.status,
                    "last_success": f.last_success.isoformat() if f.last_success else None,
                    "last_error": f.last_error,
                    "last_warning": f.last_warning,
                    "consecutive_failures": f.consecutive_failures,
                    "next_poll_at": f.next_poll_at.isoformat() if f.next_poll_at else None,
                    "items": counts.get(f.id, 0),
                    "failed_items": failed.get(f.id, 0),
                    "interval": f.interval,
                    "fulltext": f.fulltext,
                    "disabled_reason": f.disabled_reason,
                }
            )
        return out


@feeds_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@db_option
@config_option
def list_cmd(fmt: str, database_url: str | None, config: str | None) -> None:
    """List feeds with their status, last success, last error and next poll."""
    rows = feed_rows(_sessions(database_url, config))
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        failed = f"  {r['failed_items']} failed" if r["failed_items"] else ""
        click.echo(f"{r['status']:8} {r['items']:6} items{failed}  {masked(r['url'])}")
        if r["last_error"]:
            click.echo(f"{'':8} last error: {r['last_error']}")


@feeds_group.command("remove")
@click.argument("url")
@db_option
@config_option
def remove_cmd(url: str, database_url: str | None, config: str | None) -> None:
    """Remove a feed and its items."""
    sessions = _sessions(database_url, config)
    with sessions() as session, session.begin():
        feed = session.scalar(select(Feed).where(Feed.url.in_([url, resolve_feed_location(url)])))
        if feed is None:
            raise click.ClickException(f"no such feed: {url}")
        session.delete(feed)
    click.echo(f"removed {url}")


@feeds_group.command("import-opml")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@config_option
def import_cmd(path: str, database_url: str | None, config: str | None) -> None:
    """Add every feed of an OPML file."""
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        raise click.ClickException(f"{path}: not valid OPML ({exc})") from exc
    from veille.feedurls import BadFeedLocation, check_feed_location

    sessions = _sessions(database_url, config)
    added = 0
    with sessions() as session, session.begin():
        known = set(session.scalars(select(Feed.url)))
        for node in tree.iter("outline"):
            url = node.get("xmlUrl")
            if not url or url in known:
                continue
            try:
                url = check_feed_location(url, allow_local=False)  # an OPML file lists URLs
            except BadFeedLocation as exc:
                click.echo(f"skipped {masked(url)[:200]}: {exc}", err=True)
                continue
            session.add(
                Feed(
                    url=url, title=node.get("title") or node.get("text"), origin="user", status="ok"
                )
            )
            known.add(url)
            added += 1
    click.echo(f"imported {added} feeds")


@feeds_group.command("export-opml")
@db_option
@config_option
def export_cmd(database_url: str | None, config: str | None) -> None:
    """Print every feed as OPML, for another reader."""
    opml = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(opml, "head"), "title").text = "Veille feeds"
    body = ET.SubElement(opml, "body")
    for r in feed_rows(_sessions(database_url, config)):
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=r["title"] or r["url"],
            title=r["title"] or r["url"],
            xmlUrl=r["url"],
        )
    ET.indent(opml)
    click.echo(ET.tostring(opml, encoding="unicode", xml_declaration=True))


def register(group: click.Group) -> None:
    """Add `veille feeds` to the main group."""
    group.add_command(feeds_group)
