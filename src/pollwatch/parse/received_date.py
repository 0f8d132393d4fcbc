"""Dates of Received header values (the text after the last top-level ``;``).

Entry points: :func:`read_date` (the date text -> an aware UTC timestamp, the
raw text and a queue id written after the date) and :func:`find_date` (where
a date starts in a value written without a ``;``). The RFC 5322 form is tried
first, then ISO 8601, ctime, month-day-year with AM/PM and ``dd/mm/yyyy``. A
missing, unknown or impossible zone is read as UTC and recorded as a defect.
See ``docs/received.md``.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone

from pollwatch.models import Defect

__all__ = ["find_date", "read_date"]

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "AST": -240, "ADT": -180, "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "MEZ": 60, "MESZ": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "WIB": 420, "ICT": 420, "SGT": 480,
    "HKT": 480, "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "AEST": 600,
    "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_RFC_DATE = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[\s-]{1,3}([A-Za-z]{3,9})\.?,?[\s-]{1,3}(\d{2,4}),?\s{1,3}"
    r"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d{1,9})?"
    r"(?:\s{0,3}([+-]\d\d:?\d\d|[A-Za-z]{1,5}\b))?"
)
_CTIME_DATE = re.compile(  # ``Fri Sep  6 18:13:52 2002 -0000``
    r"([A-Za-z]{3})\s{1,3}(\d{1,2})\s{1,3}(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s{1,3}(?:([A-Za-z]{1,5})\s{1,3})?(\d{4})(?:\s{1,3}([+-]\d\d:?\d\d|[A-Za-z]{1,5}\b))?"
)
_MDY_DATE = re.compile(  # ``Sep, 20 2002 2:29:37 AM -0800``
    r"([A-Za-z]{3,9})\.?,?\s{1,3}(\d{1,2}),?\s{1,3}(\d{4}),?\s{1,3}(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s{0,3}([AaPp])\.?[Mm]\.?)?(?:\s{0,3}([+-]\d\d:?\d\d|[A-Za-z]{1,5}\b))?"
)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?"
    r"\s?([+-]\d\d:?\d\d|Z\b|UTC\b|GMT\b)?"
)
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}),?\s{1,3}(\d{1,2}):(\d{2})(?::(\d{2}))?")
_TRAILING_ID = re.compile(r"\bid\s{1,3}([^\s;()]{1,200})")
_DATE_SCAN = 160  # characters of date text examined


def find_date(text: str) -> int | None:
    starts = [m.start() for p in (_RFC_DATE, _ISO_DATE) if (m := p.search(text)) is not None]
    if not starts:
        return None
    start = min(starts)
    weekday = re.search(r"[A-Za-z]{3},?\s{1,3}$", text[max(0, start - 6) : start])
    return start - len(weekday.group()) if weekday else start


def read_date(
    date_text: str | None, defects: list[Defect]
) -> tuple[datetime | None, str | None, str | None]:
    """The timestamp (aware UTC), the raw date text and an id written after the date."""
    if date_text is None or not date_text:
        defects.append(Defect("received.date_missing", "no date after the clauses"))
        return None, None, None
    stamp, stamp_raw, trailing, found = _read_date(date_text)
    defects.extend(found)
    return stamp, stamp_raw, trailing


@functools.lru_cache(maxsize=4096)
def _read_date(
    date_text: str,
) -> tuple[datetime | None, str, str | None, tuple[Defect, ...]]:
    """:func:`read_date` of a non-empty text, remembered: the hops of one message and
    of one sender's burst often share their timestamp text."""
    defects: list[Defect] = []
    head = date_text[:_DATE_SCAN]
    stamp, end = _match_date(head, defects)
    if stamp is None:
        defects.append(Defect("received.date_unparseable", head[:80]))
    trailing = _TRAILING_ID.search(date_text, end) if end else None
    return stamp, date_text[:200], trailing.group(1) if trailing else None, tuple(defects)


def _match_date(text: str, defects: list[Defect]) -> tuple[datetime | None, int]:
    if (m := _RFC_DATE.search(text)) is not None:
        day, month, year, hour, minute, second, zone = m.groups()
        return _build_date(year, _MONTHS.get(month[:3].lower(), 0), day,
                           (hour, minute, second), zone, defects), m.end()  # fmt: skip
    if (m := _ISO_DATE.search(text)) is not None:
        year, month, day, hour, minute, second, zone = m.groups()
        return _build_date(year, int(month), day, (hour, minute, second), zone, defects), m.end()
    if (m := _CTIME_DATE.search(text)) is not None:
        month, day, hour, minute, second, zone, year, after = m.groups()
        return _build_date(year, _MONTHS.get(month.lower(), 0), day,
                           (hour, minute, second), zone or after, defects), m.end()  # fmt: skip
    if (m := _MDY_DATE.search(text)) is not None:
        month, day, year, hour, minute, second, half, zone = m.groups()
        hour = str(int(hour) % 12 + (12 if half in ("p", "P") else 0)) if half else hour
        return _build_date(year, _MONTHS.get(month[:3].lower(), 0), day,
                           (hour, minute, second), zone, defects), m.end()  # fmt: skip
    if (m := _DMY_DATE.search(text)) is not None:
        day, month, year, hour, minute, second = m.groups()
        return _build_date(year, int(month), day, (hour, minute, second), None, defects), m.end()
    return None, 0


def _build_date(
    year_text: str,
    month: int,
    day: str,
    clock: tuple[str, str, str | None],
    zone: str | None,
    defects: list[Defect],
) -> datetime | None:
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 50 else 1900
    elif len(year_text) == 3:
        year += 1900
    tzinfo, problem = _zone(zone)
    if problem is not None:
        defects.append(Defect(problem, f"{zone or 'no zone'}; read as UTC"))
    try:
        hour, minute, second = int(clock[0]), int(clock[1]), int(clock[2] or 0)
        return datetime(year, month, int(day), hour, minute, second, 0, tzinfo).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@functools.lru_cache(maxsize=512)
def _zone(zone: str | None) -> tuple[timezone, str | None]:
    """The zone and a defect kind; an absent, unknown or impossible zone is read as UTC."""
    if zone is None:
        return UTC, "received.date_no_zone"
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return UTC, "received.date_bad_zone"
        sign = -1 if zone[0] == "-" else 1
        return timezone(timedelta(minutes=sign * (hours * 60 + minutes))), None
    known = _ZONES.get(zone.upper())
    if known is None:
        return UTC, "received.date_unknown_zone"
    return timezone(timedelta(minutes=known)), None
