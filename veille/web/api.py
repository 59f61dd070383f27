"""The JSON API (described at /openapi.json): statements, clusters, alerts and feeds."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from veille.web.deps import FilterDep, Limit, Offset, RowId, SessionDep, SettingsDep
from veille.web.queries import list_statements, statement_detail
from veille.web.records import cluster_detail, list_alerts, list_clusters, list_feeds
from veille.web.schemas import (
    AlertView,
    ClusterView,
    FeedView,
    Page,
    StatementDetail,
    StatementView,
)

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/statements", response_model=Page[StatementView])
def api_statements(
    session: SessionDep,
    settings: SettingsDep,
    filters: FilterDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[StatementView]:
    """Statements newest first, with the timeline's filters."""
    return list_statements(session, filters, settings.timezone, limit, offset)


@router.get(
    "/statements/{statement_id}",
    response_model=StatementDetail,
    responses={404: {"description": "No such statement"}},
)
def api_statement(
    statement_id: RowId, session: SessionDep, settings: SettingsDep
) -> StatementDetail:
    """One statement with every source that carried it."""
    found = statement_detail(session, statement_id, settings.timezone)
    if found is None:
        raise HTTPException(404, "no such statement")
    return found


@router.get("/clusters", response_model=Page[ClusterView])
def api_clusters(session: SessionDep, limit: Limit = 50, offset: Offset = 0) -> Page[ClusterView]:
    """Clusters of repeated statements, newest first."""
    return list_clusters(session, limit, offset)


@router.get(
    "/clusters/{cluster_id}",
    response_model=ClusterView,
    responses={404: {"description": "No such cluster"}},
)
def api_cluster(cluster_id: RowId, session: SessionDep) -> ClusterView:
    """One cluster with its statements and sources."""
    found = cluster_detail(session, cluster_id)
    if found is None:
        raise HTTPException(404, "no such cluster")
    return found


@router.get("/alerts", response_model=Page[AlertView])
def api_alerts(
    session: SessionDep,
    settings: SettingsDep,
    limit: Limit = 50,
    offset: Offset = 0,
    rule: str | None = None,
) -> Page[AlertView]:
    """Alerts newest first, with deliveries and every attempt."""
    return list_alerts(session, settings.timezone, limit, offset, rule)


@router.get("/feeds", response_model=list[FeedView])
def api_feeds(session: SessionDep) -> list[FeedView]:
    """Every feed with its health and item count."""
    return list_feeds(session)
