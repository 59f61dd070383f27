"""Console channel and registry: what a person reads in the terminal for one alert."""

from __future__ import annotations

import io

import pytest
from receivers import sample_alert

from worker.delivery import Attempt, get_channel, headline, kinds
from worker.delivery.console import ConsoleChannel


def test_console_block_has_everything_a_reader_needs() -> None:
    out = io.StringIO()
    attempt = ConsoleChannel(out).send(sample_alert())
    assert attempt.ok and attempt.error is None and attempt.at.tzinfo is not None
    text = out.getvalue()
    first = text.splitlines()[0]
    assert first == "ALERT [default] WARNING  Aurelia Varnholt (FRA) → RUS"
    assert "«any new incursion would be met with a firm response»" in text
    assert "Defence minister Aurelia Varnholt warned Moscow" in text
    assert "Varnholt warns of firm response" in text
    assert "https://news.example.org/world/varnholt-warning?id=7&src=feed" in text
    assert "Paris hardens tone <https://daily.example.net/politique/ton>" in text


def test_console_strips_terminal_control_sequences_from_feed_text() -> None:
    out = io.StringIO()
    ConsoleChannel(out).send(sample_alert(content="firm\x1b[2J response\nALERT [fake]"))
    text = out.getvalue()
    assert "\x1b" not in text
    assert sum(line.startswith("ALERT") for line in text.splitlines()) == 1


def test_console_closed_stream_is_a_failed_attempt_not_an_exception() -> None:
    out = io.StringIO()
    out.close()
    attempt = ConsoleChannel(out).send(sample_alert())
    assert not attempt.ok and attempt.retryable and "console" in (attempt.error or "")


def test_console_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert ConsoleChannel().send(sample_alert()).ok
    assert capsys.readouterr().out.startswith("ALERT [default] WARNING")


def test_registry_maps_kind_names_to_channel_classes() -> None:
    assert set(kinds()) == {"console", "webhook", "email", "apprise"}
    assert get_channel("console") is ConsoleChannel
    for kind in kinds():
        assert callable(get_channel(kind).send)
    with pytest.raises(ValueError, match="unknown channel kind"):
        get_channel("pigeon")


def test_headline_and_attempt_helpers() -> None:
    assert headline(sample_alert()) == "WARNING — Aurelia Varnholt (FRA) → RUS"
    gone = Attempt.failure("gone", status_code=410, permanent=True)
    assert gone.permanent and not gone.retryable
    assert Attempt.failure("down").retryable


def test_item_repeated_in_sources_is_listed_once() -> None:
    msg = sample_alert()
    out = io.StringIO()
    ConsoleChannel(out).send(sample_alert(sources=(msg.item, *msg.sources)))
    assert out.getvalue().count("varnholt-warning?id=7") == 1
