"""Redaction of recipient personal data: the one function every export and view uses.

``redact(text, items, mode="mask")`` replaces each span or value with
``[REDACTED:<field>]``; ``mode="hash"`` replaces it with
``[<field>:<12 hex>]``, an HMAC-SHA256 of the normalised value under ``key``,
so the same address gives the same token across messages and exports (records
can still be linked) without revealing it. Hashing needs a key: an unkeyed hash
of a name or street address can be reversed by trying a voter file.

``items`` may mix :class:`Personalization` / :class:`Evidence` records (their
``start``/``end`` are used), ``(start, end)`` or ``(start, end, field)`` tuples,
and plain strings (every case-insensitive occurrence is replaced).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from pollwatch.analyze.record import Evidence, Personalization
from pollwatch.errors import UsageError

Mode = Literal["mask", "hash"]
Item = Personalization | Evidence | tuple[int, int] | tuple[int, int, str] | str


def normalise_value(value: str) -> str:
    """Case, accents and spacing removed, so 'Main St.' and 'main st' hash alike."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^\w@.+-]+", " ", bare).split()
    return " ".join(w.strip(".-") for w in words if w.strip(".-"))


def token(value: str, field: str = "pii", mode: Mode = "mask", key: bytes | None = None) -> str:
    """What one value is replaced with."""
    if mode == "mask":
        return f"[REDACTED:{field}]"
    if mode != "hash":
        raise UsageError(f"unknown redaction mode {mode!r}; use mask or hash")
    if not key:
        raise UsageError("hash redaction needs a secret key")
    digest = hmac.new(key, normalise_value(value).encode(), hashlib.sha256).hexdigest()
    return f"[{field}:{digest[:12]}]"


def _spans(text: str, items: Iterable[Item]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for item in items:
        if isinstance(item, Personalization | Evidence):
            field = item.field if isinstance(item, Personalization) else "text"
            spans.append((item.start, item.end, field))
        elif isinstance(item, str):
            if item.strip():
                pattern = re.escape(item.strip())
                spans.extend((m.start(), m.end(), "pii") for m in re.finditer(pattern, text, re.I))
        else:
            field = item[2] if len(item) == 3 else "pii"
            spans.append((item[0], item[1], field))
    clamped = [(max(0, s), min(len(text), e), f) for s, e, f in spans]
    return [(s, e, f) for s, e, f in clamped if e > s]


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, field in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, field))
    return merged


def redact(
    text: str,
    spans_or_values: Iterable[Item],
    mode: Mode = "mask",
    key: bytes | str | None = None,
) -> str:
    """``text`` with every given span or value replaced by a mask or a keyed hash."""
    raw_key = key.encode() if isinstance(key, str) else key
    if mode == "hash" and not raw_key:
        raise UsageError("hash redaction needs a secret key")
    out: list[str] = []
    pos = 0
    for start, end, field in _merge(_spans(text, spans_or_values)):
        out.append(text[pos:start])
        out.append(token(text[start:end], field, mode, raw_key))
        pos = end
    out.append(text[pos:])
    return "".join(out)
