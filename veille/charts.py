"""The escalation chart: warnings and demands per day for each pair of actors, as a PNG.

Drawn with matplotlib's Agg backend (no display, no browser), so the same image serves the
timeline page and the digest email, where it travels as an inline ``cid:`` part.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from veille.web.queries import StatementFilter, escalation_counts

MAX_PAIRS = 6
COLOURS = ("#b2182b", "#2166ac", "#e08214", "#1b7837", "#762a83", "#4d4d4d", "#8c8c8c")


@dataclass(frozen=True)
class Series:
    """Counts per day for each pair of actors, the busiest pairs first (the rest as 'other')."""

    days: list[date]
    pairs: dict[str, list[int]]

    @property
    def empty(self) -> bool:
        """True when there is nothing to draw."""
        return not any(any(v) for v in self.pairs.values())

    def total(self, day: date) -> int:
        """All warnings and demands of one day."""
        i = self.days.index(day)
        return sum(v[i] for v in self.pairs.values())


def escalation_series(
    session: Session, f: StatementFilter, tz: str, last: date, days: int = 14
) -> Series:
    """The series for ``days`` local days ending on ``last``, with the timeline's filters."""
    first = last - timedelta(days=days - 1)
    counts = escalation_counts(session, f, tz, first, last)
    span = [first + timedelta(days=i) for i in range(days)]
    totals: dict[str, int] = {}
    for pairs in counts.values():
        for pair, n in pairs.items():
            totals[pair] = totals.get(pair, 0) + n
    ranked = sorted(totals, key=lambda p: (-totals[p], p))
    keep, rest = ranked[:MAX_PAIRS], ranked[MAX_PAIRS:]
    series = {p: [counts.get(d, {}).get(p, 0) for d in span] for p in keep}
    if rest:
        series["other"] = [sum(counts.get(d, {}).get(p, 0) for p in rest) for d in span]
    return Series(days=span, pairs=series)


def render_png(series: Series, title: str = "Warnings and demands per day") -> bytes:
    """Grouped bars (one colour per pair), day labels under them; a note when empty."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 3.2), dpi=100)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11, loc="left")
    pairs = list(series.pairs.items())
    positions = range(len(series.days))
    if series.empty:
        ax.text(
            0.5,
            0.5,
            "No warnings or demands in this period",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#555555",
        )
    else:
        width = 0.8 / max(1, len(pairs))
        for i, (pair, values) in enumerate(pairs):
            offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
            ax.bar(offsets, values, width=width, label=pair, color=COLOURS[i % len(COLOURS)])
        ax.legend(fontsize=8, loc="upper left", frameon=False, ncol=min(3, len(pairs)))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        top = max(max(v) for _, v in pairs)
        ax.set_ylim(0, top * 1.35 + 0.5)
    ax.set_xticks(list(positions))
    ax.set_xticklabels([d.strftime("%d %b") for d in series.days], fontsize=8, rotation=0)
    ax.spines[["top", "right"]].set_visible(False)
    step = max(1, len(series.days) // 8)
    for i, label in enumerate(ax.get_xticklabels()):
        label.set_visible((len(series.days) - 1 - i) % step == 0)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
