"""Alert delivery channels: one module per channel kind behind a small registry.

Every channel class is built from its own configuration (plus any client it needs, passed in)
and exposes ``send(msg: AlertMessage) -> Attempt``; ``send`` reports network failures in the
returned ``Attempt`` instead of raising, so the caller can record them and schedule a retry.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from veille.domain import AlertMessage

__all__ = [
    "CHANNEL_MODULES",
    "Attempt",
    "Channel",
    "clean_line",
    "get_channel",
    "headline",
    "kinds",
    "speaker_label",
    "targets_label",
]

# kind name -> module under worker.delivery; each module names its class in ``CHANNEL``.
# Imported lazily, so that e.g. apprise is only loaded when an apprise channel is used.
CHANNEL_MODULES: dict[str, str] = {
    "console": "worker.delivery.console",
    "webhook": "worker.delivery.webhook",
    "email": "worker.delivery.email",
    "apprise": "worker.delivery.apprise_channel",
}


def _utcnow() -> datetime:
    """The attempt time, always timezone-aware UTC so stored times compare correctly."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt, stored by the caller and used to plan retries."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    at: datetime = field(default_factory=_utcnow)
    permanent: bool = False
    retryable: bool = False

    @classmethod
    def success(cls, status_code: int | None = None) -> Attempt:
        """A delivered alert: nothing to retry."""
        return cls(ok=True, status_code=status_code)

    @classmethod
    def failure(
        cls, error: str, *, status_code: int | None = None, permanent: bool = False
    ) -> Attempt:
        """A failed attempt: retryable unless the endpoint told us it is gone for good."""
        return cls(
            ok=False,
            status_code=status_code,
            error=error,
            permanent=permanent,
            retryable=not permanent,
        )


class Channel(Protocol):
    """What the worker relies on: any channel can deliver one alert and say how it went."""

    def send(self, msg: AlertMessage) -> Attempt:
        """Deliver one alert; never raises for network problems."""
        ...


def kinds() -> tuple[str, ...]:
    """The channel kinds a rule may name, for validating configuration."""
    return tuple(CHANNEL_MODULES)


def get_channel(kind: str) -> type:
    """The channel class for a kind name, so configuration can pick a channel by name."""
    try:
        module_name = CHANNEL_MODULES[kind]
    except KeyError:
        known = ", ".join(sorted(CHANNEL_MODULES))
        raise ValueError(f"unknown channel kind {kind!r} (known: {known})") from None
    module = importlib.import_module(module_name)
    return module.CHANNEL


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean_line(text: str | None) -> str:
    """Untrusted feed text made safe for one line: no control characters, no line breaks."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub(" ", text).split())


def speaker_label(msg: AlertMessage) -> str:
    """Who spoke, as people read it: ``Name (ACTOR)``, or whichever part is known."""
    st = msg.statement
    name = clean_line(st.speaker)
    actor = clean_line(st.speaker_actor)
    if name and actor:
        return f"{name} ({actor})"
    return name or actor or "unknown speaker"


def targets_label(msg: AlertMessage) -> str:
    """Whom the statement is aimed at, comma-separated, or a dash when nobody is named."""
    targets = [clean_line(t) for t in msg.statement.targets if clean_line(t)]
    return ", ".join(targets) if targets else "—"


def headline(msg: AlertMessage) -> str:
    """The one-line summary shared by the console, the email subject and Apprise titles."""
    kind = clean_line(msg.statement.type).upper() or "STATEMENT"
    return f"{kind} — {speaker_label(msg)} → {targets_label(msg)}"
