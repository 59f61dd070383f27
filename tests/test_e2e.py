"""The whole loop: a feed on 127.0.0.1 carrying the founding dispatch, statements stored, alerts
POSTed to a real webhook receiver — embedded, through the CLI, and scaled out on Celery + Redis.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from feedserver import FeedServer
from receivers import WebhookReceiver
from sqlalchemy import func, select

from scheduler.jobs import InProcess, ViaCelery, feeds_to_poll, poll_cycle
from veille.models import Alert, Delivery, Item, StatementRow
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime
from worker.pipeline import process_item

ROOT = Path(__file__).resolve().parents[1]
DEMO_FEED = (ROOT / "seeds" / "demo-feed.xml").read_bytes()


def _stoltenberg_warning(posts: list[dict]) -> list[dict]:
    return [
        p
        for p in posts
        if p["data"]["statement"]["type"] == "warning"
        and p["data"]["statement"]["speaker_actor"] == "NATO"
        and "RUS" in p["data"]["statement"]["targets"]
    ]


def _check_founding_alerts(receiver: WebhookReceiver) -> list[dict]:
    posts = [r.json for r in receiver.requests]
    assert all(p["type"] == "alert.created" for p in posts)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)), "an alert was delivered twice"
    assert [p["data"]["alert_id"] for p in posts] == ids
    warnings = _stoltenberg_warning(posts)
    assert len(warnings) == 1, posts
    st = warnings[0]["data"]["statement"]
    assert "prix fort" in st["sentence"]
    assert st["speaker"] == "Jens Stoltenberg"
    assert warnings[0]["data"]["item"]["title"].startswith("Otan-Russie")
    demands = [p["data"]["statement"] for p in posts if p["data"]["statement"]["type"] == "demand"]
    speakers = {d["speaker_actor"] for d in demands}
    assert {"RUS", "NATO"} <= speakers, demands
    assert all(p["data"]["statement"]["type"] in {"warning", "demand"} for p in posts), (
        "only warnings and demands alert by default"
    )
    return posts


def test_embedded_loop_alerts_once(db_url: str, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/wire.xml", body=DEMO_FEED, etag='"v1"')
        console = io.StringIO()
        settings = Settings(
            database_url=db_url,
            feeds=(FeedConfig(srv.url("/wire.xml")),),
            webhook_url=receiver.url,
        )
        rt = build_runtime(settings, stream=console, extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            posts = _check_founding_alerts(receiver)
            assert "WARNING" in console.getvalue() and "Jens Stoltenberg" in console.getvalue()
            with rt.sessions() as s:
                n_statements = s.scalar(select(func.count()).select_from(StatementRow))
                n_alerts = s.scalar(select(func.count()).select_from(Alert))
                item_id = s.scalar(select(Item.id))
                sent = s.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                )
            assert n_statements >= 8
            assert n_alerts == len(posts)
            assert sent == 2 * n_alerts  # console and webhook

            # Second poll: the server answers 304; nothing new anywhere.
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            assert srv.requests_for("/wire.xml")[-1].status == 304
            # Third poll: the same items again without validators.
            srv.update("/wire.xml", etag=None)
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            assert srv.requests_for("/wire.xml")[-1].status == 200
            # Processing the item again (a duplicated task) stores and alerts nothing.
            again = process_item(rt.pipeline(), item_id)
            assert again.skipped == "already processed"
            assert len(receiver.requests) == len(posts)
            with rt.sessions() as s:
                assert s.scalar(select(func.count()).select_from(StatementRow)) == n_statements
                assert s.scalar(select(func.count()).select_from(Alert)) == n_alerts
        finally:
            rt.close()


def test_unreachable_feed_is_reported_and_others_go_on(tmp_path, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/wire.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}",
            feeds=(FeedConfig("http://127.0.0.1:9/nothing.xml"), FeedConfig(srv.url("/wire.xml"))),
            webhook_url=receiver.url,
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            outcomes = poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
        finally:
            rt.close()
        errors = {o.feed_url: o.error for o in outcomes}
        assert errors["http://127.0.0.1:9/nothing.xml"], "the failure has a reason"
        assert errors[srv.url("/wire.xml")] is None
        assert _stoltenberg_warning([r.json for r in receiver.requests])


@pytest.mark.processes
def test_cli_poll_once(tmp_path: Path) -> None:
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/wire.xml", body=DEMO_FEED, etag='"v1"')
        cmd = [
            sys.executable,
            "-m",
            "veille",
            "poll",
            "--once",
            "--feed",
            srv.url("/wire.xml"),
            "--webhook",
            receiver.url,
            "--db",
            f"sqlite:///{tmp_path / 'cli.db'}",
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "WARNING" in out.stdout and "Jens Stoltenberg (NATO)" in out.stdout
        _check_founding_alerts(receiver)
        first = len(receiver.requests)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert len(receiver.requests) == first


@pytest.mark.processes
@pytest.mark.redis
@pytest.mark.postgres
def test_scaled_out_on_celery_redis_postgres(redis_url: str, postgres_url: str) -> None:
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/wire.xml", body=DEMO_FEED, etag='"v1"')
        env = dict(
            os.environ,
            VEILLE_BROKER_URL=redis_url,
            VEILLE_DATABASE_URL=postgres_url,
            VEILLE_WEBHOOK_URL=receiver.url,
            VEILLE_WORKER_CONCURRENCY="1",
        )
        settings = Settings(
            database_url=postgres_url,
            broker_url=redis_url,
            feeds=(FeedConfig(srv.url("/wire.xml")),),
            webhook_url=receiver.url,
            fetch_allow_networks=("127.0.0.0/8",),  # scaled out: the feed is on loopback
        )
        rt = build_runtime(settings, stream=io.StringIO())
        worker = subprocess.Popen(
            [sys.executable, "-m", "veille", "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            from worker.tasks import configure

            configure(settings)
            poll_cycle(rt, ViaCelery(rt.sessions), feeds_to_poll(rt), only_due=False)
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not _stoltenberg_warning(
                [r.json for r in receiver.requests]
            ):
                assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
                time.sleep(0.5)
            # Wait until every recorded alert has arrived.
            while time.monotonic() < deadline:
                with rt.sessions() as s:
                    n_alerts = s.scalar(select(func.count()).select_from(Alert))
                if len(receiver.requests) >= n_alerts:
                    break
                time.sleep(0.2)
            _check_founding_alerts(receiver)
            assert len(receiver.requests) == n_alerts
            # Polling again enqueues nothing new; no second delivery.
            poll_cycle(rt, ViaCelery(rt.sessions), feeds_to_poll(rt), only_due=False)
            time.sleep(3)
            _check_founding_alerts(receiver)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
            rt.close()


@pytest.mark.processes
@pytest.mark.redis
@pytest.mark.postgres
def test_lost_messages_are_recovered_from_the_database(redis_url: str, postgres_url: str) -> None:
    """Items whose messages were lost (Redis keeps nothing on disk) are enqueued again."""
    import redis

    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/wire.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=postgres_url,
            broker_url=redis_url,
            feeds=(FeedConfig(srv.url("/wire.xml")),),
            webhook_url=receiver.url,
            fetch_allow_networks=("127.0.0.0/8",),  # scaled out: the feed is on loopback
        )
        rt = build_runtime(settings, stream=io.StringIO())
        from worker.tasks import configure

        configure(settings)
        dispatcher = ViaCelery(rt.sessions, stale_after=timedelta(0))
        poll_cycle(rt, dispatcher, feeds_to_poll(rt), only_due=False)
        redis.Redis.from_url(redis_url).flushdb()  # the broker lost every message
        env = dict(
            os.environ,
            VEILLE_BROKER_URL=redis_url,
            VEILLE_DATABASE_URL=postgres_url,
            VEILLE_WEBHOOK_URL=receiver.url,
            VEILLE_WORKER_CONCURRENCY="1",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "veille", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            dispatcher.recover()
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not _stoltenberg_warning(
                [r.json for r in receiver.requests]
            ):
                time.sleep(0.5)
            assert _stoltenberg_warning([r.json for r in receiver.requests])
            from worker.pipeline import unprocessed_item_ids

            assert unprocessed_item_ids(rt.sessions) == []
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            rt.close()
