"""FastAPI dependencies shared by the pages and the API: a session, the settings, the filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from veille.domain import TYPES
from veille.settings import Settings
from veille.web.queries import StatementFilter


def get_session(request: Request) -> Iterator[Session]:
    """A read session per request, closed afterwards."""
    with request.app.state.sessions() as session:
        yield session


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


MAX_ID = 2**63 - 1  # ids are 64-bit signed integers in both databases
MAX_OFFSET = 10**9
MAX_Q = 500


def in_calendar(day: date) -> bool:
    """A day whose neighbours (a time zone's shift, the next day) are still dates."""
    return date.min + timedelta(days=1) < day < date.max - timedelta(days=1)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def statement_filter(
    speaker: Annotated[str | None, Query(description="Speaker actor, e.g. NATO.")] = None,
    target: Annotated[str | None, Query(description="Target actor, e.g. RUS.")] = None,
    type: Annotated[str | None, Query(description=f"One of {', '.join(TYPES)}.")] = None,
    feed: Annotated[
        str | None,
        Query(
            description="Feed id (digits; blank for any).", pattern=r"^\s*\d*\s*$", max_length=24
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(description="Text in the sentence, speaker or title.", max_length=MAX_Q),
    ] = None,
    day: Annotated[
        str | None, Query(description="Local day, YYYY-MM-DD (0001-01-03 to 9999-12-29).")
    ] = None,
) -> StatementFilter:
    """Filters from the query string; blank form fields mean 'any', bad values are a 400."""
    feed_id: int | None = None
    if _blank(feed):
        try:
            feed_id = int(str(feed))
        except ValueError as exc:
            raise HTTPException(400, "feed must be a feed id") from exc
        if not 0 <= feed_id <= MAX_ID:
            raise HTTPException(400, "feed must be a feed id")
    day_value: date | None = None
    if _blank(day):
        try:
            day_value = date.fromisoformat(str(day).strip())
        except ValueError as exc:
            raise HTTPException(400, "day must be YYYY-MM-DD") from exc
        if not in_calendar(day_value):
            raise HTTPException(400, "day must be between 0001-01-03 and 9999-12-29")
    kind = _blank(type)
    if kind is not None and kind not in TYPES:
        raise HTTPException(400, f"type must be one of {', '.join(TYPES)}")
    return StatementFilter(
        speaker=_blank(speaker),
        target=_blank(target),
        type=kind,
        feed=feed_id,
        q=_blank(q),
        day=day_value,
    )


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FilterDep = Annotated[StatementFilter, Depends(statement_filter)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id.")]

# what a filter may not do: each gets a clear 400 or 422, never an overflow in SQL (a 500)
BAD_FILTER: dict[int | str, dict[str, Any]] = {
    400: {"description": "A filter value that is not valid (type, feed, day)"}
}
