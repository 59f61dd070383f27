"""`veille rules` and `veille alerts`: manage rules, try them before anyone is paged, follow
deliveries and send failed ones again."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import click
from sqlalchemy import and_, func, or_, select

from veille.cli import build_settings, settings_options
from veille.db import make_engine, migrate, session_factory
from veille.models import Alert, Delivery, Feed, Item, StatementRow, utcnow
from veille.models import Rule as RuleRow
from worker.holds import HELD
from worker.rules import RuleError, load_rules, rule_from_dict

_db = click.option(
    "--db", "database_url", default=None, help="Database URL [env: VEILLE_DATABASE_URL]"
)
_config = click.option("--config", default=None, help="TOML file [env: VEILLE_CONFIG]")


def _open(database_url: str | None, config: str | None) -> tuple[Any, Any]:
    settings = build_settings({"config": config, "database_url": database_url})
    engine = make_engine(settings.database_url)
    migrate(engine)
    return settings, session_factory(engine)


def parse_since(value: str) -> timedelta:
    """'7d', '12h', '30m' → a duration, for `rules test --since`."""
    m = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", value)
    if not m:
        raise click.BadParameter("use a number and d, h or m, e.g. 7d")
    n, unit = int(m.group(1)), m.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


@click.group("rules")
def rules_group() -> None:
    """Alert rules: which statements wake someone up."""


@rules_group.command("add")
@click.argument("name")
@click.option("--type", "types", multiple=True, help="warning, demand, … (repeatable)")
@click.option("--actor", "actors", multiple=True, help="Speaker actor or target (e.g. RUS).")
@click.option("--speaker-actor", "speaker_actors", multiple=True)
@click.option("--target-actor", "target_actors", multiple=True)
@click.option("--keyword", "keywords", multiple=True, help="Word the content must contain.")
@click.option("--regex", default=None, help="Regular expression on the content.")
@click.option("--min-confidence", type=float, default=None)
@click.option("--feed", "feeds", multiple=True, help="Only statements from this feed URL.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    help="Only these channels (console, webhook, email, apprise).",
)
@_db
@_config
def rules_add(name: str, database_url: str | None, config: str | None, **criteria: Any) -> None:
    """Add (or replace) a stored rule."""
    definition = {k: list(v) for k, v in criteria.items() if isinstance(v, tuple) and v}
    if criteria.get("regex"):
        definition["regex"] = criteria["regex"]
    if criteria.get("min_confidence") is not None:
        definition["min_confidence"] = criteria["min_confidence"]
    try:
        rule = rule_from_dict({"name": name, **definition})
    except RuleError as exc:
        raise click.BadParameter(str(exc)) from exc
    _, sessions = _open(database_url, config)
    with sessions() as session, session.begin():
        row = session.scalar(select(RuleRow).where(RuleRow.name == rule.name))
        if row is None:
            session.add(RuleRow(name=rule.name, definition=rule.to_dict(), enabled=True))
        else:
            row.definition, row.enabled = rule.to_dict(), True
    click.echo(f"rule {rule.name!r} saved")


def _all_rules(settings: Any, sessions: Any) -> list[tuple[str, dict[str, Any]]]:
    stored = []
    with sessions() as session:
        stored = [(r.name, r.definition) for r in session.scalars(select(RuleRow))]
    configured = [(str(r["name"]), dict(r)) for r in settings.rules]
    everything = [("config", d) for _, d in configured] + [("stored", d) for _, d in stored]
    if not everything:
        everything = [("default", load_rules([])[0].to_dict())]
    return everything


@rules_group.command("list")
@_db
@_config
def rules_list(database_url: str | None, config: str | None) -> None:
    """List the rules in force, from the configuration and the database."""
    settings, sessions = _open(database_url, config)
    for origin, definition in _all_rules(settings, sessions):
        click.echo(
            f"{definition['name']:20} ({origin}) {json.dumps(definition, ensure_ascii=False)}"
        )


@rules_group.command("remove")
@click.argument("name")
@_db
@_config
def rules_remove(name: str, database_url: str | None, config: str | None) -> None:
    """Remove a stored rule."""
    _, sessions = _open(database_url, config)
    with sessions() as session, session.begin():
        row = session.scalar(select(RuleRow).where(RuleRow.name == name))
        if row is None:
            raise click.ClickException(f"no stored rule named {name!r}")
        session.delete(row)
    click.echo(f"rule {name!r} removed")


@rules_group.command("test")
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="How far back: 7d, 12h, 30m.")
@_db
@_config
def rules_test(name: str, since: str, database_url: str | None, config: str | None) -> None:
    """Show what a rule would have fired on the stored statements, one line per cluster."""
    settings, sessions = _open(database_url, config)
    found = [d for _, d in _all_rules(settings, sessions) if d["name"] == name]
    if not found:
        raise click.ClickException(f"no rule named {name!r}")
    rule = rule_from_dict(found[0])
    start = utcnow() - parse_since(since)
    from worker.outbox import statement_from_row

    seen_clusters: set[int | None] = set()
    hits = 0
    with sessions() as session:
        rows = session.execute(
            select(StatementRow, Item)
            .join(Item, Item.id == StatementRow.item_id)
            .where(func.coalesce(Item.published, StatementRow.created_at) >= start)
            .order_by(StatementRow.id)
        ).all()
        feed_urls = dict(session.execute(select(Feed.id, Feed.url)).all())
        for row, item in rows:
            if row.cluster_id in seen_clusters:
                continue
            if rule.matches(statement_from_row(row), feed_urls.get(item.feed_id)):
                seen_clusters.add(row.cluster_id)
                hits += 1
                click.echo(
                    f"{row.type.upper():9} {row.speaker or '?'} ({row.speaker_actor or '-'}) → "
                    f"{','.join(row.targets) or '-'}  [{item.title[:60]}]"
                )
                click.echo(f"          {row.sentence[:160]}")
    click.echo(f"{hits} alert(s) would have fired since {start.isoformat(timespec='minutes')}")


@click.group("alerts")
def alerts_group() -> None:
    """Alerts that fired and their deliveries."""


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "now"
    secs = round((at - now).total_seconds())
    rel = f"in {secs} s" if secs >= 0 else f"{-secs} s overdue"
    return f"{at.isoformat(timespec='seconds')} ({rel})"


@alerts_group.command("list")
@click.option(
    "--failed",
    is_flag=True,
    help="Only deliveries not getting through: being retried, held or failed for good.",
)
@click.option("--held", is_flag=True, help="Only deliveries held for a disabled channel.")
@click.option("--limit", type=int, default=50, show_default=True)
@_db
@_config
def alerts_list(
    failed: bool, held: bool, limit: int, database_url: str | None, config: str | None
) -> None:
    """List recent alerts with each delivery's status, attempts and next attempt."""
    _, sessions = _open(database_url, config)
    now = utcnow()
    with sessions() as session:
        q = (
            select(Delivery, Alert, StatementRow)
            .join(Alert, Alert.id == Delivery.alert_id)
            .join(StatementRow, StatementRow.id == Alert.statement_id)
            .order_by(Alert.created_at.desc(), Delivery.id)
            .limit(limit)
        )
        if held:
            q = q.where(Delivery.status == HELD)
        elif failed:
            q = q.where(
                or_(
                    Delivery.status.in_(["failed", HELD]),
                    and_(Delivery.status == "pending", Delivery.attempts > 0),
                )
            )
        for d, alert, st in session.execute(q).all():
            retrying = d.status == "pending" and d.attempts > 0
            click.echo(
                f"delivery {d.id:<5} {'retrying' if retrying else d.status:8} "
                f"{d.attempts} attempt(s)  {d.channel}\n"
                f"  alert {alert.id} [{alert.rule}] {st.type.upper()} {st.speaker} "
                f"({st.speaker_actor}) → {','.join(st.targets) or '-'}"
            )
            if d.last_error:
                click.echo(f"  last error: {d.last_error}")
            if d.status == "pending" and d.attempts:
                click.echo(f"  next attempt: {_when(d.next_attempt_at, now)}")
            elif d.status == HELD:
                click.echo("  held until its channel is enabled (`veille channels enable`)")


@alerts_group.command("retry")
@click.argument("ident", required=False)
@click.option(
    "--channel",
    "channel",
    default=None,
    help="Enable this channel again and send everything it holds (e.g. webhook).",
)
@settings_options
def alerts_retry(ident: str | None, channel: str | None, **params: Any) -> None:
    """Send a delivery now (by delivery id, or every unsent one of an alert id), or a channel's.

    A delivery being retried, held by a disabled channel or failed for good is made due now;
    if its channel was disabled by a 410 Gone, the channel is enabled again and everything it
    held is sent too, once each.
    """
    from veille.commands_channels import enable_and_send, send_now
    from worker.context import build_runtime
    from worker.holds import disabled_in, enable_channels

    if (ident is None) == (channel is None):
        raise click.UsageError("give a delivery or alert id, or --channel NAME (not both)")
    settings = build_settings(params)
    rt = build_runtime(settings)
    try:
        if channel is not None:
            enable_and_send(rt, channel)
            return
        assert ident is not None
        with rt.sessions() as session, session.begin():
            q = select(Delivery).where(Delivery.status.in_(["failed", "pending", HELD]))
            q = (
                q.where(Delivery.id == int(ident))
                if ident.isdigit()
                else q.where(Delivery.alert_id == ident)
            )
            deliveries = list(session.scalars(q))
            if not deliveries:
                raise click.ClickException(
                    f"no delivery waiting to be sent matches {ident!r} "
                    "(retrying, held or failed; `veille alerts list` shows them)"
                )
            disabled = disabled_in(session)
            gone = sorted({d.channel for d in deliveries if d.channel in disabled})
            ids = {d.id for d in deliveries}
            for d in deliveries:
                if d.status != "pending":  # failed or held: nobody is sending it
                    d.claimed_until = None
                d.status, d.next_attempt_at = "pending", None
            resumed = enable_channels(session, gone)
        for name in gone:
            click.echo(f"{name} enabled again")
        send_now(rt, sorted(ids | set(resumed)))
    finally:
        rt.close()


def register(group: click.Group) -> None:
    """Add `veille rules` and `veille alerts` to the main group."""
    group.add_command(rules_group)
    group.add_command(alerts_group)
