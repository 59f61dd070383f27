"""FastAPI dependencies shared by the pages and the API: a session, the settings, the filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Path, Query, Request
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

# What each filter accepts, said once for the server and the OpenAPI document alike. Blank
# means 'any' (an empty form field); whitespace around a value is ignored. The classes are
# spelled out so the server's regex engine and a client's JSON Schema validator agree.
_WS = r"[ \t\n\r\x0b\x0c]*"
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_DAY = (
    r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29"
)
DAY_PATTERN = rf"^{_WS}(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})?{_WS}$"
FEED_PATTERN = rf"^{_WS}(?:[0-9]{{1,18}})?{_WS}$"  # 18 digits always fit in 64 bits
TYPE_PATTERN = rf"^{_WS}(?:{'|'.join(TYPES)})?{_WS}$"


def in_calendar(day: date) -> bool:
    """A day whose neighbours (a time zone's shift, the next day) are still dates."""
    return date.min + timedelta(days=1) < day < date.max - timedelta(days=1)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def statement_filter(
    speaker: Annotated[str | None, Query(description="Speaker actor, e.g. NATO.")] = None,
    target: Annotated[str | None, Query(description="Target actor, e.g. RUS.")] = None,
    type: Annotated[
        str | None,
        Query(description=f"One of {', '.join(TYPES)}; blank for any.", pattern=TYPE_PATTERN),
    ] = None,
    feed: Annotated[
        str | None,
        Query(description="Feed id (digits; blank for any).", pattern=FEED_PATTERN, max_length=24),
    ] = None,
    q: Annotated[
        str | None,
        Query(description="Text in the sentence, speaker or title.", max_length=MAX_Q),
    ] = None,
    day: Annotated[
        str | None,
        Query(
            description="Local publication day, YYYY-MM-DD (any calendar date); blank for any.",
            pattern=DAY_PATTERN,
            max_length=40,
        ),
    ] = None,
) -> StatementFilter:
    """Filters from the query string, as the OpenAPI document describes them (else a 422)."""
    # the patterns above already held (FastAPI answered 422 otherwise): these cannot fail
    feed_value = _blank(feed)
    day_value = _blank(day)
    return StatementFilter(
        speaker=_blank(speaker),
        target=_blank(target),
        type=_blank(type),
        feed=int(feed_value) if feed_value else None,
        q=_blank(q),
        day=date.fromisoformat(day_value) if day_value else None,
    )


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FilterDep = Annotated[StatementFilter, Depends(statement_filter)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id.")]
