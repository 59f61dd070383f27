"""Real loopback receivers (webhook HTTP, SMTP) so delivery is tested end to end, without mocks.

Use the classes as context managers, or the pytest fixtures ``webhook_receiver`` and
``smtp_receiver`` (enable them in a conftest with ``pytest_plugins = ["receivers"]``).
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from veille.domain import AlertMessage, Source, Statement

__all__ = [
    "ReceivedMail",
    "ReceivedRequest",
    "SMTPReceiver",
    "WebhookReceiver",
    "closed_port",
    "free_port",
    "sample_alert",
    "self_signed_tls",
    "smtp_receiver",
    "webhook_receiver",
]

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now, for servers that cannot bind port 0 themselves."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port with no listener, to test "receiver down" (connection refused)."""
    return free_port()


def sample_alert(content: str = "", **overrides: Any) -> AlertMessage:
    """An invented alert (fictitious minister, invented outlets) for channel tests."""
    sentence = (
        "Defence minister Aurelia Varnholt warned Moscow that any new incursion "
        "would be met with a firm response."
    )
    statement = Statement(
        speaker="Aurelia Varnholt",
        speaker_actor="FRA",
        type="warning",
        targets=("RUS",),
        direct=False,
        background=False,
        start=0,
        end=len(sentence),
        sentence=sentence,
        content=content or "any new incursion would be met with a firm response",
        cue="warned",
    )
    created = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)
    fields: dict[str, Any] = {
        "alert_id": "alrt_2f9c1e07b4d2",
        "rule": "default",
        "created_at": created,
        "statement": statement,
        "item": Source(
            title="Varnholt warns of firm response",
            url="https://news.example.org/world/varnholt-warning?id=7&src=feed",
            feed_url="https://news.example.org/world/rss.xml",
            published=created,
        ),
        "sources": (
            Source(
                title="Paris hardens tone",
                url="https://daily.example.net/politique/ton",
                feed_url="https://daily.example.net/rss",
            ),
        ),
    }
    fields.update(overrides)
    return AlertMessage(**fields)


# --------------------------------------------------------------------------- webhook receiver


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it; headers are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        """The decoded JSON body (raises if the body is not JSON)."""
        return json.loads(self.body)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every request and answers as scripted."""

    def __init__(self, default_status: int = 200) -> None:
        """Answer ``default_status`` unless a scripted status is queued."""
        self.default_status = default_status
        self.delay = 0.0
        self.requests: list[ReceivedRequest] = []
        self._script: deque[int] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # scripting ---------------------------------------------------------------------------
    def fail_next(self, times: int, status: int = 500) -> None:
        """Answer the next ``times`` requests with ``status``, then the default again."""
        with self._lock:
            self._script.extend([status] * times)

    def script(self, *statuses: int) -> None:
        """Answer the next requests with these statuses in order, then the default."""
        with self._lock:
            self._script.extend(statuses)

    def always(self, status: int) -> None:
        """Answer every later request with ``status`` (e.g. 410 Gone)."""
        with self._lock:
            self._script.clear()
            self.default_status = status

    # lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (the server picks a free one)."""
        assert self._server is not None, "receiver not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The URL to configure a webhook with."""
        return f"http://{HOST}:{self.port}/hook"

    def start(self) -> Self:
        """Bind a free loopback port and serve in a daemon thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                receiver._handle(self)

            do_PUT = do_POST  # noqa: N815
            do_GET = do_POST  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep test output quiet."""

        self._server = _HangupTolerantServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling --------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Read the body, record the request, answer with the next scripted status."""
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            status = self._script.popleft() if self._script else self.default_status
            self.requests.append(
                ReceivedRequest(
                    method=handler.command,
                    path=handler.path,
                    headers={k.lower(): v for k, v in handler.headers.items()},
                    body=body,
                    status=status,
                )
            )
        if self.delay:
            time.sleep(self.delay)
        reply = json.dumps({"status": status}).encode()
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        try:
            handler.send_response(status, phrase)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(reply)))
            handler.end_headers()
            handler.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test): nothing left to answer


# --------------------------------------------------------------------------- SMTP receiver


@dataclass(frozen=True)
class ReceivedMail:
    """One message as delivered to the SMTP server, parsed with the stdlib email parser."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    login: str | None = None

    def part(self, subtype: str) -> str:
        """The decoded text of the ``text/<subtype>`` body part ('plain' or 'html')."""
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            raise KeyError(f"no text/{subtype} part")
        return body.get_content()


class _HangupTolerantServer(ThreadingHTTPServer):
    """A sender that closes its keep-alive connection is not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _CollectingHandler:
    """aiosmtpd handler that parses and keeps every message."""

    def __init__(self, sink: list[ReceivedMail], lock: threading.Lock) -> None:
        self._sink = sink
        self._lock = lock

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=parsed,
            login=login.decode() if isinstance(login, bytes) else login,
        )
        with self._lock:
            self._sink.append(mail)
        return "250 Message accepted for delivery"


class _Authenticator:
    """Accepts exactly one username/password pair (AUTH PLAIN/LOGIN)."""

    def __init__(self, username: str, password: str) -> None:
        self._user = username.encode()
        self._password = password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> Any:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self._user
            and auth_data.password == self._password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class SMTPReceiver:
    """A real aiosmtpd server on 127.0.0.1 that collects the messages it receives.

    ``tls_context`` enables STARTTLS (``require_starttls``) or, with ``implicit_tls=True``,
    TLS from the first byte; ``username``/``password`` require authentication.
    """

    def __init__(
        self,
        *,
        tls_context: Any = None,
        implicit_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """Configure the server; nothing listens until ``start``."""
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if tls_context is not None and implicit_tls:
            kwargs["ssl_context"] = tls_context
        elif tls_context is not None:
            kwargs["tls_context"] = tls_context
            kwargs["require_starttls"] = True
        if username is not None:
            kwargs["authenticator"] = _Authenticator(username, password or "")
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = tls_context is not None
        self._controller = Controller(
            _CollectingHandler(self.messages, self._lock),
            hostname=HOST,
            port=self.port,
            ready_timeout=5.0,
            **kwargs,
        )

    @property
    def host(self) -> str:
        """Where to connect."""
        return HOST

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until ``count`` messages have arrived (delivery is asynchronous server-side)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.01)
        raise TimeoutError(f"expected {count} message(s), got {len(self.messages)}")

    def start(self) -> Self:
        """Start the server thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server thread and free the port."""
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A (server, client) TLS context pair for 127.0.0.1, made with the openssl command.

    The client context trusts only this certificate and checks the host name, as in production.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=20,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A running webhook receiver that accepts everything unless scripted otherwise."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SMTPReceiver]:
    """A running plain SMTP server collecting parsed messages."""
    with SMTPReceiver() as receiver:
        yield receiver
