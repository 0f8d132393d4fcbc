"""The typed records each stage emits.

Every record is a frozen msgspec Struct: immutable, hashable where its fields
are, and encodable to the JSON output contract without an untyped dict in the
core. Sequences are tuples. Datetimes are timezone-aware UTC. Every record that
describes a message is keyed by the SHA-256 of the message's raw bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

ContainerKind = Literal["eml", "mbox", "maildir", "msg", "zip", "stdin", "attachment"]


class Defect(msgspec.Struct, frozen=True):
    """A parse problem or repair, kept as data on the record that has it."""

    kind: str  # dotted code, e.g. "charset.unknown", "header.date_unparseable"
    detail: str


class SourceRef(msgspec.Struct, frozen=True):
    """Where one message was found: the file as received and its position in it.

    ``index`` is the position inside a container (mbox ordinal, zip entry name,
    maildir file name, attachment path inside a forward); ``None`` for a plain file.
    """

    path: str
    container: ContainerKind
    index: str | None = None


class Address(msgspec.Struct, frozen=True):
    display: str
    address: str
    domain: str


class Attachment(msgspec.Struct, frozen=True):
    """An attachment's facts. Its bytes are never executed or written to a path."""

    name: str | None  # as the message claims it, decoded
    safe_name: str  # basename with traversal and control characters removed
    content_type: str
    size: int
    sha256: str
    disposition: str | None = None


class Header(msgspec.Struct, frozen=True):
    name: str
    value: str  # unfolded and RFC 2047-decoded


class ParsedMessage(msgspec.Struct, frozen=True):
    """One message after MIME parsing: the input to every analysis stage."""

    sha256: str
    size: int
    headers: tuple[Header, ...]  # in message order, top first
    message_id: str | None
    date: datetime | None
    subject: str
    from_: Address | None = msgspec.field(name="from")
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    return_path: str | None = None
    received: tuple[str, ...] = ()  # raw, unfolded, top (newest) first
    text_body: str = ""
    html_body: str = ""
    html_text: str = ""  # the HTML body rendered to plain text
    attachments: tuple[Attachment, ...] = ()
    urls: tuple[str, ...] = ()
    defects: tuple[Defect, ...] = ()

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for header in self.headers:
            if header.name.lower() == wanted:
                return header.value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(h.value for h in self.headers if h.name.lower() == wanted)

    @property
    def body_text(self) -> str:
        """The readable body: the text part, or the rendered HTML when there is none."""
        return self.text_body or self.html_text


class RecoveredFields(msgspec.Struct, frozen=True):
    """What an inline forward still shows of the original after its headers were lost."""

    from_: str | None = msgspec.field(name="from", default=None)
    date: datetime | None = None
    date_raw: str | None = None
    subject: str | None = None
    to: str | None = None
    body: str = ""


class IngestError(msgspec.Struct, frozen=True):
    """Why one item of a batch could not be ingested or parsed."""

    source: SourceRef
    code: str  # stable machine code, e.g. "mime.too_many_parts"
    reason: str  # one readable sentence
    sha256: str | None = None  # when raw bytes existed and were kept


class IngestSummary(msgspec.Struct, frozen=True):
    new: int
    duplicate: int
    failed: int
    errors: tuple[IngestError, ...] = ()
    failed_by_code: dict[str, int] = msgspec.field(default_factory=dict)
