"""What the web shows and the JSON API returns: one set of typed views for pages, API and digest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class View(BaseModel):
    """Frozen read-only views, built from rows by veille.web.queries."""

    model_config = ConfigDict(frozen=True)


class SourceView(View):
    """One outlet's item: its title, its link (http(s) only in ``href``) and its feed."""

    item_id: int
    title: str
    url: str | None = Field(description="The item's link as the feed gave it.")
    href: str | None = Field(description="The link if it is http(s), else null: safe to follow.")
    feed_id: int
    feed_url: str
    feed_title: str | None = None
    published: datetime | None = None


class StatementView(View):
    """One attributed statement, with the item it was found in."""

    id: int
    speaker: str | None
    person: bool
    speaker_actor: str | None
    type: str
    targets: list[str]
    direct: bool
    background: bool
    sentence: str
    content: str
    cue: str
    confidence: float
    cluster_id: int | None
    when: datetime = Field(description="Publication time of the item (fetch time if unknown).")
    day: date = Field(description="Local publication day in the configured time zone.")
    item: SourceView


class StatementDetail(StatementView):
    """A statement with every source that carried it (its cluster or its story)."""

    sources: list[SourceView]
    alert_ids: list[str]


class Page(View, Generic[T]):
    """One page of a list, with the total count for pagination."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ClusterView(View):
    """Statements that repeat one another: one cluster, one alert."""

    id: int
    speaker_actor: str | None
    type: str
    targets: list[str]
    first_seen: datetime
    statements: int
    statement_ids: list[int] = Field(default_factory=list)
    sources: list[SourceView] = Field(default_factory=list)


class AttemptView(View):
    """One try at sending an alert to a channel."""

    at: datetime
    ok: bool
    status_code: int | None
    error: str | None


class DeliveryView(View):
    """Where an alert was sent, how it went, and every attempt."""

    channel: str = Field(description="Channel kind and target, with secrets removed.")
    status: str = Field(
        description="pending (due or being retried), sent, failed (for good), or held "
        "(its channel answered 410 Gone and is disabled: sent once enabled again)."
    )
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    tries: list[AttemptView]


class AlertView(View):
    """An alert that fired: which rule, for which statement, and its deliveries."""

    id: str
    rule: str
    created_at: datetime
    cluster_id: int
    statement: StatementView
    deliveries: list[DeliveryView]


class FeedView(View):
    """A polled feed and its health."""

    id: int
    url: str
    href: str | None
    title: str | None
    status: str
    origin: str
    interval: int | None
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    disabled_reason: str | None
    items: int
    failed_items: int = Field(
        0, description="Items set aside after failing extraction (`veille items failed`)."
    )
