"""The same dispatch in two outlets, one lightly edited: one story, two sources, one extraction."""

from __future__ import annotations

import io
from pathlib import Path

from feedserver import FeedServer, rss_feed
from receivers import WebhookReceiver
from sqlalchemy import func, select

from scheduler.jobs import InProcess, feeds_to_poll, poll_cycle
from veille.models import Alert, Item, StatementRow
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime

ROOT = Path(__file__).resolve().parents[1]
DISPATCH = (ROOT / "seeds" / "founding-dispatch.txt").read_text(encoding="utf-8").strip()
TITLE = "Otan-Russie : Jens Stoltenberg et Olaf Scholz à Berlin"


def _edited(text: str) -> str:
    """A second outlet's light edit: a word changed, a clause trimmed, a paragraph dropped."""
    paragraphs = text.split("\n\n")
    paragraphs = paragraphs[:2] + paragraphs[3:]  # the 'précédente réunion' paragraph dropped
    out = "\n\n".join(paragraphs)
    return out.replace("a-t-il averti à Berlin", "a-t-il averti mardi à Berlin").replace(
        "Sergueï Lavrov", "Sergueï V. Lavrov"
    )


def test_lightly_edited_copy_is_one_story_extracted_once(db_url: str, extractor) -> None:  # type: ignore[no-untyped-def]
    edited = _edited(DISPATCH)
    assert edited != DISPATCH
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/a.xml", body=rss_feed("A", [(TITLE, DISPATCH)], link="https://a.test/"))
        srv.route("/b.xml", body=rss_feed("B", [(TITLE, edited)], link="https://b.test/"))
        settings = Settings(
            database_url=db_url,
            webhook_url=receiver.url,
            feeds=(FeedConfig(srv.url("/a.xml")), FeedConfig(srv.url("/b.xml"))),
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                items = s.scalars(select(Item)).all()
                extracted_items = s.scalar(select(func.count(func.distinct(StatementRow.item_id))))
                n_alerts = s.scalar(select(func.count()).select_from(Alert))
        finally:
            rt.close()
        assert len(items) == 2, "both outlets' items are stored"
        assert items[0].story_id == items[1].story_id, "as one story"
        assert extracted_items == 1, "extracted once"
        assert len(receiver.requests) == n_alerts
        sources = receiver.requests[0].json["data"]["sources"]
        assert {s["feed_url"] for s in sources} == {srv.url("/a.xml"), srv.url("/b.xml")}


def test_different_dispatches_stay_apart(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    other = (
        "Le gouvernement a présenté mercredi un projet de loi sur l'énergie, qui prévoit la "
        "construction de six réacteurs et une baisse des tarifs pour les ménages modestes, a "
        "annoncé la ministre lors d'une conférence de presse à Paris devant les journalistes."
    )
    with FeedServer() as srv:
        srv.route("/a.xml", body=rss_feed("A", [(TITLE, DISPATCH), ("Énergie", other)]))
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}", feeds=(FeedConfig(srv.url("/a.xml")),)
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                stories = {i.story_id for i in s.scalars(select(Item))}
        finally:
            rt.close()
        assert len(stories) == 2
