"""Console channel: one readable block per alert on a stream, for development and the demo."""

from __future__ import annotations

import sys
from typing import TextIO

from veille.domain import AlertMessage, Source
from worker.delivery import Attempt, clean_line, speaker_label, targets_label

__all__ = ["CHANNEL", "ConsoleChannel", "format_alert", "unique_sources"]


def unique_sources(msg: AlertMessage) -> list[Source]:
    """The alert's item followed by the other outlets, each once, so links are not repeated."""
    seen: set[tuple[str | None, str]] = set()
    out: list[Source] = []
    for src in (msg.item, *msg.sources):
        key = (src.url, src.title if not src.url else "")
        if key not in seen:
            seen.add(key)
            out.append(src)
    return out


def format_alert(msg: AlertMessage) -> str:
    """The plain-text block for one alert, with control characters from feeds removed."""
    st = msg.statement
    kind = clean_line(st.type).upper() or "STATEMENT"
    rule = clean_line(msg.rule) or "?"
    lines = [f"ALERT [{rule}] {kind}  {speaker_label(msg)} → {targets_label(msg)}"]
    content = clean_line(st.content)
    if content:
        manner = "quote" if st.direct else "reported"
        lines.append(f"  {manner}:    «{content}»")
    sentence = clean_line(st.sentence)
    if sentence:
        lines.append(f"  sentence: {sentence}")
    item = msg.item
    lines.append(f"  item:     {clean_line(item.title) or '(untitled)'}")
    if item.url:
        lines.append(f"            {clean_line(item.url)}")
    others = unique_sources(msg)[1:]
    for src in others:
        where = f" <{clean_line(src.url)}>" if src.url else ""
        lines.append(f"  also in:  {clean_line(src.title) or '(untitled)'}{where}")
    lines.append(f"  alert {clean_line(msg.alert_id)} at {msg.created_at.isoformat()}")
    return "\n".join(lines) + "\n"


class ConsoleChannel:
    """Writes alerts to a text stream (stdout unless another stream is passed in)."""

    kind = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        """Keep the stream; None means the process's stdout at send time."""
        self._stream = stream

    def send(self, msg: AlertMessage) -> Attempt:
        """Print the alert block; a closed or broken stream becomes a failed Attempt."""
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(format_alert(msg) + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            return Attempt.failure(f"could not write to the console stream: {exc}")
        return Attempt.success()


CHANNEL = ConsoleChannel
