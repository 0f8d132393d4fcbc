"""Header values: unfolding, RFC 2047 decoding, addresses and dates."""

from __future__ import annotations

import base64
import quopri
import re
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime

from pollwatch.models import Address, Defect
from pollwatch.parse.charsets import decode_bytes

_FOLD = re.compile(r"\r?\n[ \t]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]{1,64}\?[bBqQ]\?[^?\s]{0,2000}\?=")
_SURROGATE = re.compile("[\udc80-\udcff]")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_ADDRESSES = 500  # one To: header of a bulk message can list thousands


def unfold(value: str) -> str:
    """Join folded continuation lines into one line (RFC 5322 2.2.3)."""
    return _FOLD.sub(" ", value).strip() if "\n" in value else value.strip()


def decode_value(raw: object, name: str) -> tuple[str, tuple[Defect, ...]]:
    """Unfold and decode RFC 2047 encoded words, repairing broken charsets."""
    text = unfold(str(raw))
    # compat32 keeps non-ASCII header bytes as surrogates; recover them.
    if not text.isascii() and _SURROGATE.search(text):
        raw_bytes = text.encode("ascii", "surrogateescape")
        text, repaired = decode_bytes(raw_bytes, None, f"header {name}")
        return _CTRL.sub(" ", text), repaired
    if "=?" not in text or not _ENCODED_WORD.search(text):
        return text, ()
    try:
        chunks = decode_header(text)
    except (HeaderParseError, ValueError, IndexError, AssertionError) as exc:
        lenient, found = _decode_words_leniently(text, name)
        return lenient, (Defect("header.encoded_word", f"{name}: {exc}; repaired"), *found)
    parts: list[str] = []
    defects: list[Defect] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        decoded, found = decode_bytes(chunk, charset, f"header {name}")
        parts.append(decoded)
        defects.extend(found)
    return _CTRL.sub(" ", "".join(parts)), tuple(defects)


def _decode_words_leniently(text: str, name: str) -> tuple[str, tuple[Defect, ...]]:
    """Decode each encoded word on its own, fixing base64 padding; keep what fails."""
    defects: list[Defect] = []

    def one(match: re.Match[str]) -> str:
        charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
        if encoding == "b":
            cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            if len(cleaned) % 4 == 1:  # one stray character cannot be data
                cleaned = cleaned[:-1]
            data = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"))
        decoded, found = decode_bytes(data, charset.split("*")[0], f"header {name}")
        defects.extend(found)
        return decoded

    pattern = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]{0,2000})\?=")
    # Whitespace between adjacent encoded words is not part of the text (RFC 2047 6.2).
    joined = re.sub(r"(\?=)\s+(?==\?)", r"\1", text)
    return _CTRL.sub(" ", pattern.sub(one, joined)), tuple(defects)


def parse_addresses(value: str | None) -> tuple[Address, ...]:
    """Addresses in a decoded header value; invalid entries are skipped."""
    if not value:
        return ()
    found: list[Address] = []
    for display, address in getaddresses([value])[:_MAX_ADDRESSES]:
        address = address.strip().strip("<>")
        if not address and not display:
            continue
        domain = address.rpartition("@")[2].lower().rstrip(".") if "@" in address else ""
        found.append(Address(display=display.strip(), address=address, domain=domain))
    return tuple(found)


def address_domain(address: str | None) -> str | None:
    """The lower-case domain of a mailbox (``<a@B.example.>`` -> ``b.example``), or None."""
    if not address or "@" not in address:
        return None
    return address.strip().strip("<>").rpartition("@")[2].lower().rstrip(".") or None


def parse_date(value: str | None) -> tuple[datetime | None, tuple[Defect, ...]]:
    """An aware UTC datetime from a Date-like header; naive dates are taken as UTC."""
    if not value:
        return None, ()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, (Defect("header.date_unparseable", f"Date: {value[:120]!r}"),)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), (Defect("header.date_no_zone", value[:120]),)
    try:
        return parsed.astimezone(UTC), ()
    except (OverflowError, ValueError):
        return None, (Defect("header.date_out_of_range", value[:120]),)


def clean_message_id(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    match = re.search(r"<([^<>\s]{1,998})>", value)
    return match.group(1) if match else (value.split()[0] if value.split() else None)
