"""Byte-level message assembly: dates, folding, encoded words, MIME bodies.

Messages are built by hand rather than with ``email.message`` so header order,
folding and encodings match each mailer exactly, and so generation is fast.
Lines end in LF, as mbox and maildir store them.
"""

from __future__ import annotations

import base64
import binascii
import html
import random
import string
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec

from pollwatch.synth.netdata import utc_offset

Header = tuple[str, str]
Encoding = Literal["7bit", "8bit", "quoted-printable", "base64"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
LOWER = string.ascii_lowercase
B64 = ALNUM + "+/"


def rfc_date(
    when_utc: datetime, zone: str = "UTC", day: Literal["0", "", " "] = "0", comment: bool = False
) -> str:
    """An RFC 5322 date in ``zone``'s local time.

    ``day`` pads the day of month as mailers do: "0" → ``01``, "" → ``1``,
    " " → `` 1`` (Postfix). ``comment`` appends ``(PDT)``-style zone names.
    """
    off, abbrev = utc_offset(zone, when_utc)
    local = when_utc.replace(tzinfo=None) + off
    mins = int(off.total_seconds()) // 60
    sign = "-" if mins < 0 else "+"
    mins = abs(mins)
    dd = f"{local.day:02d}" if day == "0" else f"{local.day:{day}>2}" if day else str(local.day)
    text = (
        f"{_DAYS[local.weekday()]}, {dd} {_MONTHS[local.month - 1]} {local.year} "
        f"{local:%H:%M:%S} {sign}{mins // 60:02d}{mins % 60:02d}"
    )
    if comment:
        text += f" ({abbrev or 'UTC'})"
    return text


_TABLES: dict[str, bytes] = {}


def rand_str(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """``n`` characters of ``alphabet`` (ASCII) from ``rng``; one byte draw per character."""
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return rng.randbytes(n).translate(table).decode("ascii")


def needs_encoding(text: str) -> bool:
    return not text.isascii()


def encoded_word(text: str, enc: Literal["B", "Q"] = "B", charset: str = "UTF-8") -> str:
    """RFC 2047 encoded words for a non-ASCII phrase, split to keep each < 76 chars."""
    if text.isascii():
        return text
    words: list[str] = []
    chunk = ""
    for ch in text:
        trial = chunk + ch
        if len(_encode_chunk(trial, enc)) + len(charset) + 7 > 75:
            words.append(_wrap_chunk(chunk, enc, charset))
            chunk = ch
        else:
            chunk = trial
    if chunk:
        words.append(_wrap_chunk(chunk, enc, charset))
    return "\n ".join(words)


def _encode_chunk(text: str, enc: str) -> str:
    data = text.encode("utf-8")
    if enc == "B":
        return base64.b64encode(data).decode("ascii")
    out = []
    for byte in data:
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch in ALNUM or ch in "!*+-/":
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def _wrap_chunk(text: str, enc: str, charset: str) -> str:
    return f"=?{charset}?{enc}?{_encode_chunk(text, enc)}?="


def display_address(name: str, addr: str, enc: Literal["B", "Q"] = "B", quote: bool = True) -> str:
    """``"Name" <addr>`` with RFC 2047 for non-ASCII names."""
    if not name:
        return addr
    if needs_encoding(name):
        return f"{encoded_word(name, enc)} <{addr}>"
    if quote or any(c in name for c in ',.;:@"()<>[]'):
        return f'"{name}" <{addr}>'
    return f"{name} <{addr}>"


def fold(name: str, value: str, indent: str = " ", width: int = 78) -> str:
    """Fold an unstructured value at spaces so lines stay under ``width``."""
    if "\n" in value or len(name) + 2 + len(value) <= width:
        return value
    lines: list[str] = []
    current = ""
    budget = width - len(name) - 2
    for word in value.split(" "):
        if current and len(current) + 1 + len(word) > budget:
            lines.append(current)
            current = word
            budget = width - len(indent)
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return f"\n{indent}".join(lines)


def render_headers(headers: Sequence[Header]) -> bytes:
    return "".join(f"{name}: {value}\n" for name, value in headers).encode("utf-8")


def render(headers: Sequence[Header], body: bytes) -> bytes:
    return render_headers(headers) + b"\n" + body


# --- bodies -----------------------------------------------------------------


def encode_body(text: str, enc: Encoding) -> bytes:
    """Encode a text body; line ends become LF, soft breaks keep lines <= 76."""
    data = text.replace("\r\n", "\n").encode("utf-8")
    if enc == "base64":
        return base64.encodebytes(data)
    if enc == "quoted-printable":
        out = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
        return out if out.endswith(b"\n") else out + b"\n"
    return data if data.endswith(b"\n") else data + b"\n"


def pick_encoding(text: str, preferred: Encoding) -> Encoding:
    """Keep the mailer's preference, but never leave non-ASCII in 7bit or long lines raw."""
    if preferred in ("7bit", "8bit"):
        too_long = any(len(line) > 76 for line in text.split("\n"))
        if too_long or (preferred == "7bit" and not text.isascii()):
            return "quoted-printable"
    return preferred


class Part(msgspec.Struct, frozen=True):
    headers: tuple[Header, ...]
    body: bytes


def text_part(text: str, subtype: str, enc: Encoding, charset: str = "UTF-8") -> Part:
    enc = pick_encoding(text, enc)
    headers: tuple[Header, ...] = (
        ("Content-Type", f'text/{subtype}; charset="{charset}"'),
        ("Content-Transfer-Encoding", enc),
    )
    return Part(headers, encode_body(text, enc))


def multipart_body(parts: Sequence[Part], boundary: str, preamble: str = "") -> bytes:
    chunks = [preamble.encode() + b"\n" if preamble else b""]
    for part in parts:
        chunks.append(f"--{boundary}\n".encode())
        chunks.append(render_headers(part.headers))
        chunks.append(b"\n")
        chunks.append(part.body)
    chunks.append(f"--{boundary}--\n".encode())
    return b"".join(chunks)


def to_html(paragraphs: Sequence[str], style: str = "") -> str:
    """A plain HTML rendering of paragraphs (line breaks kept)."""
    body = "".join(
        f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>\n" for p in paragraphs
    )
    attr = f' style="{style}"' if style else ""
    head = '<html>\n<head>\n<meta charset="utf-8">\n</head>\n'
    return f"{head}<body{attr}>\n{body}</body>\n</html>"
