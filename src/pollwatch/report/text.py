"""Words and fragments for the report: dates, places, labels and highlighted evidence.

Everything here returns plain strings or :class:`Segment` runs; escaping is the
template's job (Jinja2 autoescape), so no function here produces markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Literal

import msgspec
import phonenumbers
from phonenumbers import geocoder

from pollwatch.analyze.record import Evidence

SegmentKind = Literal["text", "mark", "gap", "slot"]


class Segment(msgspec.Struct, frozen=True):
    """A run of text and how to show it: plain, highlighted evidence, an elision, a slot."""

    text: str
    kind: SegmentKind = "text"


GAP = Segment("…", "gap")

ZONE_LABELS = {
    "sender": "sender side (claimed by the sender, cannot be checked)",
    "internet": "internet",
    "recipient": "recipient's own mail system (trusted)",
    "local": "local delivery step",
}

FIELD_LABELS = {"subject": "Subject", "body": "Message text"}


def when(moment: datetime | None) -> str:
    """``2020-10-19 19:30 UTC``, or an em dash when unknown."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(UTC).strftime("%d %B %Y").lstrip("0")


def span_words(seconds: float) -> str:
    """A duration in a unit that reads well: ``45 s``, ``38 min``, ``3.7 h``, ``4 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def plural(count: int, noun: str, many: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


@cache
def country_name(code: str | None) -> str:
    """English name of an ISO 3166 country code (from phonenumbers' data), or the code itself."""
    if not code or code == "??":
        return "unknown"
    example = phonenumbers.example_number(code.upper())
    name = geocoder.country_name_for_number(example, "en") if example else ""
    return name or code


def country(code: str | None) -> str:
    """``Estonia (EE)``."""
    name = country_name(code)
    return name if name in {"unknown", code} else f"{name} ({code})"


def asn_label(asn: int | None, org: str | None) -> str:
    if asn is None:
        return org or "unknown network"
    return f"AS{asn} {org}" if org else f"AS{asn}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def defang(value: str) -> str:
    """A URL made unclickable for readers and PDF viewers: ``hxxps://evil[.]example/x``."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    host, slash, path = rest.partition("/")
    scheme = re.sub("^http", "hxxp", scheme, flags=re.IGNORECASE)
    return f"{scheme}://{host.replace('.', '[.]')}{slash}{path}"


def join_words(items: Sequence[str], last: str = "and", sep: str = ", ") -> str:
    """``a, b and c``; use ``sep="; "`` when the items may hold commas themselves."""
    if len(items) <= 1:
        return "".join(items)
    return f"{sep.join(items[:-1])} {last} {items[-1]}"


def field_label(field: str) -> str:
    if field.startswith("sender."):
        return "Sender analysis"
    return FIELD_LABELS.get(field, field)


def highlight(text: str, spans: Iterable[Evidence]) -> tuple[Segment, ...] | None:
    """``text`` with the spans marked, or None when a span does not match the text."""
    ranges = sorted((e.start, e.end) for e in spans)
    for evidence in spans:
        if text[evidence.start : evidence.end] != evidence.text:
            return None
    out: list[Segment] = []
    cursor = 0
    for start, end in _merge(ranges):
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], "mark"))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return tuple(out)


def fragments(spans: Iterable[Evidence]) -> tuple[Segment, ...]:
    """Evidence from a text the report does not hold, in order, with gaps elided.

    Overlapping spans are joined when their offsets agree with their texts.
    """
    pieces: list[tuple[int, int, str]] = []
    for evidence in sorted(spans, key=lambda e: (e.start, e.end)):
        if pieces and _joinable(pieces[-1], evidence):
            start, end, text = pieces[-1]
            extra = evidence.text[end - evidence.start :] if evidence.end > end else ""
            pieces[-1] = (start, max(end, evidence.end), text + extra)
        else:
            pieces.append((evidence.start, evidence.end, evidence.text))
    out: list[Segment] = []
    for number, (start, _, text) in enumerate(pieces):
        if number or start > 0:
            out.append(GAP)
        out.append(Segment(text, "mark"))
    out.append(GAP)
    return tuple(out)


def template_segments(text: str, slots: Iterable[str]) -> tuple[Segment, ...]:
    """A template's text with its ``{slot}`` markers (only the known slot names) split out."""
    names = set(slots)
    out: list[Segment] = []
    cursor = 0
    for match in re.finditer(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", text):
        if match.group(1) not in names:
            continue
        if match.start() > cursor:
            out.append(Segment(text[cursor : match.start()]))
        out.append(Segment(match.group(1), "slot"))
        cursor = match.end()
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return tuple(out)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _joinable(piece: tuple[int, int, str], evidence: Evidence) -> bool:
    start, end, text = piece
    consistent = len(text) == end - start and len(evidence.text) == evidence.end - evidence.start
    if not consistent or evidence.start > end:
        return False
    overlap = evidence.text[: max(0, min(end, evidence.end) - evidence.start)]
    return text[evidence.start - start : evidence.start - start + len(overlap)] == overlap
