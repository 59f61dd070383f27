"""Webhook channel against a real loopback receiver; signatures checked with standardwebhooks."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from receivers import WebhookReceiver, closed_port, sample_alert
from standardwebhooks import Webhook

from worker.delivery.webhook import WebhookChannel

SECRET = "whsec_" + base64.b64encode(b"veille-test-secret-0123456789abcd").decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def test_fails_twice_then_accepts_same_id_and_valid_signature(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    receiver.fail_next(2, status=500)
    msg = sample_alert()
    channel = WebhookChannel(receiver.url, client, secret=SECRET)

    attempts = [channel.send(msg) for _ in range(3)]

    assert [a.ok for a in attempts] == [False, False, True]
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert all(a.retryable and not a.permanent for a in attempts[:2])
    assert "HTTP 500" in (attempts[0].error or "")
    assert len(receiver.requests) == 3
    verifier = Webhook(SECRET)
    for req in receiver.requests:
        assert req.headers["webhook-id"] == msg.alert_id
        assert req.headers["webhook-timestamp"].isdigit()
        assert req.headers["content-type"] == "application/json"
        assert verifier.verify(req.body, req.headers) == msg.payload()
        assert req.json == msg.payload()


def test_tampered_body_fails_verification(receiver: WebhookReceiver, client: httpx.Client) -> None:
    WebhookChannel(receiver.url, client, secret=SECRET).send(sample_alert())
    req = receiver.requests[0]
    tampered = req.body.replace(b"RUS", b"UKR")
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(SECRET).verify(tampered, req.headers)


def test_no_secret_means_no_signature_header(
    receiver: WebhookReceiver, client: httpx.Client
) -> None:
    assert WebhookChannel(receiver.url, client).send(sample_alert()).ok
    assert "webhook-signature" not in receiver.requests[0].headers
    assert json.loads(receiver.requests[0].body)["data"]["statement"]["targets"] == ["RUS"]


def test_410_gone_is_permanent(receiver: WebhookReceiver, client: httpx.Client) -> None:
    receiver.always(410)
    attempt = WebhookChannel(receiver.url, client, secret=SECRET).send(sample_alert())
    assert not attempt.ok and attempt.permanent and not attempt.retryable
    assert attempt.status_code == 410
    assert "disable" in (attempt.error or "")


def test_4xx_other_than_410_is_retryable(receiver: WebhookReceiver, client: httpx.Client) -> None:
    receiver.script(404)
    attempt = WebhookChannel(receiver.url, client).send(sample_alert())
    assert not attempt.ok and attempt.retryable and attempt.status_code == 404


def test_receiver_down_is_a_retryable_error_not_an_exception(client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    attempt = WebhookChannel(url, client, secret=SECRET).send(sample_alert())
    assert not attempt.ok and attempt.retryable and not attempt.permanent
    assert attempt.status_code is None
    assert "could not connect to 127.0.0.1" in (attempt.error or "")


def test_timeout_is_a_retryable_error(receiver: WebhookReceiver, client: httpx.Client) -> None:
    receiver.delay = 0.5
    attempt = WebhookChannel(receiver.url, client, timeout=0.1).send(sample_alert())
    assert not attempt.ok and attempt.retryable
    assert "no answer from 127.0.0.1 within 0.1 s" in (attempt.error or "")


def test_unresolvable_host_is_a_retryable_error(client: httpx.Client) -> None:
    attempt = WebhookChannel("http://veille-test.invalid/hook", client, timeout=2).send(
        sample_alert()
    )
    assert not attempt.ok and attempt.retryable and attempt.error


def test_bad_configuration_fails_at_construction(client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookChannel("http://127.0.0.1/hook", client, secret="whsec_not base64!")
    with pytest.raises(ValueError, match="http"):
        WebhookChannel("ftp://127.0.0.1/hook", client)
