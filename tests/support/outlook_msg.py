"""Synthesise Outlook ``.msg`` files for tests.

An Outlook ``.msg`` file is a set of MAPI properties (MS-OXMSG) laid out inside an
OLE2 Compound File (MS-CFB).  No maintained Python library *writes* either format,
and we do not want third-party sample files in the repository, so this module
contains two small layers:

* :func:`write_cfb` -- a minimal, spec-conforming MS-CFB **version 3** writer
  (512-byte sectors, FAT, directory, mini FAT + mini stream for streams below the
  4096-byte cutoff).  It never needs the DIFAT beyond the 109 header slots, which
  limits output to roughly 7 MB -- plenty for fixtures.
* :func:`build_msg` -- lays out an ``IPM.Note`` message (MS-OXMSG 2.1-2.4) with
  recipients, attachments and the usual body/header properties, all strings stored
  as ``PT_UNICODE`` (UTF-16-LE).

Section numbers in comments refer to [MS-CFB] v20230222 and [MS-OXMSG] v20221115.
"""

from __future__ import annotations

import email.utils
import mimetypes
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["Storage", "Stream", "build_msg", "write_cfb"]

# ---------------------------------------------------------------------------
# MS-CFB: compound file writer
# ---------------------------------------------------------------------------

# 2.2 Compound File Header
CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SECTOR_SHIFT = 9  # version 3 => 512-byte sectors
SECTOR_SIZE = 1 << SECTOR_SHIFT
MINI_SECTOR_SHIFT = 6  # always 64-byte mini sectors
MINI_SECTOR_SIZE = 1 << MINI_SECTOR_SHIFT
MINI_STREAM_CUTOFF = 4096  # streams strictly smaller than this live in the mini stream
HEADER_DIFAT_SLOTS = 109
_HEADER = struct.Struct("<8s16sHHHHH6sIIIIIIIII109I")  # 512 bytes

# 2.1 Compound File Sector Numbers and Types
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF  # 2.6.1: "no sibling/child" directory stream ID
_ENTRIES_PER_SECTOR = SECTOR_SIZE // 4  # 32-bit sector numbers per FAT/mini FAT sector

# 2.6.1 Compound File Directory Entry
_DIR_ENTRY = struct.Struct("<64sHBBIII16sIQQIQ")  # 128 bytes
_DIR_ENTRIES_PER_SECTOR = SECTOR_SIZE // _DIR_ENTRY.size
STGTY_INVALID, STGTY_STORAGE, STGTY_STREAM, STGTY_ROOT = 0, 1, 2, 5
COLOR_BLACK = 1
_FORBIDDEN_NAME_CHARS = frozenset("/\\:!")


@dataclass
class Stream:
    """A CFB stream object (2.6.1, object type 0x02)."""

    name: str
    data: bytes


@dataclass
class Storage:
    """A CFB storage object (object type 0x01), or the root storage (0x05)."""

    name: str
    children: list[Stream | Storage] = field(default_factory=list)

    def add_stream(self, name: str, data: bytes) -> Stream:
        stream = Stream(name, data)
        self.children.append(stream)
        return stream

    def add_storage(self, name: str) -> Storage:
        storage = Storage(name)
        self.children.append(storage)
        return storage


@dataclass
class _DirEntry:
    name: str
    object_type: int
    node: Stream | Storage | None
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start_sector: int = ENDOFCHAIN
    size: int = 0

    def pack(self) -> bytes:
        encoded = self.name.encode("utf-16-le")
        # 2.6.1: name length counts the terminating null character, in bytes.
        name_len = len(encoded) + 2 if self.object_type != STGTY_INVALID else 0
        return _DIR_ENTRY.pack(
            encoded.ljust(64, b"\0"),
            name_len,
            self.object_type,
            COLOR_BLACK if self.object_type != STGTY_INVALID else 0,
            self.left,
            self.right,
            self.child,
            b"\0" * 16,  # CLSID: all zero is fine for the root of a .msg and required for streams
            0,  # state bits
            0,  # creation time (MUST be zero for streams and the root)
            0,  # modified time
            self.start_sector,
            self.size,  # v3: high 32 bits are zero since we never exceed 4 GB
        )


def _cfb_sort_key(name: str) -> tuple[int, str]:
    """2.6.4: siblings compare by UTF-16 length first, then by upper-cased code points."""
    return (len(name.encode("utf-16-le")) // 2, name.upper())


def _check_name(name: str) -> None:
    # 2.6.1: at most 31 UTF-16 code units plus terminator; '/', '\\', ':', '!' are illegal.
    if not name or len(name.encode("utf-16-le")) > 62 or _FORBIDDEN_NAME_CHARS & set(name):
        raise ValueError(f"invalid compound file entry name: {name!r}")


def _build_directory(root: Storage) -> list[_DirEntry]:
    """Flatten the storage tree into directory entries (stream ID == list index).

    Each storage's children form a binary search tree ordered by :func:`_cfb_sort_key`.
    2.6.4 notes that colouring every node black is a valid (if unbalanced) red-black
    tree as far as readers are concerned; we still pick medians so the tree is balanced.
    """
    entries = [_DirEntry(root.name, STGTY_ROOT, root)]

    def add_children(parent_index: int, storage: Storage) -> None:
        keys = [_cfb_sort_key(child.name) for child in storage.children]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate (case-insensitive) names under {storage.name!r}")
        children = sorted(storage.children, key=lambda c: _cfb_sort_key(c.name))
        first = len(entries)
        for child in children:
            _check_name(child.name)
            kind = STGTY_STORAGE if isinstance(child, Storage) else STGTY_STREAM
            entries.append(_DirEntry(child.name, kind, child))

        def subtree(lo: int, hi: int) -> int:
            if lo >= hi:
                return NOSTREAM
            mid = (lo + hi) // 2
            entries[first + mid].left = subtree(lo, mid)
            entries[first + mid].right = subtree(mid + 1, hi)
            return first + mid

        entries[parent_index].child = subtree(0, len(children))
        for offset, child in enumerate(children):
            if isinstance(child, Storage):
                add_children(first + offset, child)

    add_children(0, root)
    return entries


def _chain(start: int, count: int) -> Iterator[tuple[int, int]]:
    """(sector, next) pairs for a contiguous allocation chain (2.3 / 2.5)."""
    for i in range(count):
        yield start + i, (start + i + 1 if i + 1 < count else ENDOFCHAIN)


def _pad(data: bytes, unit: int, fill: bytes = b"\0") -> bytes:
    remainder = len(data) % unit
    return data if remainder == 0 else data + fill * (unit - remainder)


def write_cfb(root: Storage) -> bytes:
    """Serialise ``root`` (and everything below it) as an MS-CFB version 3 file."""
    entries = _build_directory(root)

    # --- 2.4 / 2.5: mini stream + mini FAT for small streams ---------------------
    mini_stream = bytearray()
    mini_fat: list[int] = []
    big_streams: list[tuple[_DirEntry, bytes]] = []
    for entry in entries:
        if not isinstance(entry.node, Stream):
            continue
        data = entry.node.data
        entry.size = len(data)
        if not data:
            entry.start_sector = ENDOFCHAIN  # zero-length streams own no sectors
        elif len(data) < MINI_STREAM_CUTOFF:
            entry.start_sector = len(mini_fat)
            n_mini = -(-len(data) // MINI_SECTOR_SIZE)
            mini_fat.extend(nxt for _, nxt in _chain(len(mini_fat), n_mini))
            mini_stream += _pad(data, MINI_SECTOR_SIZE)
        else:
            big_streams.append((entry, data))

    # --- Regular sector layout: [FAT][directory][mini FAT][mini stream][big streams] --
    # Pad the directory with unused entries (2.6.1: NOSTREAM siblings, type 0).
    while len(entries) % _DIR_ENTRIES_PER_SECTOR:
        entries.append(_DirEntry("", STGTY_INVALID, None))
    n_dir = len(entries) // _DIR_ENTRIES_PER_SECTOR
    mini_fat_bytes = _pad(struct.pack(f"<{len(mini_fat)}I", *mini_fat), SECTOR_SIZE, b"\xff")
    n_mini_fat = len(mini_fat_bytes) // SECTOR_SIZE
    n_mini_stream = -(-len(mini_stream) // SECTOR_SIZE)
    big_counts = [-(-len(data) // SECTOR_SIZE) for _, data in big_streams]
    n_other = n_dir + n_mini_fat + n_mini_stream + sum(big_counts)

    # The FAT must also describe its own sectors (marked FATSECT, 2.3).
    n_fat = 1
    while n_fat * _ENTRIES_PER_SECTOR < n_fat + n_other:
        n_fat += 1
    if n_fat > HEADER_DIFAT_SLOTS:
        raise ValueError("file too large: DIFAT sectors are not implemented (limit ~7 MB)")

    fat = [FREESECT] * (n_fat * _ENTRIES_PER_SECTOR)
    for sector in range(n_fat):
        fat[sector] = FATSECT
    cursor = n_fat

    def allocate(count: int) -> int:
        nonlocal cursor
        if count == 0:
            return ENDOFCHAIN
        start = cursor
        for sector, nxt in _chain(start, count):
            fat[sector] = nxt
        cursor += count
        return start

    dir_start = allocate(n_dir)
    mini_fat_start = allocate(n_mini_fat)
    # 2.6.2: the root entry's start sector / size describe the mini stream.
    entries[0].start_sector = allocate(n_mini_stream)
    entries[0].size = len(mini_stream)
    for (entry, _), count in zip(big_streams, big_counts, strict=True):
        entry.start_sector = allocate(count)
    assert cursor == n_fat + n_other

    header = _HEADER.pack(
        CFB_SIGNATURE,
        b"\0" * 16,  # header CLSID: MUST be zero
        0x003E,  # minor version
        0x0003,  # major version 3
        0xFFFE,  # byte order mark (little-endian)
        SECTOR_SHIFT,
        MINI_SECTOR_SHIFT,
        b"\0" * 6,  # reserved
        0,  # number of directory sectors: MUST be zero for version 3
        n_fat,
        dir_start,
        0,  # transaction signature
        MINI_STREAM_CUTOFF,
        mini_fat_start,
        n_mini_fat,
        ENDOFCHAIN,  # first DIFAT sector: none
        0,  # number of DIFAT sectors
        *(list(range(n_fat)) + [FREESECT] * (HEADER_DIFAT_SLOTS - n_fat)),
    )

    body = bytearray(struct.pack(f"<{len(fat)}I", *fat))
    body += b"".join(entry.pack() for entry in entries)
    body += mini_fat_bytes
    body += _pad(bytes(mini_stream), SECTOR_SIZE)
    for _, data in big_streams:
        body += _pad(data, SECTOR_SIZE)
    assert len(body) == (n_fat + n_other) * SECTOR_SIZE
    return header + bytes(body)


# ---------------------------------------------------------------------------
# MS-OXMSG: message layout
# ---------------------------------------------------------------------------

# [MS-OXCDATA] 2.11.1 property types
PT_LONG = 0x0003
PT_SYSTIME = 0x0040
PT_UNICODE = 0x001F
PT_BINARY = 0x0102

# [MS-OXMSG] 2.4.2.1: PROPATTR_READABLE | PROPATTR_WRITABLE
_PROP_FLAGS = 0x00000006
_PROP_ENTRY = struct.Struct("<IIQ")  # tag, flags, 8-byte value (2.4.2.1 / 2.4.2.2)
_VAR_ENTRY = struct.Struct("<IIII")  # tag, flags, size, reserved

# Property IDs ([MS-OXPROPS]).
PID_MESSAGE_CLASS = 0x001A
PID_SUBJECT = 0x0037
PID_CLIENT_SUBMIT_TIME = 0x0039
PID_TRANSPORT_MESSAGE_HEADERS = 0x007D
PID_SENDER_ADDRTYPE = 0x0C1E
PID_SENDER_EMAIL_ADDRESS = 0x0C1F
PID_SENDER_NAME = 0x0C1A
PID_RECIPIENT_TYPE = 0x0C15
PID_DISPLAY_TO = 0x0E04
PID_MESSAGE_DELIVERY_TIME = 0x0E06
PID_MESSAGE_FLAGS = 0x0E07
PID_ATTACH_NUM = 0x0E21
PID_BODY = 0x1000
PID_HTML = 0x1013
PID_ROWID = 0x3000
PID_DISPLAY_NAME = 0x3001
PID_ADDRTYPE = 0x3002
PID_EMAIL_ADDRESS = 0x3003
PID_STORE_SUPPORT_MASK = 0x340D
PID_ATTACH_DATA_BIN = 0x3701
PID_ATTACH_EXTENSION = 0x3703
PID_ATTACH_METHOD = 0x3705
PID_ATTACH_LONG_FILENAME = 0x3707
PID_RENDERING_POSITION = 0x370B
PID_ATTACH_MIME_TAG = 0x370E
PID_SMTP_ADDRESS = 0x39FE
PID_INTERNET_CPID = 0x3FDE
PID_SENDER_SMTP_ADDRESS = 0x5D01

MAPI_TO = 1
ATTACH_BY_VALUE = 1
MSGFLAG_READ = 0x01
MSGFLAG_HASATTACH = 0x10
STORE_UNICODE_OK = 0x00040000
CP_UTF8 = 65001
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _filetime(value: datetime) -> int:
    """FILETIME: 100-ns ticks since 1601-01-01 UTC. Naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


class _PropertyBag:
    """Properties of one object: fixed-size ones inline, variable ones as streams."""

    def __init__(self) -> None:
        self._entries: dict[int, bytes] = {}  # tag -> 16-byte entry
        self._streams: dict[str, bytes] = {}

    def long(self, pid: int, value: int) -> None:
        tag = pid << 16 | PT_LONG
        self._entries[tag] = _PROP_ENTRY.pack(tag, _PROP_FLAGS, value & 0xFFFFFFFF)

    def time(self, pid: int, value: datetime) -> None:
        tag = pid << 16 | PT_SYSTIME
        self._entries[tag] = _PROP_ENTRY.pack(tag, _PROP_FLAGS, _filetime(value))

    def unicode(self, pid: int, value: str) -> None:
        data = value.encode("utf-16-le")
        # 2.4.2.2: for PtypString the size includes the (unstored) 2-byte terminator.
        self._variable(pid, PT_UNICODE, data, len(data) + 2)

    def binary(self, pid: int, value: bytes) -> None:
        self._variable(pid, PT_BINARY, value, len(value))

    def _variable(self, pid: int, ptype: int, data: bytes, size: int) -> None:
        tag = pid << 16 | ptype
        self._entries[tag] = _VAR_ENTRY.pack(tag, _PROP_FLAGS, size, 0)
        # 2.1.3: one stream per variable-length property, "__substg1.0_" + tag in hex.
        self._streams[f"__substg1.0_{tag:08X}"] = data

    def write_into(self, storage: Storage, header: bytes) -> None:
        # 2.4: the property stream is a header followed by 16-byte entries.
        entries = b"".join(self._entries[tag] for tag in sorted(self._entries))
        storage.add_stream("__properties_version1.0", header + entries)
        for name, data in self._streams.items():
            storage.add_stream(name, data)


def _recipients(to: str) -> list[tuple[str, str]]:
    """Parse an RFC 5322 address list into (display name, address) pairs."""
    parsed = [(name, addr) for name, addr in email.utils.getaddresses([to]) if addr]
    if to.strip() and not parsed:
        raise ValueError(f"no addresses found in {to!r}")
    return [(name or addr, addr) for name, addr in parsed]


def build_msg(
    *,
    subject: str,
    sender_name: str,
    sender_email: str,
    to: str,
    body: str,
    html: str | None = None,
    transport_headers: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    date: datetime | None = None,
    embedded_msg: bytes | None = None,
) -> bytes:
    """Return the bytes of a Unicode ``IPM.Note`` Outlook message.

    ``to`` is an RFC 5322 address list (``"Ann <a@x.org>, b@y.org"``); each address
    becomes a MAPI_TO recipient and PR_DISPLAY_TO holds the display names joined
    by ``"; "``.  ``html`` is stored UTF-8 encoded in PR_HTML (and PR_INTERNET_CPID
    says so).  ``date`` becomes PR_CLIENT_SUBMIT_TIME / PR_MESSAGE_DELIVERY_TIME; a
    naive datetime is taken as UTC.  ``attachments`` are (file name, data) pairs
    stored by value; ``embedded_msg`` adds raw RFC 822 bytes as a further by-value
    attachment named ``original.eml`` with MIME tag ``message/rfc822``.
    """
    root = Storage("Root Entry")

    # 2.2.3: named property mapping storage. No named properties, so its three
    # required streams (GUID, entry, string) are empty.
    nameid = root.add_storage("__nameid_version1.0")
    for stream_id in (0x0002, 0x0003, 0x0004):
        nameid.add_stream(f"__substg1.0_{stream_id:04X}0102", b"")

    all_attachments = list(attachments)
    mime_tags = [
        mimetypes.guess_type(name)[0] or "application/octet-stream" for name, _ in all_attachments
    ]
    if embedded_msg is not None:
        all_attachments.append(("original.eml", embedded_msg))
        mime_tags.append("message/rfc822")
    recipients = _recipients(to)

    props = _PropertyBag()
    props.unicode(PID_MESSAGE_CLASS, "IPM.Note")
    props.unicode(PID_SUBJECT, subject)
    props.unicode(PID_SENDER_NAME, sender_name)
    props.unicode(PID_SENDER_EMAIL_ADDRESS, sender_email)
    props.unicode(PID_SENDER_SMTP_ADDRESS, sender_email)
    props.unicode(PID_SENDER_ADDRTYPE, "SMTP")
    props.unicode(PID_DISPLAY_TO, "; ".join(name for name, _ in recipients))
    props.unicode(PID_BODY, body)
    if html is not None:
        props.binary(PID_HTML, html.encode("utf-8"))
        props.long(PID_INTERNET_CPID, CP_UTF8)
    if transport_headers is not None:
        props.unicode(PID_TRANSPORT_MESSAGE_HEADERS, transport_headers)
    if date is not None:
        props.time(PID_CLIENT_SUBMIT_TIME, date)
        props.time(PID_MESSAGE_DELIVERY_TIME, date)
    flags = MSGFLAG_READ | (MSGFLAG_HASATTACH if all_attachments else 0)
    props.long(PID_MESSAGE_FLAGS, flags)  # MSGFLAG_UNSENT clear => "sent"
    props.long(PID_STORE_SUPPORT_MASK, STORE_UNICODE_OK)  # strings are PT_UNICODE
    # 2.4.1.1: top-level header = 8 reserved, next recipient ID, next attachment
    # ID, recipient count, attachment count, 8 reserved (32 bytes).
    top_header = struct.pack(
        "<8xIIII8x", len(recipients), len(all_attachments), len(recipients), len(all_attachments)
    )
    props.write_into(root, top_header)

    # 2.2.1: one recipient object storage per recipient.
    for index, (name, address) in enumerate(recipients):
        recip = _PropertyBag()
        recip.long(PID_RECIPIENT_TYPE, MAPI_TO)
        recip.long(PID_ROWID, index)
        recip.unicode(PID_DISPLAY_NAME, name)
        recip.unicode(PID_ADDRTYPE, "SMTP")
        recip.unicode(PID_EMAIL_ADDRESS, address)
        recip.unicode(PID_SMTP_ADDRESS, address)
        # 2.4.1.2: recipient/attachment property stream header is 8 reserved bytes.
        recip.write_into(root.add_storage(f"__recip_version1.0_#{index:08X}"), b"\0" * 8)

    # 2.2.2: one attachment object storage per attachment.
    for index, ((filename, data), mime) in enumerate(zip(all_attachments, mime_tags, strict=True)):
        att = _PropertyBag()
        att.long(PID_ATTACH_METHOD, ATTACH_BY_VALUE)
        att.long(PID_ATTACH_NUM, index)
        att.long(PID_RENDERING_POSITION, 0xFFFFFFFF)  # not rendered inline
        att.unicode(PID_ATTACH_LONG_FILENAME, filename)
        att.unicode(PID_DISPLAY_NAME, filename)
        if "." in filename:
            att.unicode(PID_ATTACH_EXTENSION, "." + filename.rsplit(".", 1)[1])
        att.unicode(PID_ATTACH_MIME_TAG, mime)
        att.binary(PID_ATTACH_DATA_BIN, data)
        att.write_into(root.add_storage(f"__attach_version1.0_#{index:08X}"), b"\0" * 8)

    return write_cfb(root)
