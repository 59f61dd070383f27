"""Apprise channel: Slack, Telegram, Matrix, Discord, ntfy … via Apprise URLs, no own clients."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import apprise

from veille.domain import AlertMessage
from worker.delivery import Attempt, clean_line, headline
from worker.delivery.console import format_alert

__all__ = ["CHANNEL", "AppriseChannel"]

# Apprise 2 added a per-call deadline and rich results; Apprise 1.x returns a bool.
_NOTIFY_HAS_TIMEOUT = "timeout" in inspect.signature(apprise.Apprise.notify).parameters


class AppriseChannel:
    """Sends the alert's text block to every configured Apprise URL (all must accept it)."""

    kind = "apprise"

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        client: apprise.Apprise | None = None,
        timeout: float | None = None,
    ) -> None:
        """Load the URLs now, so a typo fails at startup; ``client`` may carry an asset/config."""
        self._apprise = client if client is not None else apprise.Apprise()
        self._timeout = timeout
        for url in [urls] if isinstance(urls, str) else list(urls):
            if not self._apprise.add(url):
                scheme = url.split("://", 1)[0] if "://" in url else "?"
                # the URL itself is not echoed: it usually embeds a token
                raise ValueError(f"Apprise does not understand a {scheme}:// URL given")
        if len(self._apprise) == 0:
            raise ValueError("Apprise channel needs at least one URL")

    def describe(self) -> list[str]:
        """The configured services with secrets masked, for logs and the UI."""
        return [service.url(privacy=True) for service in self._apprise]

    def send(self, msg: AlertMessage) -> Attempt:
        """Notify every service; any failure makes the whole attempt retryable."""
        use_timeout = self._timeout is not None and _NOTIFY_HAS_TIMEOUT
        kwargs: dict[str, Any] = {"timeout": self._timeout} if use_timeout else {}
        try:
            result = self._apprise.notify(
                body=format_alert(msg),
                title=f"[Veille] {headline(msg)}",
                notify_type=apprise.NotifyType.WARNING,
                body_format=apprise.NotifyFormat.TEXT,
                **kwargs,
            )
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not kill the delivery loop
            return Attempt.failure(f"Apprise raised {type(exc).__name__}: {exc}")
        if result:
            return Attempt.success()
        logs = [clean_line(e.message) for e in result.logs()] if hasattr(result, "logs") else []
        failed = getattr(result, "failed_count", None)
        total = len(self._apprise)
        head = (
            f"Apprise: {failed} of {total} service(s) failed"
            if failed is not None
            else (f"Apprise: delivery to {total} service(s) failed")
        )
        detail = "; ".join(dict.fromkeys(m for m in logs if m))[:500]
        return Attempt.failure(f"{head}: {detail}" if detail else head)


CHANNEL = AppriseChannel
