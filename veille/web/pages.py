"""The HTML pages: timeline, statement, alerts, feeds, digest preview, and the timeline's chart."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from veille.domain import TYPES
from veille.web.deps import FilterDep, RowId, SessionDep, SettingsDep, in_calendar
from veille.web.queries import ESCALATION_TYPES, StatementFilter, latest_day, list_statements
from veille.web.queries import statement_detail as find_statement
from veille.web.records import list_alerts, list_feeds, rule_names

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def page_filter(filters: FilterDep) -> StatementFilter:
    """The API's filters, with a day whose neighbours the timeline and its chart can reach."""
    if filters.day is not None and not in_calendar(filters.day):
        raise HTTPException(400, "day must be between 0001-01-03 and 9999-12-29")
    return filters


PageFilter = Annotated[StatementFilter, Depends(page_filter)]


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    context.setdefault("tz", request.app.state.settings.timezone)
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    return response


@router.get("/", response_class=HTMLResponse)
def timeline(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    filters: PageFilter,
    page: PageNo = 1,
) -> HTMLResponse:
    """Statements day by day, newest first, with filters and the escalation chart."""
    from veille.web.queries import facets

    result = list_statements(session, filters, settings.timezone, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    days = [(day, list(rows)) for day, rows in groupby(result.items, key=lambda s: s.day)]
    return _render(
        request,
        "timeline.html",
        active="timeline",
        page=result,
        days=days,
        pageno=page,
        filters=filters,
        params=filters.params(),
        facets=facets(session),
        types=TYPES,
    )


@router.get("/statements/{statement_id}", response_class=HTMLResponse)
def statement_page(
    statement_id: RowId, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """One statement: full sentence, its item, every source that carried it."""
    found = find_statement(session, statement_id, settings.timezone)
    if found is None:
        raise HTTPException(404, "no such statement")
    return _render(request, "statement.html", active="timeline", st=found)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, session: SessionDep, settings: SettingsDep, page: PageNo = 1
) -> HTMLResponse:
    """What fired, for which rule, where it was delivered, every attempt."""
    result = list_alerts(session, settings.timezone, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return _render(
        request,
        "alerts.html",
        active="alerts",
        page=result,
        pageno=page,
        rules=sorted(rule_names(session)),
    )


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Each feed's status, last success, last error, next poll and item count."""
    return _render(request, "feeds.html", active="feeds", feeds=list_feeds(session))


@router.get("/chart.png", response_class=Response)
def chart_png(session: SessionDep, settings: SettingsDep, filters: PageFilter) -> Response:
    """The timeline's escalation chart: 14 days ending on the filtered day or the newest one."""
    from veille.charts import escalation_series, render_png

    tz = settings.timezone
    last = filters.day or latest_day(
        session, StatementFilter(**{**filters.__dict__, "types": ESCALATION_TYPES}), tz
    )
    series = escalation_series(session, filters, tz, last or date.today(), days=14)
    return Response(
        render_png(series), media_type="image/png", headers={"Cache-Control": "no-store"}
    )


@router.get("/digest", response_class=HTMLResponse)
def digest_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    date_: Annotated[str | None, Query(alias="date")] = None,
) -> HTMLResponse:
    """Preview any day's digest as it would be emailed (yesterday by default)."""
    from veille.digest import build_digest, default_day

    try:
        day = date.fromisoformat(date_) if date_ else default_day(settings)
    except ValueError as exc:
        raise HTTPException(400, "date must be YYYY-MM-DD") from exc
    if not in_calendar(day):
        raise HTTPException(400, "date must be between 0001-01-03 and 9999-12-29")
    digest = build_digest(session, day, settings)
    chart_src = None
    if digest.chart_png:
        import base64

        chart_src = "data:image/png;base64," + base64.b64encode(digest.chart_png).decode()
    return _render(
        request,
        "digest.html",
        active="digest",
        d=digest,
        chart_src=chart_src,
        one_day=timedelta(days=1),
    )
