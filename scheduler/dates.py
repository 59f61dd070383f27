"""Read the dates French feeds actually publish (RFC 822 with quirks, ISO 8601) as aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1,
    "feb": 2, "fev": 2, "fév": 2, "févr": 2, "fevr": 2, "février": 2, "fevrier": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3,
    "apr": 4, "avr": 4, "avril": 4, "april": 4,
    "may": 5, "mai": 5,
    "jun": 6, "juin": 6, "june": 6,
    "jul": 7, "juil": 7, "juillet": 7, "july": 7,
    "aug": 8, "aoû": 8, "aou": 8, "août": 8, "aout": 8, "august": 8,
    "sep": 9, "sept": 9, "septembre": 9, "september": 9,
    "oct": 10, "octobre": 10, "october": 10,
    "nov": 11, "novembre": 11, "november": 11,
    "dec": 12, "déc": 12, "décembre": 12, "decembre": 12, "december": 12,
}  # fmt: skip

ZONES = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0, "wet": 0,
    "bst": 60, "west": 60, "cet": 60, "met": 60, "cest": 120, "mest": 120,
    "eet": 120, "eest": 180,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
}  # fmt: skip

_RFC822 = re.compile(
    r"""^\s*(?:[^\W\d]+\.?,?\s*)?              # optional weekday, any language
    (?P<day>\d{1,2})(?:er)?\s+(?P<mon>[^\W\d]+)\.?,?\s+(?P<year>\d{2,4}),?
    (?:\s+(?P<h>\d{1,2})[:h](?P<m>\d{2})(?::(?P<s>\d{2}))?(?:[.,]\d+)?)?
    \s*(?P<tz>[+-]\d{1,2}:?\d{2}|[+-]\d{1,2}|[^\W\d]{1,5})?\s*$""",
    re.VERBOSE,
)
_ISO_SPACE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]")


def two_digit_year(year: int) -> int:
    """RFC 2822 rule for two-digit years: 00-49 are 2000-2049, 50-99 are 1950-1999."""
    if year >= 100:
        return year
    return 2000 + year if year < 50 else 1900 + year


def _offset_minutes(tz: str | None) -> tuple[int, str | None]:
    if not tz:
        return 0, "no time zone, read as UTC"
    low = tz.lower()
    if low in ZONES:
        return ZONES[low], None
    if tz[0] in "+-":
        digits = tz[1:].replace(":", "")
        if len(digits) <= 2:
            hours, minutes = int(digits), 0
        else:
            hours, minutes = int(digits[:-2]), int(digits[-2:])
        sign = -1 if tz[0] == "-" else 1
        if minutes % 15 or minutes >= 60 or hours > 14:
            return 0, f"implausible UTC offset {tz}, read as UTC"
        return sign * (hours * 60 + minutes), None
    return 0, f"unknown time zone {tz!r}, read as UTC"


def _from_rfc822(value: str) -> tuple[datetime | None, str | None]:
    m = _RFC822.match(value)
    if not m:
        return None, None
    month = MONTHS.get(m["mon"].lower().rstrip("."))
    if month is None:
        return None, None
    year = two_digit_year(int(m["year"]))
    offset, note = _offset_minutes(m["tz"])
    try:
        local = datetime(
            year, month, int(m["day"]), int(m["h"] or 0), int(m["m"] or 0), int(m["s"] or 0)
        )
    except ValueError:
        return None, f"impossible date {value!r}"
    return (local - timedelta(minutes=offset)).replace(tzinfo=UTC), note


def _from_iso(value: str) -> tuple[datetime | None, str | None]:
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None, None
    text = _ISO_SPACE.sub(r"\1T", text)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None, None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC), "no time zone, read as UTC"
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes % 15 or abs(minutes) > 14 * 60:
        return when.replace(tzinfo=UTC), f"implausible UTC offset in {value!r}, read as UTC"
    return when.astimezone(UTC), None


def parse_date(value: str | None) -> tuple[datetime | None, str | None]:
    """(aware UTC datetime or None, note on any guess made) for a feed date string."""
    if not value or not value.strip():
        return None, None
    for reader in (_from_rfc822, _from_iso):
        when, note = reader(value)
        if when is not None or note is not None:
            return when, note
    return None, f"unreadable date {value.strip()[:60]!r}"


def to_utc(value: str | None) -> datetime | None:
    """Just the UTC datetime of a feed date string, or None."""
    return parse_date(value)[0]
