"""A poison item: tried `item_attempts` times, then set aside with its reason, shown by
`veille items failed`, `veille feeds list` and the feeds page, and tried again on `items retry`;
the rest of its batch is processed as usual, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from browser import served
from click.testing import CliRunner
from feedserver import FeedServer, rss_feed
from hugetext import EARLY, LATE
from sqlalchemy import select

from scheduler.jobs import InProcess, feeds_to_poll, poll_cycle
from veille.cli import main
from veille.domain import Statement
from veille.models import Item, StatementRow
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime

POISON = "Le texte que l'extracteur ne sait pas lire."


class Fragile:
    """The session's real extractor, failing mid-batch on one text as an extractor bug would
    (since long texts are read in parts, no real input is known to make it fail)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.broken = True
        self.seen: list[str] = []

    def extract(self, text: str, published: date | None = None) -> list[Statement]:
        return next(iter(self.extract_many([(text, published)])))

    def extract_many(
        self, items: Iterable[tuple[str, date | None]], batch_size: int = 32
    ) -> Iterator[list[Statement]]:
        items = list(items)
        self.seen.extend(t for t, _ in items)
        for (text, _), found in zip(items, self.inner.extract_many(items, batch_size), strict=True):
            if self.broken and POISON in text:
                raise ValueError("the extractor choked on this text")
            yield found


def _item(rt: Any, title: str) -> Item:
    with rt.sessions() as s:
        item = s.scalar(select(Item).where(Item.title == title))
        assert item is not None
        return item


def test_poison_item_is_set_aside_after_its_attempts_then_retried(
    db_url: str, extractor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    runner = CliRunner()
    with FeedServer() as srv:
        feed = rss_feed("Dépêches", [("Lavrov", EARLY), ("Poison", POISON), ("Otan", LATE)])
        srv.route("/afp.xml", body=feed)
        settings = Settings(
            database_url=db_url, feeds=(FeedConfig(srv.url("/afp.xml")),), item_attempts=3
        )
        fragile = Fragile(extractor)
        rt = build_runtime(settings, stream=io.StringIO(), extractor=fragile)
        try:
            caplog.set_level(logging.WARNING)
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            poison = _item(rt, "Poison")
            assert (poison.attempts, poison.failed_at) == (1, None)
            assert "the extractor choked" in (poison.error or "")
            for title in ("Lavrov", "Otan"):  # the rest of the batch is processed
                assert _item(rt, title).processed_at is not None
            with rt.sessions() as s:
                speakers = set(s.scalars(select(StatementRow.speaker)))
            assert {"Sergueï Lavrov", "Jens Stoltenberg"} <= speakers

            InProcess(rt).items([])  # the embedded loop's next cycles
            InProcess(rt).items([])
            poison = _item(rt, "Poison")
            assert poison.attempts == 3 and poison.failed_at is not None and not poison.processed_at
            mine = [r for r in caplog.records if f"item {poison.id} " in r.getMessage()]
            assert len(mine) == 3, "one log line per failed attempt"
            assert not any(r.exc_info for r in caplog.records), "no traceback"
            assert "set aside" in mine[-1].getMessage()

            before = len(fragile.seen)
            InProcess(rt).items([])
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            assert not any(POISON in t for t in fragile.seen[before:]), "not tried until asked"
            assert _item(rt, "Poison").attempts == 3

            listed = runner.invoke(main, ["items", "failed", "--db", db_url])
            assert listed.exit_code == 0, listed.output
            assert str(poison.id) in listed.output and srv.url("/afp.xml") in listed.output
            assert "3 attempts" in listed.output
            assert "ValueError: the extractor choked on this text" in listed.output
            as_json = json.loads(
                runner.invoke(main, ["items", "failed", "--format", "json", "--db", db_url]).output
            )
            assert [(r["id"], r["attempts"]) for r in as_json] == [(poison.id, 3)]
            feeds = runner.invoke(main, ["feeds", "list", "--db", db_url])
            assert "3 items  1 failed" in feeds.output, feeds.output
            rows = json.loads(
                runner.invoke(main, ["feeds", "list", "--format", "json", "--db", db_url]).output
            )
            assert rows[0]["failed_items"] == 1
            with served(settings, rt.sessions) as handle:
                page = httpx.get(handle.url + "/feeds", headers={"accept": "text/html"})
                api = httpx.get(handle.url + "/api/feeds").json()
            assert "1 failed" in page.text and api[0]["failed_items"] == 1

            missing = runner.invoke(main, ["items", "retry", "999999", "--db", db_url])
            assert missing.exit_code == 1 and "no failed item with id 999999" in missing.output
            retried = runner.invoke(main, ["items", "retry", str(poison.id), "--db", db_url])
            assert retried.exit_code == 0 and "1 item will be extracted again" in retried.output
            assert _item(rt, "Poison").attempts == 0
            fragile.broken = False  # the extractor was fixed
            InProcess(rt).items([])
            assert _item(rt, "Poison").processed_at is not None
            none = runner.invoke(main, ["items", "failed", "--db", db_url])
            assert none.exit_code == 0 and "no failed item" in none.output
        finally:
            rt.close()


def test_retry_all_and_bad_arguments(tmp_path: Any, extractor: Any) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    with FeedServer() as srv:
        srv.route("/a.xml", body=rss_feed("A", [("P1", POISON + " 1"), ("P2", POISON + " 2")]))
        settings = Settings(
            database_url=db, feeds=(FeedConfig(srv.url("/a.xml")),), item_attempts=1
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=Fragile(extractor))
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            assert all(_item(rt, t).failed_at is not None for t in ("P1", "P2"))
        finally:
            rt.close()
    runner = CliRunner()
    both = runner.invoke(main, ["items", "retry", "1", "--all", "--db", db])
    assert both.exit_code == 2 and "not both" in both.output
    every = runner.invoke(main, ["items", "retry", "--all", "--db", db])
    assert every.exit_code == 0 and "2 items will be extracted again" in every.output
    again = runner.invoke(main, ["items", "retry", "--all", "--db", db])
    assert again.exit_code == 0 and "no failed item" in again.output
