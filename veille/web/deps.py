"""FastAPI dependencies shared by the pages and the API: a session, the settings, the filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
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


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def statement_filter(
    speaker: Annotated[str | None, Query(description="Speaker actor, e.g. NATO.")] = None,
    target: Annotated[str | None, Query(description="Target actor, e.g. RUS.")] = None,
    type: Annotated[str | None, Query(description=f"One of {', '.join(TYPES)}.")] = None,
    feed: Annotated[str | None, Query(description="Feed id.")] = None,
    q: Annotated[str | None, Query(description="Text in the sentence, speaker or title.")] = None,
    day: Annotated[str | None, Query(description="Local day, YYYY-MM-DD.")] = None,
) -> StatementFilter:
    """Filters from the query string; blank form fields mean 'any', bad values are a 400."""
    feed_id: int | None = None
    if _blank(feed):
        try:
            feed_id = int(str(feed))
        except ValueError as exc:
            raise HTTPException(400, "feed must be a feed id") from exc
    day_value: date | None = None
    if _blank(day):
        try:
            day_value = date.fromisoformat(str(day).strip())
        except ValueError as exc:
            raise HTTPException(400, "day must be YYYY-MM-DD") from exc
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
Offset = Annotated[int, Query(ge=0, description="Rows to skip.")]
