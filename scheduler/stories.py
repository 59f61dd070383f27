"""Stories: the same dispatch carried by several outlets is one story, extracted once.

Exact copies share the fingerprint of their normalised text; light rewrites are found through
MinHash LSH buckets stored per story, then confirmed on the estimated similarity.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.dedupe import (
    band_keys,
    fingerprint_normalised,
    is_near_duplicate,
    minhash,
    normalise_text,
    signature_from_bytes,
    signature_to_bytes,
    word_shingles,
)
from veille.models import Story, StoryBand

# Below this many words a text is a headline: only exact copies are the same story.
MIN_WORDS_FOR_NEAR = 25
# Rewrites of one dispatch appear within hours; weekly series look alike across weeks.
NEAR_WINDOW = timedelta(days=2)


def insert_id(session: Session, statement: Insert) -> int:
    """Run a one-row Core insert and return its new primary key (RETURNING where the database
    has it, the cursor's last row id on SQLite, which may predate RETURNING)."""
    result = cast(CursorResult[Any], session.execute(statement))
    key = result.inserted_primary_key
    assert key is not None and key[0] is not None
    return int(key[0])


def assign_story(session: Session, text: str) -> tuple[int, str]:
    """The story this text tells (an existing one or a new one), and its exact fingerprint."""
    words = normalise_text(text).split()
    fingerprint = fingerprint_normalised(" ".join(words))
    story_id = session.scalar(select(Story.id).where(Story.fingerprint == fingerprint))
    if story_id is not None:
        return story_id, fingerprint
    near = len(words) >= MIN_WORDS_FOR_NEAR
    signature = minhash(word_shingles(words)) if near else None
    bands = band_keys(signature) if signature else []
    if signature:
        candidates = session.scalars(
            select(Story)
            .where(Story.id.in_(select(StoryBand.story_id).where(StoryBand.band.in_(bands))))
            .order_by(Story.id)
        ).all()
        for story in candidates:
            if story.signature and is_near_duplicate(
                signature, signature_from_bytes(story.signature)
            ):
                return story.id, fingerprint
    try:
        with session.begin_nested():  # Core inserts: no unit-of-work flush per story
            values = {
                "fingerprint": fingerprint,
                "signature": signature_to_bytes(signature) if signature else None,
            }
            new_id = insert_id(session, insert(Story).values(values))
            if bands:
                rows = [{"band": b, "story_id": new_id} for b in sorted(set(bands))]
                session.execute(insert(StoryBand), rows)
    except IntegrityError:  # the same text stored meanwhile by another poller
        existing = session.scalar(select(Story.id).where(Story.fingerprint == fingerprint))
        assert existing is not None
        return existing, fingerprint
    return new_id, fingerprint
