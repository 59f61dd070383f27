"""Atom feeds of alerts (all, or one rule's), so any feed reader can follow what fired."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from sqlalchemy import select

from veille.models import Rule
from veille.web.deps import SessionDep, SettingsDep
from veille.web.records import list_alerts, rule_names
from veille.web.schemas import AlertView
from worker.delivery import clean_line

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 100

router = APIRouter(tags=["feeds"])
RuleName = Annotated[str, Path(description="A rule's name.", examples=["default"])]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = clean_line(text)
    return el


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def alert_title(alert: AlertView) -> str:
    """``WARNING: Jens Stoltenberg (NATO) → RUS`` — what fired, by whom, at whom."""
    st = alert.statement
    who = (
        " ".join(
            p for p in (st.speaker or "", f"({st.speaker_actor})" if st.speaker_actor else "") if p
        )
        or "?"
    )
    return f"{st.type.upper()}: {who} → {', '.join(st.targets) or '?'}"


def render_atom(alerts: list[AlertView], title: str, self_url: str, base_url: str) -> bytes:
    """An Atom 1.0 document; feed text is cleaned of control characters and escaped by XML."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", f"{base_url}{self_url}")
    _sub(feed, "title", title)
    newest = max((a.created_at for a in alerts), default=datetime.now(UTC))
    _sub(feed, "updated", _stamp(newest))
    _sub(feed, "link", rel="self", href=f"{base_url}{self_url}", type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=f"{base_url}/alerts", type="text/html")
    author = _sub(feed, "author")
    _sub(author, "name", "Veille")
    _sub(feed, "generator", "Veille")
    for alert in alerts:
        st = alert.statement
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:veille:alert:{quote(alert.id, safe='')}")
        _sub(entry, "title", alert_title(alert))
        _sub(entry, "updated", _stamp(alert.created_at))
        _sub(entry, "published", _stamp(alert.created_at))
        _sub(
            entry, "link", rel="alternate", type="text/html", href=f"{base_url}/statements/{st.id}"
        )
        if st.item.href:
            _sub(entry, "link", rel="related", type="text/html", href=st.item.href)
        _sub(entry, "category", term=alert.rule, label=f"rule {alert.rule}")
        source = clean_line(st.item.title) or "(untitled)"
        _sub(entry, "summary", f"{st.sentence} — {source}", type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def base_url_of(request: Request) -> str:
    """The app's own address as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


@router.get(
    "/alerts.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def alerts_atom(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The latest alerts of every rule as an Atom feed."""
    page = list_alerts(session, settings.timezone, ENTRIES)
    body = render_atom(page.items, "Veille alerts", "/alerts.atom", base_url_of(request))
    return Response(body, media_type=ATOM_TYPE)


@router.get(
    "/rules/{name}/alerts.atom",
    response_class=Response,
    responses={
        200: {"content": {"application/atom+xml": {}}},
        404: {"description": "No such rule"},
    },
)
def rule_alerts_atom(
    name: RuleName, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The latest alerts of one rule as an Atom feed."""
    known = rule_names(session) | {"default"}
    known |= {str(r.get("name")) for r in settings.rules if r.get("name")}
    known |= set(session.scalars(select(Rule.name)))
    if name not in known:
        raise HTTPException(404, "no such rule")
    page = list_alerts(session, settings.timezone, ENTRIES, rule=name)
    path = f"/rules/{quote(name, safe='')}/alerts.atom"
    body = render_atom(page.items, f"Veille alerts: rule {name}", path, base_url_of(request))
    return Response(body, media_type=ATOM_TYPE)
