"""Webhook channel: POSTs the alert JSON, signed the Standard Webhooks way when a secret is set."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping

import httpx

from veille.domain import AlertMessage
from worker.delivery import Attempt, clean_line

__all__ = ["CHANNEL", "WebhookChannel", "decode_secret", "encode_body", "sign"]

SECRET_PREFIX = "whsec_"
USER_AGENT = "Veille-Webhooks/1"
DEFAULT_TIMEOUT = 10.0


def decode_secret(secret: str) -> bytes:
    """The raw HMAC key from a ``whsec_<base64>`` secret; a bad secret is a configuration error."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret must be 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def encode_body(msg: AlertMessage) -> bytes:
    """The exact bytes sent and signed: compact UTF-8 JSON of ``msg.payload()``."""
    return json.dumps(msg.payload(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value, so receivers can check origin and integrity."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _describe_transport_error(exc: Exception, url: str, timeout: float) -> str:
    """A sentence a person can act on, instead of a bare exception class name."""
    host = httpx.URL(url).host if isinstance(exc, httpx.HTTPError) else url
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {host} within {timeout:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {host}: {exc or 'connection failed'}"
    if isinstance(exc, httpx.HTTPError):
        return f"HTTP transport error talking to {host}: {type(exc).__name__}: {exc}"
    return f"could not send to {url}: {type(exc).__name__}: {exc}"


class WebhookChannel:
    """Delivers alerts to one HTTP endpoint through an ``httpx.Client`` owned by the caller."""

    kind = "webhook"

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        *,
        secret: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Validate the URL and secret now, so a bad configuration fails at startup."""
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"webhook URL must be http(s)://host/...: {url!r}")
        self.url = url
        self._client = client
        self._key = decode_secret(secret) if secret else None
        self._timeout = timeout
        self._extra = dict(headers or {})
        self._clock = clock

    def build_request(self, msg: AlertMessage) -> tuple[bytes, dict[str, str]]:
        """Body and headers of one attempt: same webhook-id every time, fresh timestamp."""
        body = encode_body(msg)
        timestamp = int(self._clock())
        headers = {
            **self._extra,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg.alert_id,
            "webhook-timestamp": str(timestamp),
        }
        if self._key is not None:
            headers["webhook-signature"] = sign(self._key, msg.alert_id, timestamp, body)
        return body, headers

    def send(self, msg: AlertMessage) -> Attempt:
        """POST the alert; 2xx is delivered, 410 disables the endpoint, the rest is retried."""
        body, headers = self.build_request(msg)
        try:
            response = self._client.post(
                self.url, content=body, headers=headers, timeout=self._timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return Attempt.failure(_describe_transport_error(exc, self.url, self._timeout))
        code = response.status_code
        if 200 <= code < 300:
            return Attempt.success(code)
        reason = f"HTTP {code} {response.reason_phrase}".rstrip()
        snippet = clean_line(response.text[:200]) if response.content else ""
        if code == 410:
            return Attempt.failure(
                f"{reason}: the receiver says this endpoint is gone; disable it",
                status_code=code,
                permanent=True,
            )
        if 300 <= code < 400:
            target = response.headers.get("location", "?")
            return Attempt.failure(f"{reason}: redirect to {target} not followed", status_code=code)
        detail = f": {snippet}" if snippet else ""
        return Attempt.failure(f"{reason} from the receiver{detail}", status_code=code)


CHANNEL = WebhookChannel
