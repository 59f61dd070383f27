"""Queries the worker and the web share."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from veille.models import Feed, Item, StatementRow


def items_carrying(
    session: Session, cluster_id: int | None, story_id: int | None
) -> list[tuple[Item, Feed]]:
    """Every item (with its feed) that carried a statement of this cluster, or the same story."""
    conds: list[ColumnElement[bool]] = []
    if cluster_id is not None:
        conds.append(
            Item.id.in_(select(StatementRow.item_id).where(StatementRow.cluster_id == cluster_id))
        )
    if story_id is not None:
        conds.append(Item.story_id == story_id)
    if not conds:
        return []
    rows = session.execute(
        select(Item, Feed)
        .join(Feed, Feed.id == Item.feed_id)
        .where(or_(*conds))
        .order_by(Item.published, Item.id)
    ).all()
    return [(item, feed) for item, feed in rows]
