"""JSON-lines batch runner: `{"id","text"[,"published"]}` in, `{"id","statements"}` out.

Every input line is read and judged alone: a line that is not UTF-8, not a JSON object, or
without a string `text` gets an `{"id","error"}` record in its place and is reported (with
its line number) to `on_error`; the lines around it are extracted as if it were not there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

from .extractor import Extractor
from .parts import cut

ErrorReport = Callable[[int, str], None]

# a lone surrogate (JSON allows "\ud800") is no character: spaCy cannot hash it
_SURROGATE = re.compile("[\ud800-\udfff]")


def _published(value: Any) -> date | None:
    """Accept ISO dates and datetimes; anything else is an error for that line."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published must be an ISO date string, not {type(value).__name__}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"published is not an ISO date: {value[:40]!r}") from None


def _decoded(line: str | bytes) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"not UTF-8: byte 0x{line[e.start]:02x} at byte {e.start + 1} of the line"
        ) from None


def _parse(line: str, n: int) -> tuple[str, str, date | None, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg} at character {e.pos + 1}") from None
    except RecursionError:
        raise ValueError("not JSON this runner reads: nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object but a {type(obj).__name__}")
    doc_id = str(obj.get("id", f"line-{n}"))
    text = obj.get("text")
    if not isinstance(text, str):
        got = "missing or null" if text is None else f"a {type(text).__name__}, not a string"
        raise ValueError(f"{doc_id}: 'text' is {got}")
    bad = _SURROGATE.search(text)
    if bad:
        raise ValueError(
            f"{doc_id}: 'text' holds a lone surrogate \\u{ord(bad.group()):04x} "
            f"at character {bad.start() + 1}, not a character"
        )
    kept, warning = cut(text)  # read as far as the cap, and say so in the output
    return doc_id, kept, _published(obj.get("published")), warning


def _record(rec: dict[str, Any]) -> str:
    """One output line; ids or texts that cannot be UTF-8 are kept as JSON escapes."""
    line = json.dumps(rec, ensure_ascii=False)
    if _SURROGATE.search(line):
        line = json.dumps(rec)
    return line + "\n"


def run_jsonl(
    infile: IO[str] | IO[bytes] | Iterable[str | bytes],
    outfile: IO[str],
    extractor: Extractor,
    batch_size: int = 32,
    on_error: ErrorReport | None = None,
) -> int:
    """Extract every line of `infile` (text or bytes) into `outfile`, one record per line.

    A line that cannot be read gets an `{"id","error"}` record, and `on_error(line number,
    message)` is called, so one bad line never costs the others. Returns the records written.
    """
    good: list[tuple[str, str, date | None, str | None]] = []
    count = 0

    def flush() -> Iterator[None]:
        items = [(text, pub) for _, text, pub, _ in good]
        for (doc_id, _, _, warning), sts in zip(
            good, extractor.extract_many(items, batch_size), strict=True
        ):
            rec: dict[str, Any] = {"id": doc_id, "statements": [s.to_json() for s in sts]}
            if warning:
                rec["warning"] = warning
            outfile.write(_record(rec))
            yield None

    for n, raw in enumerate(infile, 1):
        if not raw.strip():
            continue
        line = ""
        try:
            line = _decoded(raw)
            good.append(_parse(line, n))
        except ValueError as e:
            for _ in flush():
                count += 1
            good.clear()
            message = str(e)[:300]
            outfile.write(_record({"id": _safe_id(line, n), "error": message}))
            count += 1
            if on_error is not None:
                on_error(n, message)
            continue
        if len(good) >= batch_size:
            for _ in flush():
                count += 1
            good.clear()
    for _ in flush():
        count += 1
    return count


def _safe_id(line: str, n: int) -> str:
    try:
        obj = json.loads(line)
        if isinstance(obj, dict) and "id" in obj:
            return str(obj["id"])
    except (ValueError, RecursionError):
        pass
    return f"line-{n}"
