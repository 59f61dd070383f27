"""Send any prepared EmailMessage (e.g. the daily digest) through the email channel's SMTP code.

The email channel owns connection security, login and the reading of SMTP errors; this module
only hands it a finished message, so there is one SMTP client in Veille, not two.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any, cast

from veille.domain import AlertMessage
from veille.settings import Settings
from worker.delivery import Attempt
from worker.delivery.email import EmailChannel, EmailConfig

__all__ = ["send_email", "smtp_config"]


class _PreparedMessage(EmailChannel):
    """The email channel, sending a message built elsewhere instead of an alert's."""

    def __init__(self, config: EmailConfig, message: EmailMessage, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._message = message

    def build_message(self, msg: AlertMessage, now: datetime | None = None) -> EmailMessage:
        """The prepared message, whatever the alert."""
        return self._message


def smtp_config(settings: Settings, to: Sequence[str]) -> EmailConfig:
    """The SMTP settings of Veille (smtp_* keys) for these recipients; raises when unusable."""
    if not settings.smtp_host:
        raise ValueError("no SMTP server configured: set VEILLE_SMTP_HOST (or --smtp-host)")
    return EmailConfig(
        host=settings.smtp_host,
        sender=settings.smtp_from,
        to=tuple(to),
        port=settings.smtp_port,
        security=settings.smtp_security,  # type: ignore[arg-type]
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def send_email(
    config: EmailConfig,
    message: EmailMessage,
    *,
    ssl_context: ssl.SSLContext | None = None,
    local_hostname: str | None = None,
) -> Attempt:
    """Send a finished message to config.to; failures come back in the Attempt, never raised."""
    channel = _PreparedMessage(
        config, message, ssl_context=ssl_context, local_hostname=local_hostname
    )
    return channel.send(cast(AlertMessage, None))
