"""Statement clusters: the same warning rewritten by five outlets is one cluster, one alert."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from veille.domain import Statement
from veille.models import Cluster

_WORD = re.compile(r"\w+", re.UNICODE)
# Short function words carry no identity of a statement.
_STOP = frozenset(
    [
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "de",
        "du",
        "d",
        "à",
        "a",
        "au",
        "aux",
        "et",
        "ou",
        "en",
        "dans",
        "sur",
        "pour",
        "par",
        "que",
        "qu",
        "qui",
        "ne",
        "pas",
        "se",
        "sa",
        "son",
        "ses",
        "il",
        "elle",
        "ils",
        "elles",
        "nous",
        "vous",
        "on",
        "est",
        "sont",
        "a",
        "ont",
        "été",
        "avec",
        "ce",
        "cet",
        "cette",
        "ces",
        "y",
        "plus",
        "très",
        "aussi",
    ]
)
JACCARD = 0.4
CONTAINMENT = 0.7


def targets_key(targets: tuple[str, ...] | list[str]) -> str:
    """A stable key for a set of target actors."""
    return ",".join(sorted(set(targets)))


def signature(st: Statement) -> str:
    """The content words of a statement, folded, as a space-separated sorted set."""
    text = st.content or st.sentence
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = {w for w in _WORD.findall(folded) if w not in _STOP and len(w) > 2}
    return " ".join(sorted(words))


def similar(a: str, b: str) -> bool:
    """Whether two signatures say the same thing: rewrites trim, add and reorder words."""
    sa, sb = set(a.split()), set(b.split())
    if not sa or not sb:
        return sa == sb
    common = len(sa & sb)
    if common / len(sa | sb) >= JACCARD:
        return True
    return min(len(sa), len(sb)) >= 4 and common / min(len(sa), len(sb)) >= CONTAINMENT


def assign_cluster(
    session: Session,
    st: Statement,
    seen_at: datetime,
    window: timedelta,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> tuple[Cluster, bool]:
    """Find the cluster this statement repeats within the window, or open a new one.

    Returns the cluster and whether it is new (only a new cluster can alert). Clusters in
    ``exclude`` (opened by the same text) are skipped: one text's statements are distinct acts.
    """
    sig = signature(st)
    key = targets_key(st.targets)
    candidates = session.scalars(
        select(Cluster)
        .where(
            Cluster.type == st.type,
            Cluster.targets_key == key,
            Cluster.speaker_actor.is_(None)
            if st.speaker_actor is None
            else Cluster.speaker_actor == st.speaker_actor,
            Cluster.first_seen >= seen_at - window,
            Cluster.first_seen <= seen_at + window,
        )
        .order_by(Cluster.first_seen)
    ).all()
    for cluster in candidates:
        if cluster.id not in exclude and similar(cluster.signature, sig):
            return cluster, False
    cluster = Cluster(
        speaker_actor=st.speaker_actor,
        type=st.type,
        targets_key=key,
        signature=sig,
        first_seen=seen_at,
    )
    session.add(cluster)
    session.flush()
    return cluster, True
