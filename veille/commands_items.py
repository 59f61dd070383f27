"""`veille items`: the items set aside because their extraction kept failing, and retrying them."""

from __future__ import annotations

import json
from typing import Any

import click

from veille.cli import build_settings
from veille.db import make_engine, migrate, session_factory
from worker.failures import failed_items, retry_items

_db = click.option(
    "--db", "database_url", default=None, help="Database URL [env: VEILLE_DATABASE_URL]"
)
_config = click.option("--config", default=None, help="TOML file [env: VEILLE_CONFIG]")


def _sessions(database_url: str | None, config: str | None) -> Any:
    settings = build_settings({"config": config, "database_url": database_url})
    engine = make_engine(settings.database_url)
    migrate(engine)
    return session_factory(engine)


@click.group("items")
def items_group() -> None:
    """Items Veille could not extract: list them, try them again."""


@items_group.command("failed")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_db
@_config
def failed_cmd(fmt: str, database_url: str | None, config: str | None) -> None:
    """List items set aside after failing `item_attempts` times: id, feed, attempts, reason."""
    rows = failed_items(_sessions(database_url, config))
    if fmt == "json":
        out = [
            {
                "id": r.id,
                "feed_url": r.feed_url,
                "title": r.title,
                "attempts": r.attempts,
                "reason": r.reason,
                "failed_at": r.failed_at.isoformat(),
            }
            for r in rows
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no failed item")
        return
    for r in rows:
        title = " ".join(r.title.split())[:80]
        click.echo(f"{r.id:>8}  {r.attempts} attempts  {r.feed_url}  {title}")
        click.echo(f"{'':8}  reason: {' '.join(r.reason.split())[:300]}")


@items_group.command("retry")
@click.argument("item_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every failed item.")
@_db
@_config
def retry_cmd(
    item_ids: tuple[int, ...], every: bool, database_url: str | None, config: str | None
) -> None:
    """Try failed items again (by id, or --all), with a fresh count of attempts."""
    if bool(item_ids) == every:
        raise click.UsageError("give item ids or --all (not both)")
    sessions = _sessions(database_url, config)
    done = retry_items(sessions, None if every else item_ids)
    missing = sorted(set(item_ids) - set(done))
    if done:
        click.echo(
            f"{len(done)} item{'s' if len(done) > 1 else ''} will be extracted again at the "
            "next cycle: " + " ".join(str(i) for i in done)
        )
    elif every:
        click.echo("no failed item")
    if missing:
        raise click.ClickException("no failed item with id " + ", ".join(str(i) for i in missing))


def register(group: click.Group) -> None:
    """Add `veille items` to the main group."""
    group.add_command(items_group)
