"""Email channel: one multipart (text + HTML) message per alert over SMTP, via smtplib."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from veille.domain import AlertMessage
from worker.delivery import Attempt, clean_line, headline, speaker_label, targets_label
from worker.delivery.console import unique_sources

__all__ = ["CHANNEL", "EmailChannel", "EmailConfig", "render_bodies", "safe_href"]

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
TEMPLATES_DIR = Path(__file__).parent / "templates"

# Autoescape is on for everything except templates explicitly named *.txt.j2: feed text is
# untrusted and must never become markup in the HTML part.
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(
        enabled_extensions=("html", "html.j2"),
        disabled_extensions=("txt", "txt.j2"),
        default=True,
        default_for_string=True,
    ),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def safe_href(url: str | None) -> str | None:
    """The URL if it is http(s), else None: escaping alone does not stop ``javascript:`` links."""
    if not url:
        return None
    url = clean_line(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@dataclass(frozen=True)
class EmailConfig:
    """SMTP settings of one email channel; ``port`` defaults from ``security``."""

    host: str
    sender: str
    to: tuple[str, ...]
    port: int | None = None
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    def __post_init__(self) -> None:
        """Reject a configuration that could never send, at startup rather than per alert."""
        if self.security not in DEFAULT_PORTS:
            raise ValueError(f"security must be one of none/starttls/tls, got {self.security!r}")
        object.__setattr__(self, "to", _recipients(self.to))
        if not self.to:
            raise ValueError("email channel needs at least one recipient")
        for addr in (self.sender, *self.to):
            if "\r" in addr or "\n" in addr or "@" not in parseaddr(addr)[1]:
                raise ValueError(f"not an email address: {addr!r}")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")

    @property
    def effective_port(self) -> int:
        """The configured port, or the usual one for the security mode."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EmailConfig:
        """Build from configuration keys (``from`` and ``to`` as in the settings file)."""
        values = dict(data)
        if "from" in values:
            values["sender"] = values.pop("from")
        return cls(**values)


def _context(msg: AlertMessage) -> dict[str, Any]:
    """Template variables, with every one-line field cleaned of control characters."""
    st = msg.statement
    sources = [
        {
            "title": clean_line(s.title) or "(untitled)",
            "url": clean_line(s.url) or None,
            "href": safe_href(s.url),
        }
        for s in unique_sources(msg)
    ]
    targets = [clean_line(t) for t in st.targets if clean_line(t)]
    return {
        "headline": headline(msg),
        "kind": clean_line(st.type).upper() or "STATEMENT",
        "rule": clean_line(msg.rule),
        "speaker": speaker_label(msg),
        "speaker_name": clean_line(st.speaker),
        "speaker_actor": clean_line(st.speaker_actor),
        "targets": targets,
        "targets_text": targets_label(msg),
        "content": clean_line(st.content),
        "direct": st.direct,
        "sentence": clean_line(st.sentence),
        "sources": sources,
        "alert_id": clean_line(msg.alert_id),
        "created_at": msg.created_at.isoformat(),
    }


def render_bodies(msg: AlertMessage) -> tuple[str, str]:
    """The text and HTML bodies of the alert email, from the templates."""
    ctx = _context(msg)
    text = _ENV.get_template("alert.txt.j2").render(ctx)
    html = _ENV.get_template("alert.html.j2").render(ctx)
    return text, html


class EmailChannel:
    """Sends each alert as one email; the TLS context can be passed in (tests, private CAs)."""

    kind = "email"

    def __init__(
        self,
        config: EmailConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        """Keep the settings; connections are opened per alert, so nothing is held open."""
        self.config = config
        self._ssl = ssl_context
        self._local_hostname = local_hostname

    def build_message(self, msg: AlertMessage, now: datetime | None = None) -> EmailMessage:
        """The full message: headers plus multipart/alternative text and HTML."""
        cfg = self.config
        text, html = render_bodies(msg)
        message = EmailMessage()
        message["Subject"] = f"[Veille] {headline(msg)}"
        message["From"] = cfg.sender
        message["To"] = ", ".join(cfg.to)
        message["Date"] = format_datetime(now or datetime.now(UTC))
        domain = parseaddr(cfg.sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(idstring=clean_line(msg.alert_id)[:64], domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        message["X-Veille-Alert-Id"] = clean_line(msg.alert_id)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def _open(self) -> smtplib.SMTP:
        """Connect with the configured security; STARTTLS is mandatory once asked for."""
        cfg = self.config
        context = self._ssl or ssl.create_default_context()
        if cfg.security == "tls":
            return smtplib.SMTP_SSL(
                cfg.host,
                cfg.effective_port,
                local_hostname=self._local_hostname,
                timeout=cfg.timeout,
                context=context,
            )
        smtp = smtplib.SMTP(
            cfg.host, cfg.effective_port, local_hostname=self._local_hostname, timeout=cfg.timeout
        )
        if cfg.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, msg: AlertMessage) -> Attempt:
        """Deliver the alert email; SMTP and network failures come back as a failed Attempt."""
        cfg = self.config
        where = f"{cfg.host}:{cfg.effective_port}"
        try:
            message = self.build_message(msg)
            smtp = self._open()
            try:
                if cfg.username is not None:
                    smtp.login(cfg.username, cfg.password or "")
                refused = smtp.send_message(message, from_addr=cfg.sender, to_addrs=list(cfg.to))
            finally:
                _close(smtp)
        except smtplib.SMTPNotSupportedError as exc:
            return Attempt.failure(
                f"SMTP server {where} does not support what is configured "
                f"(security={cfg.security}, auth={cfg.username is not None}): {exc}",
                permanent=True,
            )
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items()
            )
            return _by_code(
                min(codes) if codes else 0, f"SMTP server {where} refused every recipient: {detail}"
            )
        except smtplib.SMTPResponseException as exc:
            what = {
                smtplib.SMTPAuthenticationError: "rejected the login",
                smtplib.SMTPSenderRefused: "refused the sender address",
                smtplib.SMTPDataError: "refused the message",
            }.get(type(exc), "answered with an error")
            reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            message_for_code = f"SMTP server {where} {what}: {reply}"
            endpoint_wide = isinstance(
                exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused
            )
            return _by_code(exc.smtp_code, message_for_code, endpoint_wide=endpoint_wide)
        except smtplib.SMTPServerDisconnected as exc:
            return Attempt.failure(f"SMTP server {where} closed the connection: {exc}")
        except ssl.SSLError as exc:
            return Attempt.failure(f"TLS with SMTP server {where} failed: {exc}")
        except TimeoutError:
            return Attempt.failure(f"no answer from SMTP server {where} within {cfg.timeout:g} s")
        except ConnectionRefusedError:
            return Attempt.failure(f"could not connect to SMTP server {where}: connection refused")
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt.failure(
                f"could not send through SMTP server {where}: {type(exc).__name__}: {exc}"
            )
        if refused:
            detail = "; ".join(
                f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items()
            )
            return Attempt(ok=True, status_code=250, error=f"some recipients refused: {detail}")
        return Attempt.success(250)


def _text(value: bytes | str) -> str:
    """An SMTP reply text as one readable line."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clean_line(value)


def _by_code(code: int, error: str, *, endpoint_wide: bool = True) -> Attempt:
    """4xx is temporary (retry); 5xx is final: the channel is disabled if the fault is its own."""
    if 400 <= code < 500:
        return Attempt.failure(error, status_code=code)
    if endpoint_wide:
        return Attempt.failure(
            error + " (fix the channel settings)", status_code=code, permanent=True
        )
    return Attempt(ok=False, status_code=code, error=error, permanent=False, retryable=False)


def _close(smtp: smtplib.SMTP) -> None:
    """Say QUIT politely, but never let closing hide the real outcome."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _recipients(value: str | Sequence[str]) -> tuple[str, ...]:
    """A single address or a list, as a tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


CHANNEL = EmailChannel
