"""JSON-lines batch runner: `{"id","text"[,"published"]}` in, `{"id","statements"}` out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from .extractor import Extractor
from .parts import cut


def _published(value: Any) -> date | None:
    """Accept ISO dates and datetimes; anything else is an error for that line."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published must be an ISO date string, not {type(value).__name__}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return date.fromisoformat(value[:10])


def _parse(line: str, n: int) -> tuple[str, str, date | None, str | None]:
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    doc_id = str(obj.get("id", f"line-{n}"))
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{doc_id}: missing or non-string 'text'")
    kept, warning = cut(text)  # read as far as the cap, and say so in the output
    return doc_id, kept, _published(obj.get("published")), warning


def run_jsonl(infile: IO[str], outfile: IO[str], extractor: Extractor, batch_size: int = 32) -> int:
    """Extract every line of `infile` into `outfile`; malformed lines get an error record."""
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
            outfile.write(json.dumps(rec, ensure_ascii=False) + "\n")
            yield None

    for n, line in enumerate(infile, 1):
        if not line.strip():
            continue
        try:
            good.append(_parse(line, n))
        except (ValueError, json.JSONDecodeError) as e:
            for _ in flush():
                count += 1
            good.clear()
            doc_id = _safe_id(line, n)
            outfile.write(
                json.dumps({"id": doc_id, "error": str(e)[:300]}, ensure_ascii=False) + "\n"
            )
            count += 1
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
    except (ValueError, json.JSONDecodeError):
        pass
    return f"line-{n}"
