"""Analyze: intake -> parse -> unwrap -> :func:`~pollwatch.analyze.analyze_message`.

:func:`analyze_item` is the per-item step; like ingest's, it holds a broad
``except`` that turns any failure into a record with ``errors[]``, so one bad
message never stops a run. :func:`iter_analyses` is the driver over paths.

:func:`parse_headers` parses only a message's header block, for callers that
need the path and the sender fields but not the bodies (benchmarks, quick
triage); its records carry the same header fields as :func:`parse_message`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from pollwatch.analyze import AnalysisContext, analyze_message
from pollwatch.analyze.record import (
    Analysis,
    AuthSection,
    MessageSection,
    PathSection,
    ReportSection,
    SenderSection,
)
from pollwatch.config import Limits
from pollwatch.errors import ItemError, MessageLimitError, NotAMessageError
from pollwatch.intake import iter_items
from pollwatch.intake.containers import Item
from pollwatch.intake.unwrap import Unwrapped, peel_reports
from pollwatch.models import Address, Defect, Header, IngestError, ParsedMessage, SourceRef
from pollwatch.parse import parse_message
from pollwatch.parse.headers import (
    clean_message_id,
    decode_value,
    parse_addresses,
    parse_date,
)
from pollwatch.parse.outlook import is_outlook_msg

__all__ = ["analyze_item", "failed", "iter_analyses", "parse_headers"]


def iter_analyses(
    paths: Iterable[str],
    context: AnalysisContext,
    limits: Limits,
    stdin: BinaryIO | None = None,
) -> Iterator[Analysis]:
    """One record per message found under ``paths`` (failures included), in order."""
    for item in iter_items(paths, limits, stdin=stdin):
        yield analyze_item(item, context, limits)


def analyze_item(item: Item, context: AnalysisContext, limits: Limits) -> Analysis:
    """Unwrap and analyse one intake item. Never raises: failures become ``errors``."""
    if isinstance(item, IngestError):
        return failed(item.source, item.sha256 or "", f"{item.code}: {item.reason}")
    try:
        raw, parsed, report = _unwrap(item.raw, limits)
        return analyze_message(parsed, context, item.source, report, raw)
    except ItemError as exc:
        return failed(item.source, _sha256(item.raw), f"{exc.code}: {exc.reason}")
    except Exception as exc:  # the per-message wrapper: a bug must not stop the run
        reason = f"internal.error: {type(exc).__name__}: {exc}"[:500]
        return failed(item.source, _sha256(item.raw), reason)


def failed(source: SourceRef, sha256: str, error: str) -> Analysis:
    """The record of a message that could not be analysed."""
    return Analysis(
        source=source,
        message=MessageSection(sha256=sha256, message_id=None, date=None, subject="", from_=None),
        report=ReportSection(),
        path=PathSection(),
        auth=AuthSection(),
        sender=SenderSection(),
        errors=(error,),
    )


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _unwrap(raw: bytes, limits: Limits) -> tuple[bytes, ParsedMessage, ReportSection]:
    """Peel forwards (attachment reports) down to the original; note inline reports."""
    peeled = peel_reports(raw, limits)
    if peeled.parsed is None:
        code, reason = peeled.error or ("message.failed", "")
        raise ItemError(reason, code=code)
    forward = peeled.forward
    if forward.kind is None:
        return peeled.raw, peeled.parsed, ReportSection()
    report = _report(forward, headers_available=forward.kind != "inline")
    return peeled.raw, peeled.parsed, report


def _report(unwrapped: Unwrapped, *, headers_available: bool) -> ReportSection:
    return ReportSection(
        kind="inline" if unwrapped.kind == "inline" else "attachment",
        reporter=unwrapped.reporter,
        reported_at=unwrapped.reported_at,
        headers_available=headers_available,
        recovered=unwrapped.recovered if not headers_available else None,
    )


# --------------------------------------------------------------- header block only

_BLANK_LINE = re.compile(rb"\n\r?\n")
_FOLD = re.compile(r"\n[ \t]+")
_FIRST_FIELD = re.compile(rb"^(?:[!-9;-~]{1,200}[ \t]*:|From )")
_MAX_NAME = 201  # characters of a field name


def parse_headers(raw: bytes, limits: Limits, *, decode_words: bool = True) -> ParsedMessage:
    """A :class:`ParsedMessage` from the header block alone (no bodies, URLs or parts).

    The size limits are checked as :func:`parse_message` checks them; an
    Outlook ``.msg`` is parsed whole, since its headers live inside the file.
    With ``decode_words=False`` RFC 2047 encoded words are left as written
    (values are still unfolded and non-ASCII bytes repaired): path analysis
    does not read them, and decoding is most of the cost.

    A field is an unfolded line whose text before the first ``:`` is, less
    trailing blanks, a name of 1 to 201 characters that neither starts with
    whitespace nor holds a CR; other lines are skipped.
    """
    if is_outlook_msg(raw):
        return parse_message(raw, limits)
    headers: list[Header] = []
    defects: list[Defect] = []
    for line in _unfold(_header_block(raw, limits)).split("\n"):
        colon = line.find(":")
        name = line[:colon].rstrip(" \t") if colon > 0 else ""
        if not name or len(name) > _MAX_NAME or name[0].isspace() or "\r" in name:
            continue
        value = line[colon + 1 :]
        if not decode_words and value.isascii():
            headers.append(Header(name, value.strip()))
            continue
        text, found = decode_value(value, name)
        headers.append(Header(name, text))
        defects.extend(found)
    return _header_record(raw, headers, defects)


def _unfold(block: str) -> str:
    """``re.sub(r"\r?\n[ \t]+", " ", block)`` (as :func:`pollwatch.parse.headers.unfold`),
    with the CR of each CRLF fold dropped first so the pattern starts with a literal."""
    return _FOLD.sub(" ", block.replace("\r\n ", "\n ").replace("\r\n\t", "\n\t"))


def _header_block(raw: bytes, limits: Limits) -> str:
    if len(raw) > limits.max_message_bytes:
        raise MessageLimitError(
            f"message is {len(raw):,} bytes; the limit is {limits.max_message_bytes:,}",
            code="message.too_large",
        )
    blank = _BLANK_LINE.search(raw)  # the earlier of ``\n\n`` and ``\n\r\n``, in one scan
    end = blank.start() if blank else len(raw)
    if end > limits.max_header_bytes:
        raise MessageLimitError(
            f"header block exceeds {limits.max_header_bytes:,} bytes",
            code="message.header_too_large",
        )
    if not _FIRST_FIELD.match(raw.lstrip(b"\r\n\t \xef\xbb\xbf")[:300]):
        raise NotAMessageError("no RFC 5322 header field at the start: not an email message")
    return raw[:end].decode("ascii", "surrogateescape")


def _header_record(raw: bytes, headers: list[Header], defects: list[Defect]) -> ParsedMessage:
    first: dict[str, str] = {}
    received: list[str] = []
    for header in headers:
        name = header.name.lower()
        if name not in first:
            first[name] = header.value
        if name == "received":
            received.append(header.value)
    date, found = parse_date(first.get("date"))
    defects.extend(found)
    senders = _addresses(first.get("from"))
    return_path = first.get("return-path")
    return ParsedMessage(
        sha256=_sha256(raw),
        size=len(raw),
        headers=tuple(headers),
        message_id=clean_message_id(first.get("message-id")),
        date=date,
        subject=first.get("subject") or "",
        from_=senders[0] if senders else None,
        reply_to=_addresses(first.get("reply-to")),
        to=_addresses(first.get("to")),
        cc=_addresses(first.get("cc")),
        return_path=return_path.strip().strip("<>") if return_path else None,
        received=tuple(received),
        defects=tuple(defects),
    )


@functools.lru_cache(maxsize=4096)
def _addresses(value: str | None) -> tuple[Address, ...]:
    """:func:`~pollwatch.parse.headers.parse_addresses`, remembered per exact value:
    recipient and sender headers repeat across a mailbox or a campaign, and the
    result is an immutable tuple of frozen records."""
    simple = _simple_address(value) if value else None
    return parse_addresses(value) if simple is None else simple


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*+@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)*+"
_SIMPLE_ADDRESS = re.compile(  # ``a@b``, ``<a@b>``, ``Name Words <a@b>``, ``"Name" <a@b>``
    rf'[ \t]*+(?:({_ADDR_SPEC})|(?:"([^"\\\r\n]*+)"[ \t]*+|([A-Za-z0-9!#$%&\'*+/=?^_`{{|}}~.-]'
    rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~. \t-]*+))?<({_ADDR_SPEC})>)[ \t]*+"
)


def _simple_address(value: str) -> tuple[Address, ...] | None:
    """One plain address read without ``getaddresses``, exactly as it reads it;
    None for anything else (comments, groups, lists, escapes, route addresses)."""
    match = _SIMPLE_ADDRESS.fullmatch(value)
    if match is None:
        return None
    bare, quoted, phrase, routed = match.groups()
    address = bare or routed
    display = quoted if quoted is not None else " ".join(phrase.split()) if phrase else ""
    domain = address.rpartition("@")[2].lower()
    return (Address(display=display.strip(), address=address, domain=domain),)
