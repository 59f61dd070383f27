"""Apprise channel for real: its json:// scheme posting to the loopback webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from receivers import WebhookReceiver, closed_port, sample_alert

from worker.delivery import get_channel
from worker.delivery.apprise_channel import AppriseChannel

# apprise imports the deprecated imghdr module on Python 3.11/3.12: not our concern here
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


def json_url(port: int) -> str:
    return f"json://127.0.0.1:{port}/hook"


def test_apprise_json_reaches_the_receiver(receiver: WebhookReceiver) -> None:
    attempt = AppriseChannel(json_url(receiver.port)).send(sample_alert())
    assert attempt.ok, attempt.error
    (req,) = receiver.requests
    assert req.method == "POST" and req.path == "/hook"
    body = req.json
    assert body["title"] == "[Veille] WARNING — Aurelia Varnholt (FRA) → RUS"
    assert body["message"].startswith("ALERT [default] WARNING  Aurelia Varnholt (FRA) → RUS")
    assert "https://news.example.org/world/varnholt-warning?id=7&src=feed" in body["message"]
    assert body["type"] == "warning"


def test_apprise_receiver_error_is_a_retryable_failure(receiver: WebhookReceiver) -> None:
    receiver.always(500)
    attempt = AppriseChannel(json_url(receiver.port)).send(sample_alert())
    assert not attempt.ok and attempt.retryable
    assert "Apprise" in (attempt.error or "") and "500" in (attempt.error or "")


def test_apprise_receiver_down_is_a_failure_not_an_exception() -> None:
    attempt = AppriseChannel([json_url(closed_port())]).send(sample_alert())
    assert not attempt.ok and attempt.retryable and attempt.error


def test_apprise_bad_url_fails_at_construction_without_echoing_it() -> None:
    with pytest.raises(ValueError) as err:
        AppriseChannel("nosuchscheme://secret-token@host")
    assert "secret-token" not in str(err.value)
    assert get_channel("apprise") is AppriseChannel


def test_describe_masks_secrets(receiver: WebhookReceiver) -> None:
    channel = AppriseChannel(f"json://user:hunter2@127.0.0.1:{receiver.port}/hook")
    assert all("hunter2" not in u for u in channel.describe())
