"""Endpoints that answered 410 Gone: disabled, with every delivery to them held until re-enabled.

A disabled channel still gets a delivery row for each new alert, in status ``held``, so nothing
is lost while it is off. Re-enabling it moves every held delivery (and any the 410 failed for
good) back to ``pending`` with one conditional UPDATE, so doing it twice sends nothing twice;
the senders then claim and send them as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from veille.models import ChannelState, Delivery

HELD = "held"
# What the 410 attempt leaves in last_error (worker.delivery.webhook) and what older releases
# wrote on the deliveries they failed when disabling: both are resumed on re-enabling.
GONE_MARK = "410 Gone"


def disable_reason(channel: str) -> str:
    """The sentence stored and shown for a channel disabled by a 410 Gone."""
    return (
        f"{channel} answered 410 Gone: endpoint disabled, its deliveries are held "
        "(`veille channels enable` sends them)"
    )


def disable_channel(session: Session, channel: str, now: datetime) -> None:
    """Mark the channel disabled and hold its pending deliveries (in the caller's transaction)."""
    reason = disable_reason(channel)
    state = session.get(ChannelState, channel)
    if state is None:
        session.add(ChannelState(channel=channel, disabled_reason=reason, disabled_at=now))
    else:
        state.disabled_reason, state.disabled_at = reason, now
    session.execute(
        update(Delivery)
        .where(Delivery.channel == channel, Delivery.status == "pending")
        .values(status=HELD, next_attempt_at=None)
    )


def disabled_channels(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Channels disabled by a 410 Gone, with the reason."""
    with sessions() as session:
        return disabled_in(session)


def disabled_in(session: Session) -> dict[str, str]:
    """Disabled channels with their reason, read in the caller's session."""
    rows = session.scalars(select(ChannelState).where(ChannelState.disabled_at.is_not(None)))
    return {s.channel: s.disabled_reason or "disabled" for s in rows}


def _resumable(channel: str) -> ColumnElement[bool]:
    return and_(
        Delivery.channel == channel,
        or_(
            Delivery.status == HELD,
            and_(Delivery.status == "failed", Delivery.last_error.contains(GONE_MARK)),
        ),
    )


def enable_channel(session: Session, channel: str) -> list[int]:
    """Re-enable a channel and make every delivery its 410 held or failed due now.

    Returns the ids moved back to pending (none the second time: the UPDATE is conditional).
    """
    state = session.get(ChannelState, channel)
    if state is not None:
        state.disabled_reason, state.disabled_at = None, None
    cond = _resumable(channel)
    ids = list(session.scalars(select(Delivery.id).where(cond).order_by(Delivery.id)))
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), cond)
            .values(status="pending", next_attempt_at=None, claimed_until=None)
        )
    return ids


def enable_channels(session: Session, channels: Iterable[str]) -> list[int]:
    """Re-enable several channels; the ids of the deliveries resumed."""
    return [i for c in sorted(set(channels)) for i in enable_channel(session, c)]


@dataclass(frozen=True)
class ChannelSummary:
    """One channel as an operator sees it: enabled or not, and its deliveries by status."""

    channel: str
    configured: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    counts: dict[str, int]


def summarize(session: Session, configured: Sequence[str]) -> list[ChannelSummary]:
    """Every configured or recorded channel with its state and delivery counts."""
    counts: dict[str, dict[str, int]] = {}
    retrying = and_(Delivery.status == "pending", Delivery.attempts > 0)
    for channel, status, is_retry, n in session.execute(
        select(Delivery.channel, Delivery.status, retrying, func.count())
        .group_by(Delivery.channel, Delivery.status, retrying)
        .order_by(Delivery.channel)
    ):
        key = "retrying" if is_retry else status
        per = counts.setdefault(channel, {})
        per[key] = per.get(key, 0) + n
    states = {s.channel: s for s in session.scalars(select(ChannelState))}
    names = list(dict.fromkeys([*configured, *counts, *states]))
    out = []
    for name in names:
        state = states.get(name)
        off = state is not None and state.disabled_at is not None
        out.append(
            ChannelSummary(
                channel=name,
                configured=name in configured,
                disabled_reason=state.disabled_reason if off and state else None,
                disabled_at=state.disabled_at if off and state else None,
                counts=counts.get(name, {}),
            )
        )
    return out


def match_channel(names: Iterable[str], wanted: str) -> str:
    """The one channel named exactly, or the only one starting with ``wanted`` (e.g. webhook)."""
    names = list(dict.fromkeys(names))
    if wanted in names:
        return wanted
    hits = [n for n in names if n.startswith(wanted)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        known = ", ".join(names) or "none"
        raise LookupError(f"no channel named {wanted!r} (known: {known})")
    raise LookupError(f"{wanted!r} names several channels: {', '.join(hits)}; give the full name")
