"""The Jinja environment of the pages and the digest: autoescaped HTML, a few display filters.

Feed text is untrusted: every ``.html`` template is autoescaped, links go through ``href``
(http(s) only) and control characters are dropped; only ``.txt`` templates are not escaped.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from worker.delivery import clean_line
from worker.delivery.email import safe_href

TEMPLATES = Path(__file__).resolve().parent / "templates"


def local_time(when: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in the configured zone, or an em dash when unknown."""
    if when is None:
        return "—"
    return when.astimezone(ZoneInfo(tz)).strftime(fmt)


def day_label(day: date) -> str:
    """``Tuesday 18 January 2022``: how a day heads a section."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def speaker_label(speaker: str | None, actor: str | None) -> str:
    """``Jens Stoltenberg (NATO)``, or whichever part is known."""
    name, actor = clean_line(speaker), clean_line(actor)
    if name and actor:
        return f"{name} ({actor})"
    return name or actor or "unknown speaker"


def unquote(text: str | None) -> str:
    """One line without the quotation marks around it, so the page adds its own only once."""
    line = clean_line(text)
    stripped = line.strip('"«»“”„ \u00a0')
    return stripped if stripped else line


def query_string(params: dict[str, Any], **extra: Any) -> str:
    """Parameters as a query string, dropping empty values (``extra`` overrides)."""
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def make_env() -> Environment:
    """A fresh environment over veille/web/templates with the display filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        line=clean_line,
        unquote=unquote,
        href=safe_href,
        local=local_time,
        day_label=day_label,
        qs=query_string,
    )
    env.globals.update(speaker_label=speaker_label)
    return env
