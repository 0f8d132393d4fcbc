"""Report unwrapping: recovering the original from a user's forward to an abuse box.

Two shapes:

* **attachment** — the forward carries the original as ``message/rfc822`` (or
  an ``.eml``/``.msg`` file with a generic type), or it is an ARF feedback
  report (RFC 5965). The original is extracted byte for byte and analysed;
  forwards of forwards are peeled to a bounded depth.
* **inline** — the original was pasted into the forward's body and its headers
  are lost. The quoted From/Date/Subject/To and body are recovered from the
  forward and the record says ``headers_available = false``.

A message with an attachment that is *not* a report (an attack carrying a
message, a bounce) is left alone: unwrapping needs a forward or report signal.
"""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from pollwatch.config import Limits
from pollwatch.errors import ItemError
from pollwatch.intake.embedded import find_embedded_messages
from pollwatch.intake.inline import recover_inline
from pollwatch.models import ParsedMessage, RecoveredFields
from pollwatch.parse import parse_message

_FORWARD_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|fw|tr|wg|rv|enc|i|doorst|vs|vb|reenv(?:[ií]o)?|"
    r"weitergeleitet|inoltro)\s*:",
    re.IGNORECASE,
)
_REPORT_SUBJECT = re.compile(
    r"\b(?:phish\w*|spam|suspicious|scam|report(?:ed|ing)?|abuse|reportar|sospechos[oa]|"
    r"estafa|fraude)\b",
    re.IGNORECASE,
)


class Unwrapped(msgspec.Struct, frozen=True):
    """What unwrapping found: the original's bytes (attachment) or recovered fields (inline)."""

    kind: str | None  # "attachment" | "inline" | None
    original: bytes | None = None
    reporter: str | None = None
    reported_at: datetime | None = None
    recovered: RecoveredFields | None = None


NOT_A_REPORT = Unwrapped(kind=None)


def looks_like_report(message: ParsedMessage) -> bool:
    """A forward or report signal: Fwd-style subject, report words, or an ARF report."""
    subject = message.subject or ""
    if _FORWARD_SUBJECT.match(subject) or _REPORT_SUBJECT.search(subject):
        return True
    ctype = (message.header("content-type") or "").lower()
    return "multipart/report" in ctype and "feedback-report" in ctype


def unwrap_once(raw: bytes, message: ParsedMessage, limits: Limits) -> Unwrapped:
    """Peel one level of forwarding from a parsed message, if it is a report."""
    if not looks_like_report(message):
        return NOT_A_REPORT
    reporter = message.from_.address if message.from_ else None
    embedded = next(iter(find_embedded_messages(raw, limits)), None)
    if embedded is not None:
        return Unwrapped("attachment", embedded, reporter, message.date)
    recovered = recover_inline(message.body_text)
    if recovered is not None:
        return Unwrapped("inline", None, reporter, message.date, recovered)
    return NOT_A_REPORT


class Peeled(msgspec.Struct, frozen=True):
    """A reported item with every forward peeled off.

    ``raw`` is the original's bytes (the item itself when it is no forward);
    ``parsed`` is None when the original failed to parse, with ``error`` as
    ``(code, reason)``. ``forward`` is the innermost forward, or the inline
    forward whose body quotes the original; ``wrappers`` are the forwards'
    raw bytes, innermost first.
    """

    raw: bytes
    parsed: ParsedMessage | None
    forward: Unwrapped = NOT_A_REPORT
    wrappers: tuple[bytes, ...] = ()
    error: tuple[str, str] | None = None


def peel_reports(raw: bytes, limits: Limits) -> Peeled:
    """Parse ``raw`` and unwrap forwards down to the original, to a bounded depth."""
    wrappers: list[bytes] = []
    forward: Unwrapped = NOT_A_REPORT
    for depth in range(limits.max_forward_depth + 1):
        try:
            parsed = parse_message(raw, limits)
        except ItemError as exc:
            return Peeled(raw, None, forward, tuple(reversed(wrappers)), (exc.code, exc.reason))
        unwrapped = unwrap_once(raw, parsed, limits) if depth < limits.max_forward_depth else (
            NOT_A_REPORT
        )
        if unwrapped.kind == "inline":
            return Peeled(raw, parsed, unwrapped, tuple(reversed(wrappers)))
        if unwrapped.kind != "attachment" or unwrapped.original is None:
            break
        wrappers.append(raw)
        forward = unwrapped
        raw = unwrapped.original
    return Peeled(raw, parsed, forward, tuple(reversed(wrappers)))
