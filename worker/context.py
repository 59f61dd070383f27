"""Building a worker's parts once per process: database, extractor, rules and channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from veille.db import make_engine, migrate, session_factory
from veille.models import Rule as RuleRow
from veille.settings import Settings
from worker.delivery import get_channel
from worker.pipeline import PipelineContext, StatementExtractor
from worker.rules import Rule, load_rules

log = logging.getLogger("veille.worker")


def channel_names(settings: Settings) -> list[str]:
    """The channels every alert goes to, named as stored in the outbox."""
    names = ["console"]
    if settings.webhook_url:
        names.append(f"webhook:{settings.webhook_url}")
    if settings.smtp_host and settings.email_to:
        names.append("email")
    names.extend(f"apprise:{url}" for url in settings.apprise_urls)
    return names


def email_config(settings: Settings, to: tuple[str, ...]) -> Any:
    """SMTP configuration for alert and digest emails."""
    from worker.delivery.email import EmailConfig

    assert settings.smtp_host
    return EmailConfig(
        host=settings.smtp_host,
        sender=settings.smtp_from,
        to=tuple(to),
        port=settings.smtp_port,
        security=settings.smtp_security,  # type: ignore[arg-type]  # validated by Settings
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def build_channels(
    settings: Settings, client: httpx.Client, stream: TextIO | None = None
) -> dict[str, Any]:
    """Channel objects by outbox name, built from the settings (clients passed in)."""
    channels: dict[str, Any] = {}
    for name in channel_names(settings):
        kind, _, target = name.partition(":")
        cls = get_channel(kind)
        if kind == "console":
            channels[name] = cls(stream)
        elif kind == "webhook":
            channels[name] = cls(target, client, secret=settings.webhook_secret)
        elif kind == "email":
            channels[name] = cls(email_config(settings, settings.email_to))
        elif kind == "apprise":
            channels[name] = cls([target])
    return channels


def stored_rules(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Rules users added with `veille rules add`."""
    with sessions() as session:
        return [
            dict(r.definition, name=r.name)
            for r in session.scalars(select(RuleRow).where(RuleRow.enabled.is_(True)))
        ]


def rules_in_force(settings: Settings, sessions: sessionmaker[Session]) -> list[Rule]:
    """Configured and stored rules together; the default rule when there are none."""
    return load_rules([*settings.rules, *stored_rules(sessions)])


@dataclass
class Runtime:
    """Everything one process needs, built once: pass it around, never look it up."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    http: httpx.Client
    channels: dict[str, Any]
    _extractor: StatementExtractor | None = field(default=None, repr=False)

    @property
    def extractor(self) -> StatementExtractor:
        """The extractor with its spaCy model, loaded on first use and kept for the process."""
        if self._extractor is None:
            from worker.extract import Extractor, load_model

            log.info("loading spaCy model %s", self.settings.spacy_model)
            self._extractor = Extractor(load_model(self.settings.spacy_model))
        return self._extractor

    def pipeline(self) -> PipelineContext:
        """A pipeline context with the rules and channels as they stand now.

        Alerts still get a delivery row for a channel disabled by a 410 Gone, held until
        the channel is enabled again, so nothing is lost while it is off.
        """
        from worker.holds import disabled_channels

        disabled = disabled_channels(self.sessions)
        return PipelineContext(
            sessions=self.sessions,
            extractor=self.extractor,
            rules=rules_in_force(self.settings, self.sessions),
            channels=list(self.channels),
            held=frozenset(c for c in self.channels if c in disabled),
            window=timedelta(days=self.settings.dedupe_window_days),
            max_attempts=self.settings.item_attempts,
        )

    def close(self) -> None:
        """Release connections."""
        self.http.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings, stream: TextIO | None = None, extractor: StatementExtractor | None = None
) -> Runtime:
    """Open the database (migrated), the HTTP client and the channels for this process."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    http = httpx.Client(
        timeout=httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout)),
        headers={"User-Agent": settings.user_agent},
    )
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        http=http,
        channels=build_channels(settings, http, stream),
        _extractor=extractor,
    )
