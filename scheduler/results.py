"""What a fetch needs and returns: plain frozen dataclasses shared by fetch, local and bench."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["ok", "not_modified", "gone", "error"]


@dataclass(frozen=True)
class FetchState:
    """Validators remembered from the previous successful fetch, sent back as conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    """One feed to fetch: its stored URL and the validators from last time."""

    url: str
    state: FetchState = field(default_factory=FetchState)


@dataclass(frozen=True)
class FetchResult:
    """What happened when fetching one feed, with everything the scheduler needs to store."""

    url: str
    kind: Kind
    status: int | None = None
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect_to: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    content_type: str | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def state(self) -> FetchState:
        """The validators to send next time (already merged with the previous ones on 304)."""
        return FetchState(etag=self.etag, last_modified=self.last_modified)


class TooLarge(Exception):
    """Raised internally when a body passes the size cap."""
