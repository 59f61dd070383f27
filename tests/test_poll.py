"""Polling as operators see it: stored URLs follow permanent moves, 410 disables with a reason,
failures back off and are retried, HTML pages get a clear error, `veille feeds` reports it all.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer, Route, html_page, rss_feed
from sqlalchemy import select

from scheduler.jobs import feeds_to_poll, poll_cycle
from veille.cli import main
from veille.models import Feed, Item, utcnow
from veille.settings import FeedConfig, Settings
from worker.context import Runtime, build_runtime

FEED = rss_feed("Fil", [("Titre un", "Résumé un"), ("Titre deux", "Résumé deux")])


class Collect:
    """The dispatch boundary, recording the item ids a cycle hands over."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def items(self, item_ids: Sequence[int]) -> None:
        self.ids.extend(item_ids)

    def deliveries(self) -> None:
        pass


def _runtime(db: str, *urls: str) -> Runtime:
    settings = Settings(database_url=db, feeds=tuple(FeedConfig(u) for u in urls))
    return build_runtime(settings, stream=io.StringIO())


def _feed(rt: Runtime) -> Feed:
    with rt.sessions() as s:
        return s.scalars(select(Feed)).one()


def test_new_items_once_then_conditional_get(db_url: str) -> None:
    with FeedServer() as srv:
        srv.route("/f.xml", body=FEED, etag='"a"')
        rt = _runtime(db_url, srv.url("/f.xml"))
        try:
            d = Collect()
            poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
            assert len(d.ids) == 2
            poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
            assert len(d.ids) == 2
            assert srv.requests_for("/f.xml")[-1].headers.get("if-none-match") == '"a"'
            assert srv.requests_for("/f.xml")[-1].status == 304
            feed = _feed(rt)
            assert feed.status == "ok" and feed.last_success and feed.next_poll_at
            with rt.sessions() as s:
                assert s.scalars(select(Item.title).order_by(Item.id)).all() == [
                    "Titre un",
                    "Titre deux",
                ]
        finally:
            rt.close()


def test_permanent_redirect_updates_url_temporary_does_not(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.route("/new.xml", body=FEED)
        srv.redirect("/moved.xml", "/new.xml", status=301)
        srv.redirect("/tmp.xml", "/new.xml", status=302)
        rt = _runtime(f"sqlite:///{tmp_path / 'a.db'}", srv.url("/moved.xml"))
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            assert _feed(rt).url == srv.url("/new.xml")
        finally:
            rt.close()
        rt = _runtime(f"sqlite:///{tmp_path / 'b.db'}", srv.url("/tmp.xml"))
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            assert _feed(rt).url == srv.url("/tmp.xml")
        finally:
            rt.close()


def test_gone_disables_the_feed_and_says_why(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.route("/gone.xml", status=410)
        rt = _runtime(f"sqlite:///{tmp_path / 'v.db'}", srv.url("/gone.xml"))
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            feed = _feed(rt)
            assert feed.status == "disabled" and "410" in (feed.disabled_reason or "")
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            assert len(srv.requests_for("/gone.xml")) == 1, "a disabled feed is not polled"
        finally:
            rt.close()


def test_failures_back_off_and_are_always_retried(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.sequence(
            "/flaky.xml",
            [Route(status=503, retry_after=120), Route(status=500), Route(body=FEED)],
        )
        rt = _runtime(f"sqlite:///{tmp_path / 'v.db'}", srv.url("/flaky.xml"))
        try:
            start = utcnow()
            poll_cycle(rt, Collect(), feeds_to_poll(rt))
            feed = _feed(rt)
            assert feed.status == "failing" and feed.consecutive_failures == 1
            assert "503" in (feed.last_error or "")
            assert feed.next_poll_at and feed.next_poll_at >= start + timedelta(seconds=119)
            poll_cycle(rt, Collect(), feeds_to_poll(rt))  # not due yet: nothing fetched
            assert len(srv.requests_for("/flaky.xml")) == 1
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            assert _feed(rt).consecutive_failures == 2
            d = Collect()
            poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
            feed = _feed(rt)
            assert feed.status == "ok" and feed.consecutive_failures == 0 and len(d.ids) == 2
        finally:
            rt.close()


def test_html_page_gets_clear_error_and_suggestion(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.route("/page", body=html_page(alternate="/rss.xml"), content_type="text/html")
        rt = _runtime(f"sqlite:///{tmp_path / 'v.db'}", srv.url("/page"))
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            error = _feed(rt).last_error or ""
        finally:
            rt.close()
        assert "served an HTML page, not a feed" in error
        assert srv.url("/rss.xml") in error


@pytest.mark.parametrize("fmt", ["json"])
def test_feeds_commands(tmp_path: Path, fmt: str) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    runner = CliRunner()
    with FeedServer() as srv:
        srv.route("/f.xml", body=FEED)
        assert runner.invoke(main, ["feeds", "add", srv.url("/f.xml"), "--db", db]).exit_code == 0
        rt = build_runtime(Settings(database_url=db, feeds=()), stream=io.StringIO())
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
        finally:
            rt.close()
    out = runner.invoke(main, ["feeds", "list", "--format", fmt, "--db", db])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)
    assert row["url"] == srv.url("/f.xml") and row["status"] == "ok" and row["items"] == 2
    for key in ("title", "last_success", "last_error", "consecutive_failures", "next_poll_at"):
        assert key in row
    opml = runner.invoke(main, ["feeds", "export-opml", "--db", db]).output
    assert srv.url("/f.xml") in opml
    path = tmp_path / "feeds.opml"
    path.write_text(opml.replace(srv.url("/f.xml"), "https://exemple.test/rss.xml"))
    other = f"sqlite:///{tmp_path / 'w.db'}"
    assert (
        "imported 1"
        in runner.invoke(main, ["feeds", "import-opml", str(path), "--db", other]).output
    )
    assert runner.invoke(main, ["feeds", "remove", srv.url("/f.xml"), "--db", db]).exit_code == 0
    assert (
        json.loads(runner.invoke(main, ["feeds", "list", "--format", "json", "--db", db]).output)
        == []
    )


ARTICLE = """<!doctype html><html lang="fr"><head><title>Le conseil se réunit</title></head>
<body><nav><a href="/">Accueil</a> <a href="/monde">Monde</a></nav>
<article><h1>Le conseil se réunit à Vilnius</h1>
<p>Le ministre lituanien de la Défense a exigé mardi que les alliés renforcent sans délai
la défense aérienne du pays, lors d'une réunion tenue dans la capitale balte.</p>
<p>« Nous ne pouvons plus attendre », a-t-il déclaré devant la presse, en rappelant que les
exercices militaires se multiplient de l'autre côté de la frontière depuis plusieurs mois.</p>
<p>Les diplomates présents ont indiqué que la discussion se poursuivrait la semaine prochaine
à Bruxelles, où les ministres doivent examiner les propositions de la Commission.</p>
</article><footer>Tous droits réservés</footer></body></html>"""


def test_fulltext_feed_stores_the_article_text(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.route("/article/1", body=ARTICLE, content_type="text/html; charset=utf-8")
        item = {
            "title": "Le conseil se réunit",
            "description": "Un court chapeau.",
            "link": srv.url("/article/1"),
            "guid": "a1",
        }
        srv.route("/f.xml", body=rss_feed("Fil", [item]))
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}",
            feeds=(FeedConfig(srv.url("/f.xml"), fulltext=True),),
            fetch_allow_networks=("127.0.0.0/8",),  # the article is on this machine
        )
        rt = build_runtime(settings, stream=io.StringIO())
        try:
            poll_cycle(rt, Collect(), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                stored = s.scalars(select(Item)).one()
        finally:
            rt.close()
        assert stored.summary == "Un court chapeau."
        assert stored.body and "défense aérienne" in stored.body
        assert "Tous droits réservés" not in stored.body, "boilerplate is left out"


def test_a_feed_without_validators_stores_only_its_new_entries(db_url: str) -> None:
    def body(ids: list[int]) -> bytes:
        return rss_feed("Fil", [{"title": f"Titre {i}", "guid": f"urn:t:{i}"} for i in ids])

    with FeedServer() as srv:
        srv.route("/f.xml", body=body([2, 1]))  # no ETag, no Last-Modified: 200 every time
        rt = _runtime(db_url, srv.url("/f.xml"))
        try:
            d = Collect()
            poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
            assert len(d.ids) == 2 and len((_feed(rt).entry_digests or "").split()) == 2
            srv.update("/f.xml", body=body([3, 2, 1]))
            poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                titles = s.scalars(select(Item.title).order_by(Item.id)).all()
            assert titles == ["Titre 2", "Titre 1", "Titre 3"] and len(d.ids) == 3
            feed = _feed(rt)
            assert feed.status == "ok" and feed.last_warning is None
            assert len((feed.entry_digests or "").split()) == 3
        finally:
            rt.close()


def test_a_malformed_feed_keeps_its_warning_on_every_poll(tmp_path: Path) -> None:
    broken = FEED.replace(b"</item>", b"<oops></item>", 1)  # an unclosed element in an entry
    with FeedServer() as srv:
        srv.route("/f.xml", body=broken)
        rt = _runtime(f"sqlite:///{tmp_path / 'a.db'}", srv.url("/f.xml"))
        try:
            for _ in range(2):
                d = Collect()
                poll_cycle(rt, d, feeds_to_poll(rt), only_due=False)
                feed = _feed(rt)
                assert feed.status == "ok" and "malformed" in (feed.last_warning or "")
            with rt.sessions() as s:
                assert len(s.scalars(select(Item)).all()) == 2
        finally:
            rt.close()


@pytest.mark.processes
def test_poll_once_waits_for_retry_after_unless_forced(tmp_path: Path) -> None:
    """A publisher that answered 429 + Retry-After is not fetched by the next cron run."""
    import subprocess
    import sys

    with FeedServer() as srv:
        srv.route("/busy.xml", status=429, retry_after=3600, body=b"slow down")
        cmd = [sys.executable, "-m", "veille", "poll", "--once", "--feed", srv.url("/busy.xml"),
               "--db", f"sqlite:///{tmp_path / 'v.db'}"]  # fmt: skip
        for extra, fetches in (([], 1), ([], 1), (["--force"], 2)):
            out = subprocess.run(cmd + extra, capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, out.stderr
            assert len(srv.requests_for("/busy.xml")) == fetches, (extra, out.stderr)
        assert "skipping" in subprocess.run(cmd, capture_output=True, text=True, timeout=120).stderr
