"""Read queries for the operational pages: alerts with their deliveries, clusters, feed health."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from veille.feedurls import masked
from veille.models import Alert, Cluster, Delivery, DeliveryAttempt, Feed, Item, StatementRow
from veille.web.queries import sources_of, statement_view, storable
from veille.web.schemas import (
    AlertView,
    AttemptView,
    ClusterView,
    DeliveryView,
    FeedView,
    Page,
)
from worker.delivery.email import safe_href
from worker.failures import failed_counts


def redact_channel(name: str) -> str:
    """A channel name fit to show: webhook URLs lose credentials and query, apprise keeps a scheme.

    Apprise URLs carry bot tokens and passwords in their path, so only the service is shown.
    """
    kind, _, target = name.partition(":")
    if not target:
        return kind
    try:
        parts = urlsplit(target)
    except ValueError:
        return kind
    if kind == "webhook":
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"webhook: {parts.scheme}://{host}{port}{parts.path}"
    return f"{kind}: {parts.scheme}://…" if parts.scheme else kind


def _deliveries(session: Session, alert_ids: list[str]) -> dict[str, list[DeliveryView]]:
    deliveries = list(
        session.scalars(
            select(Delivery).where(Delivery.alert_id.in_(alert_ids)).order_by(Delivery.id)
        )
    )
    tries: dict[int, list[AttemptView]] = defaultdict(list)
    ids = [d.id for d in deliveries]
    for a in session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(ids))
        .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
    ):
        tries[a.delivery_id].append(
            AttemptView(at=a.at, ok=a.ok, status_code=a.status_code, error=a.error)
        )
    out: dict[str, list[DeliveryView]] = defaultdict(list)
    for d in deliveries:
        out[d.alert_id].append(
            DeliveryView(
                channel=redact_channel(d.channel),
                status=d.status,
                attempts=d.attempts,
                last_error=d.last_error,
                delivered_at=d.delivered_at,
                next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
                tries=tries[d.id],
            )
        )
    return out


def list_alerts(
    session: Session, tz: str, limit: int = 50, offset: int = 0, rule: str | None = None
) -> Page[AlertView]:
    """Alerts newest first, each with its statement, deliveries and every attempt."""
    conds = [Alert.rule == rule] if rule is not None else []
    if not storable(rule):
        conds = [false()]  # no rule's name holds a NUL
    total = session.scalar(select(func.count(Alert.id)).where(*conds)) or 0
    rows = session.execute(
        select(Alert, StatementRow, Item, Feed)
        .join(StatementRow, StatementRow.id == Alert.statement_id)
        .join(Item, Item.id == StatementRow.item_id)
        .join(Feed, Feed.id == Item.feed_id)
        .where(*conds)
        .order_by(Alert.created_at.desc(), Alert.id)
        .limit(limit)
        .offset(offset)
    ).all()
    deliveries = _deliveries(session, [a.id for a, *_ in rows])
    items = [
        AlertView(
            id=a.id,
            rule=a.rule,
            created_at=a.created_at,
            cluster_id=a.cluster_id,
            statement=statement_view(st, it, fd, tz),
            deliveries=deliveries.get(a.id, []),
        )
        for a, st, it, fd in rows
    ]
    return Page[AlertView](items=items, total=total, limit=limit, offset=offset)


def rule_names(session: Session) -> set[str]:
    """Rules that have fired at least once."""
    return set(session.scalars(select(Alert.rule).distinct()))


def _cluster_views(session: Session, clusters: list[Cluster]) -> list[ClusterView]:
    ids = [c.id for c in clusters]
    members: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
    for sid, cid, targets in session.execute(
        select(StatementRow.id, StatementRow.cluster_id, StatementRow.targets)
        .where(StatementRow.cluster_id.in_(ids))
        .order_by(StatementRow.id)
    ):
        if cid is not None:
            members[cid].append((sid, list(targets or [])))
    return [
        ClusterView(
            id=c.id,
            speaker_actor=c.speaker_actor,
            type=c.type,
            targets=members[c.id][0][1] if members[c.id] else [],
            first_seen=c.first_seen,
            statements=len(members[c.id]),
            statement_ids=[s for s, _ in members[c.id]],
        )
        for c in clusters
    ]


def list_clusters(session: Session, limit: int = 50, offset: int = 0) -> Page[ClusterView]:
    """Clusters newest first, with their statements' ids."""
    total = session.scalar(select(func.count(Cluster.id))) or 0
    clusters = list(
        session.scalars(
            select(Cluster)
            .order_by(Cluster.first_seen.desc(), Cluster.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return Page[ClusterView](
        items=_cluster_views(session, clusters), total=total, limit=limit, offset=offset
    )


def cluster_detail(session: Session, cluster_id: int) -> ClusterView | None:
    """One cluster with every source that carried it."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        return None
    view = _cluster_views(session, [cluster])[0]
    return view.model_copy(update={"sources": sources_of(session, cluster_id, None)})


def list_feeds(session: Session) -> list[FeedView]:
    """Every feed with its health and how many items it gave."""
    counts = dict(
        session.execute(select(Item.feed_id, func.count(Item.id)).group_by(Item.feed_id)).all()
    )
    failed = failed_counts(session)
    return [
        FeedView(
            id=f.id,
            url=masked(f.url),
            href=safe_href(masked(f.url)),
            title=f.title,
            status=f.status,
            origin=f.origin,
            interval=f.interval,
            last_success=f.last_success,
            last_error=f.last_error,
            consecutive_failures=f.consecutive_failures,
            next_poll_at=f.next_poll_at,
            disabled_reason=f.disabled_reason,
            items=counts.get(f.id, 0),
            failed_items=failed.get(f.id, 0),
        )
        for f in session.scalars(select(Feed).order_by(Feed.id))
    ]
