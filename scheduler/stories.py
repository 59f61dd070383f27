"""Stories: the same dispatch carried by several outlets is one story, extracted once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scheduler.dedupe import exact_fingerprint
from veille.domain import FeedEntry


def story_fingerprint(session: Session, entry: FeedEntry) -> str:
    """The fingerprint of the story this entry tells (exact wire text, normalised)."""
    return exact_fingerprint(entry.text)
