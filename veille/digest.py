"""The daily digest: one local day's fresh warnings and demands, grouped by pair of actors.

A day is the publication day of the items in the configured time zone, so a replayed archive
gets its digests too. The digest is built once (``build_digest``) and rendered as text, as an
HTML page (chart as a data: URI) or as a multipart email (chart as an inline ``cid:`` PNG).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from veille.charts import escalation_series, render_png
from veille.models import Item
from veille.settings import Settings
from veille.web.queries import (
    ESCALATION_TYPES,
    StatementFilter,
    escalation_counts,
    list_statements,
    pair_label,
    sources_of,
)
from veille.web.schemas import SourceView, StatementView
from veille.web.templating import make_env
from worker.delivery import Attempt

CHART_DAYS = 7
_ENV = make_env()


@dataclass(frozen=True)
class Entry:
    """One fresh statement (a cluster, shown once) with every source that carried it."""

    statement: StatementView
    sources: list[SourceView]
    link: str


@dataclass(frozen=True)
class PairGroup:
    """A pair of actors: that day's statements and its counts against the day before."""

    pair: str
    count: int
    previous: int
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    """Everything one day's digest says, ready to render."""

    day: date
    tz: str
    base_url: str
    groups: list[PairGroup]
    counts: list[PairGroup]
    total: int
    previous_total: int
    chart_png: bytes | None

    @property
    def empty(self) -> bool:
        """No fresh warning or demand that day: the digest is one line."""
        return self.total == 0

    @property
    def timeline_url(self) -> str:
        """The timeline filtered on that day."""
        return f"{self.base_url}/?day={self.day.isoformat()}"

    @property
    def one_line(self) -> str:
        """What an empty day's digest says."""
        return f"No fresh warnings or demands were published on {self.day.isoformat()} ({self.tz})."

    @property
    def subject(self) -> str:
        """The email subject: the day and how much happened."""
        if self.empty:
            return f"[Veille] Digest {self.day.isoformat()}: nothing new"
        return (
            f"[Veille] Digest {self.day.isoformat()}: {self.total} warnings and demands "
            f"(day before: {self.previous_total})"
        )


def base_url(settings: Settings) -> str:
    """Where the web app is reached, for links back from the digest."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def default_day(settings: Settings, now: datetime | None = None) -> date:
    """Yesterday in the configured zone: the last complete day when the digest goes out."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(settings.timezone)).date() - timedelta(days=1)


def _entries(session: Session, day: date, tz: str, root: str) -> dict[str, list[Entry]]:
    f = StatementFilter(day=day, fresh=True, types=ESCALATION_TYPES)
    rows = list(reversed(list_statements(session, f, tz, limit=1000).items))
    stories = dict(
        session.execute(
            select(Item.id, Item.story_id).where(Item.id.in_({s.item.item_id for s in rows}))
        ).all()
    )
    seen: set[Any] = set()
    groups: dict[str, list[Entry]] = {}
    for st in rows:
        key = ("c", st.cluster_id) if st.cluster_id is not None else ("s", st.id)
        if key in seen:
            continue
        seen.add(key)
        sources = sources_of(session, st.cluster_id, stories.get(st.item.item_id)) or [st.item]
        entry = Entry(statement=st, sources=sources, link=f"{root}/statements/{st.id}")
        groups.setdefault(pair_label(st.speaker_actor, st.targets), []).append(entry)
    return groups


def build_digest(session: Session, day: date, settings: Settings, chart: bool = True) -> Digest:
    """Gather one local day's digest: entries by pair, counts against the day before, chart."""
    tz, root = settings.timezone, base_url(settings)
    entries = _entries(session, day, tz, root)
    counts = escalation_counts(session, StatementFilter(), tz, day - timedelta(days=1), day)
    today, before = counts.get(day, {}), counts.get(day - timedelta(days=1), {})
    table = [
        PairGroup(pair=p, count=today.get(p, 0), previous=before.get(p, 0))
        for p in sorted(set(today) | set(before), key=lambda p: (-today.get(p, 0), p))
    ]
    groups = [
        PairGroup(pair=g.pair, count=g.count, previous=g.previous, entries=entries[g.pair])
        for g in table
        if g.pair in entries
    ]
    total = sum(today.values())
    png = None
    if chart and total:
        series = escalation_series(session, StatementFilter(), tz, day, CHART_DAYS)
        png = render_png(series, f"Warnings and demands per day, to {day.isoformat()}")
    return Digest(
        day=day,
        tz=tz,
        base_url=root,
        groups=groups,
        counts=table,
        total=total,
        previous_total=sum(before.values()),
        chart_png=png,
    )


def render_text(digest: Digest) -> str:
    """The plain-text part."""
    if digest.empty:
        return digest.one_line + "\n"
    return _ENV.get_template("digest.txt").render(d=digest)


def render_html(digest: Digest, chart_src: str | None = None) -> str:
    """A standalone HTML document (the email's HTML part, or the --out file)."""
    if chart_src is None and digest.chart_png:
        chart_src = "data:image/png;base64," + base64.b64encode(digest.chart_png).decode()
    return _ENV.get_template("digest_email.html").render(d=digest, chart_src=chart_src)


def build_email(digest: Digest, settings: Settings, now: datetime | None = None) -> EmailMessage:
    """multipart/alternative: text, then HTML related to its inline chart PNG."""
    sender = settings.smtp_from
    domain = sender.rpartition("@")[2] or None
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = ", ".join(settings.digest_to)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=f"digest-{digest.day.isoformat()}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render_text(digest))
    if digest.chart_png is None:
        msg.add_alternative(render_html(digest), subtype="html")
        return msg
    cid = make_msgid(idstring="escalation-chart", domain=domain)
    msg.add_alternative(render_html(digest, f"cid:{cid[1:-1]}"), subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html_part.add_related(
        digest.chart_png,
        maintype="image",
        subtype="png",
        cid=cid,
        filename="escalation.png",
        disposition="inline",
    )
    return msg


def send_digest(
    settings: Settings, sessions: sessionmaker[Session], day: date | None = None, **smtp: Any
) -> Attempt:
    """Build and email one day's digest (yesterday by default) to settings.digest_to."""
    from worker.delivery.smtp import send_email, smtp_config

    day = day or default_day(settings)
    with sessions() as session:
        digest = build_digest(session, day, settings)
    message = build_email(digest, settings)
    return send_email(smtp_config(settings, settings.digest_to), message, **smtp)
