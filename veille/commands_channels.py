"""`veille channels`: which alert channels are enabled, what they hold, and enabling one again.

A channel whose endpoint answered `410 Gone` is disabled and holds every later delivery;
`veille channels enable NAME` (or `veille alerts retry --channel NAME`) sends them, once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy import select

from veille.cli import build_settings, settings_options
from veille.models import Delivery
from worker.context import Runtime, build_runtime, channel_names
from worker.holds import enable_channel, match_channel, summarize
from worker.outbox import deliver_due


def send_now(rt: Runtime, delivery_ids: Sequence[int]) -> dict[str, int]:
    """Send the given pending deliveries here (those whose channel this process has) and say so.

    Deliveries to a channel this command was not configured with stay pending for the
    running service, which sends due deliveries every few seconds.
    """
    with rt.sessions() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.channel).where(Delivery.id.in_(list(delivery_ids)))
        ).all()
    mine = [i for i, channel in rows if channel in rt.channels]
    counts = deliver_due(rt.sessions, rt.channels, delivery_ids=mine) if mine else {}
    left = len(rows) - len(mine)
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    if left:
        parts.append(f"{left} left for the running service (channel not configured here)")
    click.echo(", ".join(parts) or "nothing sent")
    return counts


def enable_and_send(rt: Runtime, name: str) -> dict[str, int]:
    """Enable a channel again and send every delivery it held or its 410 failed."""
    with rt.sessions() as session, session.begin():
        known = [s.channel for s in summarize(session, list(rt.channels))]
        try:
            channel = match_channel(known, name)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        ids = enable_channel(session, channel)
    click.echo(f"{channel} enabled; {len(ids)} held delivery(ies) to send")
    return send_now(rt, ids)


@click.group("channels")
def channels_group() -> None:
    """Alert channels: enabled or disabled by a 410 Gone, and what they hold."""


@channels_group.command("list")
@settings_options
def channels_list(**params: Any) -> None:
    """List every channel with its state and its deliveries by status."""
    settings = build_settings(params)
    rt = build_runtime(settings)
    try:
        with rt.sessions() as session:
            summaries = summarize(session, channel_names(settings))
    finally:
        rt.close()
    for s in summaries:
        state = "enabled"
        if s.disabled_at is not None:
            state = f"DISABLED since {s.disabled_at.isoformat(timespec='seconds')}"
        if not s.configured:
            state += " (not configured)"
        counts = ", ".join(f"{n} {k}" for k, n in sorted(s.counts.items())) or "no deliveries"
        click.echo(f"{s.channel}  {state}\n  {counts}")
        if s.disabled_reason:
            click.echo(f"  {s.disabled_reason}")


@channels_group.command("enable")
@click.argument("name")
@settings_options
def channels_enable(name: str, **params: Any) -> None:
    """Enable a channel again (full name or unique prefix) and send what it held, once each."""
    rt = build_runtime(build_settings(params))
    try:
        enable_and_send(rt, name)
    finally:
        rt.close()


def register(group: click.Group) -> None:
    """Add `veille channels` to the main group."""
    group.add_command(channels_group)
