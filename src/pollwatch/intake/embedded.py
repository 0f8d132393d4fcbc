"""Finding messages embedded in a message, byte for byte.

The stdlib parser re-serialises ``message/rfc822`` parts, which can change
bytes (line endings, folding) and so the SHA-256 that keys the evidence. This
splitter walks the raw MIME structure instead and returns each embedded
original exactly as it was embedded: the bytes between its part's blank line
and the line break before the next boundary (RFC 2046 5.1.1), with any
base64 or quoted-printable transfer encoding undone.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from pollwatch.config import Limits
from pollwatch.parse.mime import safe_filename
from pollwatch.parse.outlook import OLE_MAGIC

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_SUFFIXES = (".eml", ".msg")
_GENERIC_TYPES = frozenset(
    {"application/octet-stream", "text/plain", "application/x-msdownload", "message/rfc822",
     "application/vnd.ms-outlook", "application/x-eml", "text/rfc822", "message/x-eml"}
)


def split_part(raw: bytes) -> tuple[Message, bytes]:
    """A part's parsed header block and its raw body."""
    match = _HEADER_END.search(raw)
    if match is None:
        return BytesHeaderParser(policy=compat32).parsebytes(raw), b""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: match.end()])
    return headers, raw[match.end() :]


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The raw parts between the boundary delimiters of a multipart body."""
    delimiter = re.compile(
        rb"(?:\A|\r?\n)--" + re.escape(boundary.encode("latin-1", "replace")) + rb"(--)?[ \t]*"
        rb"(?:\r?\n|\Z)"
    )
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start : match.start()])
        if match.group(1):  # the close delimiter
            return parts
        start = match.end()
    if start is not None:  # no close delimiter: keep the unterminated last part
        parts.append(body[start:])
    return parts


def decode_transfer(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "base64":
        try:
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", body) + b"==")
        except (binascii.Error, ValueError):
            return b""
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    return body


def _looks_like_message(data: bytes) -> bool:
    if data.startswith(OLE_MAGIC):
        return True
    head = data.lstrip()[:2048]
    return re.match(rb"^[!-9;-~]{1,200}[ \t]*:", head) is not None


def _is_embedded_message(part: Message) -> bool:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        return True
    try:
        name = part.get_filename() or ""
    except (ValueError, LookupError, TypeError):
        name = ""
    return safe_filename(name).lower().endswith(_MESSAGE_SUFFIXES) and ctype in _GENERIC_TYPES


def find_embedded_messages(raw: bytes, limits: Limits) -> Iterator[bytes]:
    """Embedded messages (``message/rfc822`` or ``.eml``/``.msg`` files) in ``raw``.

    Only the wrapper's own structure is searched; embedded messages are not entered.
    """
    stack: list[tuple[bytes, int]] = [(raw, 0)]
    seen = 0
    while stack:
        part_raw, depth = stack.pop()
        seen += 1
        if seen > limits.max_mime_parts or depth > limits.max_mime_depth:
            return
        headers, body = split_part(part_raw)
        if depth > 0 and _is_embedded_message(headers):
            data = decode_transfer(body, str(headers.get("content-transfer-encoding", "")))
            if _looks_like_message(data):
                yield data
            continue
        boundary = headers.get_boundary() if headers.get_content_maintype() == "multipart" else None
        if boundary:
            children = split_multipart(body, boundary)
            stack.extend((child, depth + 1) for child in reversed(children))
