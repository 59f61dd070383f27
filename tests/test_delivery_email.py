"""Email channel against a real aiosmtpd server: plain, STARTTLS, implicit TLS, login."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from receivers import SMTPReceiver, closed_port, sample_alert, self_signed_tls

from worker.delivery import get_channel
from worker.delivery.email import EmailChannel, EmailConfig, safe_href

HOSTILE = 'firm response <script>alert("x")</script> & "more"'


@pytest.fixture
def smtp() -> Iterator[SMTPReceiver]:
    with SMTPReceiver() as server:
        yield server


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return self_signed_tls(tmp_path_factory.mktemp("tls"))


def config(port: int, **kw: object) -> EmailConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "Veille <veille@alerts.example.org>",
        "to": ("desk@example.org", "editor@example.org"),
        "timeout": 5,
    }
    values.update(kw)
    return EmailConfig(**values)  # type: ignore[arg-type]


def test_email_arrives_with_both_parts_and_everything_in_it(smtp: SMTPReceiver) -> None:
    msg = sample_alert(content=HOSTILE)
    attempt = EmailChannel(config(smtp.port)).send(msg)
    assert attempt.ok and attempt.status_code == 250, attempt.error

    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ("desk@example.org", "editor@example.org")
    assert mail.mail_from == "veille@alerts.example.org"
    m = mail.message
    assert m["Subject"] == "[Veille] WARNING — Aurelia Varnholt (FRA) → RUS"
    assert m["X-Veille-Alert-Id"] == msg.alert_id
    assert m["Auto-Submitted"] == "auto-generated"
    assert m.get_content_type() == "multipart/alternative"
    text, html = mail.part("plain"), mail.part("html")

    for body in (text, html):
        assert "Aurelia Varnholt" in body
        assert "FRA" in body and "RUS" in body
        assert "WARNING" in body
        assert "Paris hardens tone" in body and "Varnholt warns of firm response" in body
        assert "https://daily.example.net/politique/ton" in body
    assert "https://news.example.org/world/varnholt-warning?id=7&src=feed" in text
    assert 'href="https://news.example.org/world/varnholt-warning?id=7&amp;src=feed"' in html
    assert 'href="https://daily.example.net/politique/ton"' in html

    # the plain part quotes the content as is; the HTML part must escape it
    assert HOSTILE in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;more&#34;" in html


def test_javascript_links_from_feeds_are_not_clickable(smtp: SMTPReceiver) -> None:
    from veille.domain import Source

    evil = Source(title="Trap", url="javascript:alert(1)", feed_url="https://x.example/rss")
    EmailChannel(config(smtp.port)).send(sample_alert(sources=(evil,)))
    html = smtp.wait_for(1)[0].part("html")
    assert 'href="javascript' not in html and "Trap" in html
    assert safe_href("https://a.example/x") == "https://a.example/x"
    assert safe_href("data:text/html,hi") is None


def test_starttls_with_login(tmp_path: Path, tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with SMTPReceiver(tls_context=server_ctx, username="veille", password="s3cret") as server:
        cfg = config(server.port, security="starttls", username="veille", password="s3cret")
        attempt = EmailChannel(cfg, ssl_context=client_ctx).send(sample_alert())
        assert attempt.ok, attempt.error
        (mail,) = server.wait_for(1)
        assert mail.login == "veille"


def test_implicit_tls(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with SMTPReceiver(tls_context=server_ctx, implicit_tls=True) as server:
        cfg = config(server.port, security="tls")
        attempt = EmailChannel(cfg, ssl_context=client_ctx).send(sample_alert())
        assert attempt.ok, attempt.error
        assert server.wait_for(1)[0].part("plain")


def test_untrusted_certificate_is_a_failed_attempt(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, _ = tls
    with SMTPReceiver(tls_context=server_ctx) as server:
        attempt = EmailChannel(config(server.port, security="starttls")).send(sample_alert())
    assert not attempt.ok and attempt.retryable
    assert "TLS" in (attempt.error or "")


def test_wrong_password_is_permanent(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with SMTPReceiver(tls_context=server_ctx, username="veille", password="s3cret") as server:
        cfg = config(server.port, security="starttls", username="veille", password="nope")
        attempt = EmailChannel(cfg, ssl_context=client_ctx).send(sample_alert())
    assert not attempt.ok and attempt.permanent and attempt.status_code == 535
    assert "login" in (attempt.error or "")


def test_starttls_required_but_not_offered_is_permanent(smtp: SMTPReceiver) -> None:
    attempt = EmailChannel(config(smtp.port, security="starttls")).send(sample_alert())
    assert not attempt.ok and attempt.permanent
    assert "starttls" in (attempt.error or "").lower()
    assert smtp.messages == []


def test_server_down_is_a_retryable_error_not_an_exception() -> None:
    attempt = EmailChannel(config(closed_port())).send(sample_alert())
    assert not attempt.ok and attempt.retryable and not attempt.permanent
    assert "connection refused" in (attempt.error or "")


def test_config_validation_and_registry() -> None:
    cfg = EmailConfig.from_mapping(
        {"host": "smtp.example.org", "from": "v@example.org", "to": "desk@example.org"}
    )
    assert cfg.to == ("desk@example.org",) and cfg.effective_port == 587
    assert EmailConfig(host="h", sender="v@e.org", to=["a@e.org"], security="tls").to == (
        "a@e.org",
    )
    with pytest.raises(ValueError):
        EmailConfig(host="h", sender="v@e.org", to=())
    with pytest.raises(ValueError):
        EmailConfig(host="h", sender="v@e.org\r\nBcc: x@e.org", to=("a@e.org",))
    with pytest.raises(ValueError):
        EmailConfig(host="h", sender="v@e.org", to=("a@e.org",), security="ssl")  # type: ignore[arg-type]
    assert get_channel("email") is EmailChannel
