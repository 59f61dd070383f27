"""The outbox's claims: a dead sender's claim lapses within seconds, a live sender keeps its own."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from feedserver import FeedServer
from receivers import WebhookReceiver
from sqlalchemy import select
from test_alerts import DEMO_FEED

from scheduler.jobs import feeds_to_poll, poll_cycle
from veille.models import Delivery, utcnow
from veille.settings import FeedConfig, Settings
from worker.context import build_runtime
from worker.delivery.webhook import WebhookChannel
from worker.outbox import LEASE, _claim, deliver_due, deliver_one
from worker.pipeline import process_items


@pytest.mark.slow
def test_dead_senders_claim_is_retaken_and_a_live_one_is_kept(db_url: str, extractor) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as srv, WebhookReceiver() as receiver:
        srv.route("/afp.xml", body=DEMO_FEED)
        settings = Settings(
            database_url=db_url, webhook_url=receiver.url, feeds=(FeedConfig(srv.url("/afp.xml")),)
        )
        rt = build_runtime(settings, stream=io.StringIO(), extractor=extractor)

        class StoreOnly:
            def items(self, ids):  # type: ignore[no-untyped-def]
                process_items(rt.pipeline(), list(ids))

            def deliveries(self) -> None: ...

            def recover(self) -> None: ...

        try:
            poll_cycle(rt, StoreOnly(), feeds_to_poll(rt), only_due=False)  # type: ignore[arg-type]
            with rt.sessions() as s:
                hooks = list(
                    s.scalars(select(Delivery.id).where(Delivery.channel.like("webhook:%")))
                )
            dead, live = hooks[0], hooks[1]
            assert _claim(rt.sessions, dead, utcnow())  # claimed, then the process was killed
            later = utcnow() + LEASE + timedelta(seconds=1)
            assert timedelta(seconds=15) >= LEASE
            deliver_due(rt.sessions, rt.channels, delivery_ids=[dead], now=later)
            assert len(receiver.requests) == 1, "the dead sender's claim was retaken"
            # A send that outlasts the lease keeps its claim: a concurrent sweep sends nothing.
            receiver.delay = LEASE.total_seconds() + 3
            slow = {
                name: WebhookChannel(receiver.url, rt.http, timeout=60)
                for name in rt.channels
                if name.startswith("webhook:")
            }
            sender = threading.Thread(target=deliver_one, args=(rt.sessions, slow, live))
            sender.start()
            while sender.is_alive():
                deliver_due(rt.sessions, rt.channels, delivery_ids=[live])
                sender.join(timeout=1)
            ids = [r.headers["webhook-id"] for r in receiver.requests]
            assert len(ids) == 2 and len(set(ids)) == 2, "the live send was not sent twice"
        finally:
            rt.close()
