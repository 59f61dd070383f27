"""The web app over HTTP on 127.0.0.1, after the founding dispatch went through the real
pipeline, on SQLite and PostgreSQL: pages, filters, JSON API, OpenAPI, Atom, escaping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import feedparser
import httpx
import pytest
from browser import HOSTILE_LINK, process_wire, served, sessions_for
from conftest import POSTGRES_URL, require_service, reset_postgres

from veille.web.security import CSP

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, extractor: Any
) -> Iterator[httpx.Client]:
    """The processed wire served by the app; an HTTP client on its base URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    else:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    settings = process_wire(url, extractor)
    sessions = sessions_for(url)
    with served(settings, sessions) as handle, httpx.Client(base_url=handle.url) as client:
        yield client
    sessions.kw["bind"].dispose()


def _warning(client: httpx.Client) -> dict[str, Any]:
    found = client.get(
        "/api/statements", params={"speaker": "NATO", "target": "RUS", "type": "warning"}
    ).json()["items"]
    warnings = [s for s in found if "prix fort" in s["sentence"] and s["speaker"]]
    assert warnings, found
    return warnings[-1]


def test_timeline_shows_the_founding_dispatch(site: httpx.Client) -> None:
    page = site.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    body = page.text
    assert "Tuesday 18 January 2022" in body
    assert "Jens Stoltenberg" in body and "prix fort" in body
    assert "Otan-Russie : Jens Stoltenberg et Olaf Scholz à Berlin" in body
    assert '<img src="/chart.png"' in body
    chart = site.get("/chart.png")
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"


def test_filters_narrow_the_timeline_and_the_api(site: httpx.Client) -> None:
    warning = _warning(site)
    assert warning["speaker"] == "Jens Stoltenberg" and warning["day"] == "2022-01-18"
    everything = site.get("/api/statements", params={"limit": 500}).json()
    assert everything["total"] >= 8
    only_rus = site.get("/api/statements", params={"speaker": "RUS", "limit": 500}).json()
    assert only_rus["items"] and {s["speaker_actor"] for s in only_rus["items"]} == {"RUS"}
    text = site.get("/api/statements", params={"q": "PRIX FORT"}).json()
    assert text["items"] and all("prix fort" in s["sentence"] for s in text["items"])
    assert site.get("/api/statements", params={"day": "2022-01-19"}).json()["total"] == 0
    assert (
        site.get("/api/statements", params={"day": "2022-01-18"}).json()["total"]
        == (everything["total"])
    )
    feed_id = warning["item"]["feed_id"]
    assert (
        site.get("/api/statements", params={"feed": feed_id}).json()["total"]
        == (everything["total"])
    )
    paged = site.get("/api/statements", params={"limit": 2, "offset": 2}).json()
    assert [s["id"] for s in paged["items"]] == [s["id"] for s in everything["items"][2:4]]
    html = site.get("/", params={"type": "warning", "speaker": "NATO"}, headers=HTML).text
    assert "prix fort" in html and "Sergueï Lavrov" not in html
    assert site.get("/api/statements", params={"type": "nonsense"}).status_code == 422


def test_statement_page_lists_every_source(site: httpx.Client) -> None:
    warning = _warning(site)
    detail = site.get(f"/api/statements/{warning['id']}").json()
    assert detail["sources"] and detail["alert_ids"]
    page = site.get(f"/statements/{warning['id']}", headers=HTML)
    assert page.status_code == 200
    assert warning["sentence"].split('"')[1][:40] in page.text
    for source in detail["sources"]:
        if source["href"]:
            assert f'href="{source["href"]}"' in page.text
    assert site.get("/statements/999999", headers=HTML).status_code == 404
    assert site.get("/api/statements/999999").status_code == 404


def test_alerts_feeds_and_clusters(site: httpx.Client) -> None:
    alerts = site.get("/api/alerts").json()
    assert alerts["total"] >= 2
    for alert in alerts["items"]:
        assert alert["statement"]["type"] in {"warning", "demand"}
        [console] = [d for d in alert["deliveries"] if d["channel"] == "console"]
        assert console["status"] == "sent" and console["tries"][0]["ok"] is True
    page = site.get("/alerts", headers=HTML).text
    assert "default" in page and "console" in page and "sent" in page
    feeds = site.get("/api/feeds").json()
    assert len(feeds) == 1 and feeds[0]["items"] == 2 and feeds[0]["status"] == "ok"
    assert feeds[0]["last_success"] is not None
    page = site.get("/feeds", headers=HTML).text
    assert "Veille demo wire" in page
    clusters = site.get("/api/clusters").json()
    assert clusters["total"] >= 1
    one = site.get(f"/api/clusters/{clusters['items'][0]['id']}").json()
    assert one["statement_ids"] and one["sources"]


def test_atom_feeds_parse_cleanly(site: httpx.Client) -> None:
    alerts = site.get("/api/alerts", params={"limit": 500}).json()
    body = site.get("/alerts.atom")
    assert body.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(body.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert len(feed.entries) == alerts["total"]
    assert {e.id for e in feed.entries} == {f"urn:veille:alert:{a['id']}" for a in alerts["items"]}
    assert any("Stoltenberg" in e.title and "WARNING" in e.title for e in feed.entries)
    rule = feedparser.parse(site.get("/rules/default/alerts.atom").content)
    assert rule.bozo == 0 and len(rule.entries) == alerts["total"]
    assert site.get("/rules/nope/alerts.atom").status_code == 404


def test_openapi_document_is_valid(site: httpx.Client) -> None:
    from openapi_spec_validator import validate

    spec = site.get("/openapi.json").json()
    validate(spec)
    for path in ("/api/statements", "/api/clusters", "/api/alerts", "/api/feeds"):
        assert path in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/statements"]["get"]["parameters"]}
    assert {"speaker", "target", "type", "feed", "q", "day", "limit", "offset"} <= params


def test_feed_markup_is_shown_as_text(site: httpx.Client) -> None:
    hostile = site.get("/api/statements", params={"q": "<script>"}).json()["items"]
    assert hostile, "the hostile item gave a statement"
    assert hostile[0]["item"]["url"] == HOSTILE_LINK and hostile[0]["item"]["href"] is None
    for path in ("/", f"/statements/{hostile[0]['id']}", "/alerts", "/digest?date=2022-01-18"):
        body = site.get(path, headers=HTML).text
        assert "&lt;script&gt;" in body, path
        assert "<script" not in body and "<img src=x" not in body, path
        assert 'href="javascript' not in body.lower(), path
    assert "<script" not in site.get("/alerts.atom").text


def test_static_and_unknown_paths(site: httpx.Client) -> None:
    css = site.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-security-policy"] == CSP
    assert site.get("/nowhere", headers=HTML).status_code == 404
    assert site.get("/api/nowhere").json() == {"detail": "Not Found"}
