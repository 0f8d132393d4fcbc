"""Parsing: raw bytes of one message -> :class:`~pollwatch.models.ParsedMessage`.

Entry point: :func:`parse_message`. It raises only
:class:`~pollwatch.errors.ItemError` subclasses (limits, not an email); every
other oddity of real mail becomes a :class:`~pollwatch.models.Defect` on the record.
"""

from __future__ import annotations

import hashlib
from email.message import Message

from pollwatch.config import DEFAULT_LIMITS, Limits
from pollwatch.models import Attachment, Defect, Header, ParsedMessage
from pollwatch.parse import mime, outlook
from pollwatch.parse.headers import clean_message_id, decode_value, parse_addresses, parse_date
from pollwatch.parse.html import render_html
from pollwatch.parse.urls import extract_urls

__all__ = ["parse_message"]

_ADDRESS_HEADERS = ("from", "reply-to", "to", "cc")


def parse_message(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedMessage:
    """Parse one message's raw bytes (RFC 5322/MIME, or an Outlook ``.msg``)."""
    sha256 = hashlib.sha256(raw).hexdigest()
    defects: list[Defect] = []
    mime_bytes = raw
    if outlook.is_outlook_msg(raw):
        mime_bytes, converted = outlook.to_rfc822(raw, limits)
        defects.extend(converted)
    message = mime.load(mime_bytes, limits)
    defects.extend(_parser_defects(message))
    headers = _decode_headers(message, defects)
    bodies = _Bodies()
    bodies.collect(message, limits, defects)
    return _build(sha256, len(raw), headers, bodies, defects)


def _parser_defects(message: Message) -> list[Defect]:
    return [Defect("mime." + type(d).__name__, str(d)[:200]) for d in message.defects[:50]]


def _decode_headers(message: Message, defects: list[Defect]) -> tuple[Header, ...]:
    decoded: list[Header] = []
    for name, value in message.raw_items():
        text, found = decode_value(value, name)
        decoded.append(Header(name=name, value=text))
        defects.extend(found)
    return tuple(decoded)


class _Bodies:
    """Accumulates text, HTML and attachments from a walk of the leaf parts."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []

    def collect(self, message: Message, limits: Limits, defects: list[Defect]) -> None:
        for index, part in enumerate(mime.walk_parts(message, limits)):
            self._take(part, f"part {index}", defects)

    def _take(self, part: Message, where: str, defects: list[Defect]) -> None:
        name, found = mime.part_filename(part)
        defects.extend(found)
        ctype = part.get_content_type()
        inline = part.get_content_disposition() != "attachment" and name is None
        if inline and ctype in ("text/plain", "text/html"):
            text, found = mime.part_text(part, where)
            defects.extend(found)
            (self.text if ctype == "text/plain" else self.html).append(text)
        elif not (inline and part.get_content_maintype() == "multipart"):
            self.attachments.append(mime.describe_attachment(part, name))


def _build(
    sha256: str,
    size: int,
    headers: tuple[Header, ...],
    bodies: _Bodies,
    defects: list[Defect],
) -> ParsedMessage:
    def first(name: str) -> str | None:
        return next((h.value for h in headers if h.name.lower() == name), None)

    date, found = parse_date(first("date"))
    defects.extend(found)
    addresses = {name: parse_addresses(first(name)) for name in _ADDRESS_HEADERS}
    html_body = "\n".join(bodies.html)
    html_text, links = render_html(html_body) if html_body else ("", ())
    text_body = "\n".join(bodies.text)
    return_path = first("return-path")
    return ParsedMessage(
        sha256=sha256,
        size=size,
        headers=headers,
        message_id=clean_message_id(first("message-id")),
        date=date,
        subject=first("subject") or "",
        from_=addresses["from"][0] if addresses["from"] else None,
        reply_to=addresses["reply-to"],
        to=addresses["to"],
        cc=addresses["cc"],
        return_path=return_path.strip().strip("<>") if return_path else None,
        received=tuple(h.value for h in headers if h.name.lower() == "received"),
        text_body=text_body,
        html_body=html_body,
        html_text=html_text,
        attachments=tuple(bodies.attachments),
        urls=extract_urls((text_body, html_text), links),
        defects=tuple(defects),
    )
