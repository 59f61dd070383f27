"""Alerts people can act on: fresh only, once per cluster, retried, signed, never lost."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer, rss_feed
from receivers import WebhookReceiver
from sqlalchemy import func, select
from standardwebhooks import Webhook

from scheduler.jobs import InProcess, feeds_to_poll, poll_cycle
from veille.cli import main
from veille.models import Alert, Delivery, DeliveryAttempt, StatementRow, utcnow
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime
from worker.outbox import deliver_due
from worker.pipeline import process_items, unprocessed_item_ids

ROOT = Path(__file__).resolve().parents[1]
DEMO_FEED = (ROOT / "seeds" / "demo-feed.xml").read_bytes()
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# A second outlet's rewrite of the founding warning (our own wording).
REWRITE = {
    "title": "L'Otan hausse le ton face à Moscou",
    "pubDate": "Tue, 18 Jan 2022 18:05:00 +0100",
    "description": "« Nous adressons un message très clair à la Russie : si elle choisit une fois de plus "
    "d'utiliser la force contre l'Ukraine, elle devra en payer le prix fort, avec des sanctions "
    "économiques, financières et politiques », a averti mardi à Berlin le secrétaire général de "
    "l'Otan, Jens Stoltenberg.",
}
BACKGROUND = (
    "Rappel des faits",
    "En décembre, le ministre russe des Affaires étrangères Sergueï Lavrov avait exigé des "
    "garanties écrites de l'Otan sur son non-élargissement à l'est.",
)


def _warnings(receiver: WebhookReceiver) -> list[dict]:
    return [
        r.json
        for r in receiver.requests
        if r.json["data"]["statement"]["type"] == "warning"
        and r.json["data"]["statement"]["speaker_actor"] == "NATO"
    ]


def test_rewrite_by_second_outlet_does_not_alert_again(db_url: str, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        srv.route("/other.xml", body=rss_feed("Autre", [REWRITE], link="https://autre.test/"))
        settings = Settings(
            database_url=db_url,
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            feeds=(FeedConfig(srv.url("/afp.xml")),),
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            assert len(_warnings(receiver)) == 1
            first = len(receiver.requests)
            for req in receiver.requests:  # as a receiver would check them
                Webhook(SECRET).verify(req.body, req.headers)

            rt2 = build_runtime(
                Settings(
                    database_url=db_url,
                    webhook_url=receiver.url,
                    webhook_secret=SECRET,
                    feeds=(FeedConfig(srv.url("/other.xml")),),
                ),
                stream=io.StringIO(),
                extractor=extractor,
            )
            poll_cycle(rt2, InProcess(rt2), feeds_to_poll(rt2), only_due=False)
            rt2.close()
            assert len(_warnings(receiver)) == 1, "the rewrite alerted again"
            assert len(receiver.requests) == first
            with rt.sessions() as s:
                rows = s.scalars(
                    select(StatementRow).where(
                        StatementRow.type == "warning", StatementRow.speaker_actor == "NATO"
                    )
                ).all()
            assert len(rows) == 2, "both outlets' statements are stored"
            assert rows[0].cluster_id == rows[1].cluster_id, "in one cluster"
        finally:
            rt.close()


def test_background_statement_never_alerts(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/bg.xml", body=rss_feed("Fil", [BACKGROUND]))
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}",
            webhook_url=receiver.url,
            feeds=(FeedConfig(srv.url("/bg.xml")),),
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                rows = s.scalars(select(StatementRow)).all()
        finally:
            rt.close()
        assert any(r.type == "demand" and r.background for r in rows), [
            (r.type, r.speaker, r.background) for r in rows
        ]
        assert receiver.requests == []


def test_receiver_down_then_up_gets_one_delivery_after_three_attempts(
    tmp_path: Path, extractor
) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}",
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            feeds=(FeedConfig(srv.url("/afp.xml")),),
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            receiver.always(500)
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            deliver_due(rt.sessions, rt.channels, now=utcnow() + timedelta(seconds=6))
            receiver.always(200)
            deliver_due(rt.sessions, rt.channels, now=utcnow() + timedelta(hours=1))
            with rt.sessions() as s:
                hooks = s.scalars(select(Delivery).where(Delivery.channel.like("webhook:%"))).all()
                attempts = {
                    d.id: s.scalar(
                        select(func.count())
                        .select_from(DeliveryAttempt)
                        .where(DeliveryAttempt.delivery_id == d.id)
                    )
                    for d in hooks
                }
        finally:
            rt.close()
        assert hooks and all(d.status == "sent" for d in hooks)
        assert set(attempts.values()) == {3}
        accepted = [r for r in receiver.requests if r.status == 200]
        assert len(accepted) == len(hooks), "each alert delivered once"
        for d in hooks:
            ids = {
                r.headers["webhook-id"]
                for r in receiver.requests
                if r.json["data"]["alert_id"] == d.alert_id
            }
            assert ids == {d.alert_id}, "same webhook-id on every attempt"
        for req in receiver.requests:
            Webhook(SECRET).verify(req.body, req.headers)


def test_gone_endpoint_is_disabled_and_retry_sends_again(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'v.db'}"
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=db, webhook_url=receiver.url, feeds=(FeedConfig(srv.url("/afp.xml")),)
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        receiver.always(410)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                hooks = s.scalars(select(Delivery).where(Delivery.channel.like("webhook:%"))).all()
            assert hooks and all(d.status == "held" for d in hooks)
            assert len(receiver.requests) == 1, "after 410 nothing more is sent to that endpoint"
            assert "410 Gone" in (hooks[0].last_error or "")
            assert any(c.startswith("webhook:") for c in rt.pipeline().held)
        finally:
            rt.close()
        runner = CliRunner()
        listed = runner.invoke(main, ["alerts", "list", "--failed", "--db", db])
        assert listed.exit_code == 0 and "held" in listed.output and "410" in listed.output
        receiver.always(200)
        retried = runner.invoke(
            main,
            [
                "alerts",
                "retry",
                hooks[0].alert_id,
                "--db",
                db,
                "--webhook",
                receiver.url,
                "--feed",
                srv.url("/afp.xml"),
            ],
        )
        assert retried.exit_code == 0, retried.output
        sent = [r.headers["webhook-id"] for r in receiver.requests if r.status == 200]
        assert sorted(sent) == sorted(d.alert_id for d in hooks), "all it held, once each"


MORE = [
    (
        "Lavrov menace l'Alliance",
        "« Si l'Alliance continue d'avancer vers nos frontières, nous prendrons des mesures "
        "militaires », a averti vendredi le ministre russe des Affaires étrangères, Sergueï Lavrov.",
    ),
    (
        "Moscou avertit Kiev",
        "Le président russe Vladimir Poutine a averti mercredi que la Russie répondrait "
        "« fermement » à toute provocation de l'Otan en mer Noire.",
    ),
]


@pytest.mark.parametrize("how", ["channels enable", "retry --channel", "retry ID"])
def test_gone_endpoint_holds_later_alerts_and_enabling_sends_each_once(
    db_url: str, extractor, how: str
) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        srv.route("/more.xml", body=rss_feed("Fil", MORE, link="https://fil.test/"))
        receiver.always(410)
        for path in ("/afp.xml", "/more.xml"):  # the second feed's alerts come after the 410
            settings = Settings(
                database_url=db_url, webhook_url=receiver.url, feeds=(FeedConfig(srv.url(path)),)
            )
            rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
            try:
                poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            finally:
                rt.close()
        assert len(receiver.requests) == 1, "nothing more is sent to a gone endpoint"
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        with rt.sessions() as s:
            alert_ids = set(s.scalars(select(Alert.id)))
            hooks = s.scalars(select(Delivery).where(Delivery.channel.like("webhook:%"))).all()
        rt.close()
        assert len(alert_ids) >= 5
        assert {d.alert_id for d in hooks} == alert_ids, "every later alert has a delivery"
        assert {d.status for d in hooks} == {"held"}
        runner = CliRunner()
        listed = runner.invoke(main, ["alerts", "list", "--held", "--db", db_url])
        assert listed.exit_code == 0, listed.output
        rows = [line for line in listed.output.splitlines() if line.startswith("delivery ")]
        assert len(rows) == len(alert_ids) and all(" held " in r for r in rows)
        common = ["--db", db_url, "--webhook", receiver.url, "--feed", srv.url("/afp.xml")]
        state = runner.invoke(main, ["channels", "list", *common])
        assert "DISABLED" in state.output and f"{len(alert_ids)} held" in state.output
        receiver.always(200)
        cmd = {
            "channels enable": ["channels", "enable", "webhook"],
            "retry --channel": ["alerts", "retry", "--channel", "webhook"],
            "retry ID": ["alerts", "retry", str(hooks[-1].id)],
        }[how]
        done = runner.invoke(main, [*cmd, *common])
        assert done.exit_code == 0, done.output
        again = runner.invoke(main, [*cmd, *common])  # doing it twice sends nothing twice
        assert again.exit_code == 0 or "no delivery waiting" in again.output, again.output
        ok = [r.headers["webhook-id"] for r in receiver.requests if r.status == 200]
        assert sorted(ok) == sorted(alert_ids), "every alert delivered exactly once"
        state = runner.invoke(main, ["channels", "list", *common])
        assert "DISABLED" not in state.output and f"{len(alert_ids)} sent" in state.output


def test_failed_lists_retrying_deliveries_and_retry_sends_one_now(db_url: str, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=db_url, webhook_url=receiver.url, feeds=(FeedConfig(srv.url("/afp.xml")),)
        )
        receiver.always(500)
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                hooks = s.scalars(select(Delivery).where(Delivery.channel.like("webhook:%"))).all()
        finally:
            rt.close()
        assert hooks and {d.status for d in hooks} == {"pending"}
        runner = CliRunner()
        listed = runner.invoke(main, ["alerts", "list", "--failed", "--db", db_url])
        assert listed.exit_code == 0, listed.output
        assert listed.output.count("retrying 1 attempt(s)") == len(hooks)
        assert "HTTP 500" in listed.output and "next attempt: " in listed.output
        receiver.always(200)
        before = len(receiver.requests)
        done = runner.invoke(
            main,
            [
                "alerts",
                "retry",
                str(hooks[0].id),
                "--db",
                db_url,
                "--webhook",
                receiver.url,
                "--feed",
                srv.url("/afp.xml"),
            ],
        )
        assert done.exit_code == 0, done.output
        assert len(receiver.requests) == before + 1, "sent now, not at its next attempt time"
        assert receiver.requests[-1].status == 200
        assert receiver.requests[-1].headers["webhook-id"] == hooks[0].alert_id


def test_crash_between_commit_and_delivery_loses_nothing(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'v.db'}"
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=db, webhook_url=receiver.url, feeds=(FeedConfig(srv.url("/afp.xml")),)
        )

        class StoreOnly(InProcess):  # stores items and stops, as a killed process would
            def items(self, item_ids):  # type: ignore[no-untyped-def]
                process_items(self.runtime.pipeline(), list(item_ids))

        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        poll_cycle(rt, StoreOnly(rt), feeds_to_poll(rt), only_due=False)
        rt.close()
        assert receiver.requests == []
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            assert unprocessed_item_ids(rt.sessions) == []
            InProcess(rt).deliveries()
            with rt.sessions() as s:
                n_alerts = s.scalar(select(func.count()).select_from(Alert))
        finally:
            rt.close()
        assert n_alerts >= 3 and len(receiver.requests) == n_alerts


def test_alert_email_received_by_real_smtp_server(tmp_path: Path, extractor) -> None:  # type: ignore[no-untyped-def]
    from receivers import SMTPReceiver

    with FeedServer() as srv, SMTPReceiver() as smtp:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'v.db'}",
            feeds=(FeedConfig(srv.url("/afp.xml")),),
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_security="none",
            smtp_from="veille@exemple.test",
            email_to=("analyste@exemple.test",),
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)
        try:
            poll_cycle(rt, InProcess(rt), feeds_to_poll(rt), only_due=False)
            with rt.sessions() as s:
                n_alerts = s.scalar(select(func.count()).select_from(Alert))
        finally:
            rt.close()
        mails = smtp.wait_for(n_alerts)
        assert len(mails) == n_alerts, "one message per alert"
        warning = [m for m in mails if "WARNING" in m.message["Subject"]]
        assert len(warning) == 1
        text, html = warning[0].part("plain"), warning[0].part("html")
        for part in (text, html):
            assert "Jens Stoltenberg" in part and "NATO" in part and "RUS" in part
            assert "prix fort" in part
        assert "seeds/founding-dispatch.txt" in html, "the source is linked"
