"""Reading messages out of files: single messages, mbox, maildir, zip and Outlook.

Container type is decided from content (magic bytes, mbox separator, header
shape), the file name only breaking ties. Every reader yields either a
:class:`RawItem` or an :class:`~pollwatch.models.IngestError`, never raises for
one bad item, and bounds what it reads with :class:`~pollwatch.config.Limits`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from pollwatch.config import Limits
from pollwatch.models import Defect, IngestError, SourceRef
from pollwatch.parse.outlook import OLE_MAGIC

Detected = Literal["eml", "mbox", "msg", "zip", "unknown"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MBOX_FROM = re.compile(rb"^From \S{1,500} {1,2}\S")  # separator: sender and date
_MBOX_FIRST = re.compile(rb"^From \S[^\r\n]{0,1000}\r?\n")  # a file may omit the date
_HEADER_FIELD = re.compile(rb"^[!-9;-~]{1,200}[ \t]*:")
_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class RawItem:
    """One message's bytes exactly as found, with where they were found."""

    raw: bytes
    source: SourceRef
    defects: tuple[Defect, ...] = ()


Item = RawItem | IngestError


def detect(head: bytes) -> Detected:
    """Container type from the first bytes of a file."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "msg"
    stripped = head.lstrip(b"\r\n\t \xef\xbb\xbf")
    first = _MBOX_FIRST.match(stripped)
    if first:
        return "mbox" if _HEADER_FIELD.match(stripped[first.end() :]) else "unknown"
    if _HEADER_FIELD.match(stripped):
        return "eml"
    return "unknown"


def _error(source: SourceRef, code: str, reason: str) -> IngestError:
    return IngestError(source=source, code=code, reason=reason)


def read_bytes(data: bytes, source: SourceRef, limits: Limits, depth: int = 0) -> Iterator[Item]:
    """Items from an in-memory blob whose container type is not yet known."""
    kind = detect(data[:_SNIFF])
    if kind in ("eml", "msg"):
        yield RawItem(data, source)
    elif kind == "mbox":
        yield from read_mbox(io.BytesIO(data), source, limits)
    elif kind == "zip":
        yield from read_zip(io.BytesIO(data), source, limits, depth)
    else:
        yield _error(source, "container.unrecognised", "not an email, mbox, Outlook .msg or zip")


def read_file(path: Path, display: str, limits: Limits) -> Iterator[Item]:
    """Items from one file on disk, streaming mbox and zip rather than loading them."""
    plain = SourceRef(path=display, container="eml")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            kind = detect(handle.read(_SNIFF))
            handle.seek(0)
            if kind == "mbox":
                yield from read_mbox(handle, SourceRef(display, "mbox"), limits)
                return
            if kind == "zip":
                yield from read_zip(handle, SourceRef(display, "zip"), limits, 0)
                return
            if kind == "unknown":
                yield _error(plain, "container.unrecognised", _unrecognised(path, size))
                return
            if size > limits.max_message_bytes:
                yield _error(plain, "message.too_large", f"{size:,} bytes exceeds the limit")
                return
            data = handle.read()
    except OSError as exc:
        yield _error(plain, "container.unreadable", f"cannot read file: {exc.strerror or exc}")
        return
    yield RawItem(data, SourceRef(display, "msg" if kind == "msg" else "eml"))


def _unrecognised(path: Path, size: int) -> str:
    if size == 0:
        return "empty file"
    return f"not an email, mbox, Outlook .msg or zip ({size:,} bytes, {path.suffix or 'no'} suffix)"


def read_mbox(handle: BinaryIO, source: SourceRef, limits: Limits) -> Iterator[Item]:
    """Messages of an mbox, split at ``From `` lines after a blank line, streamed.

    ``>From `` quoting (mboxo and mboxrd) is undone one level. An oversized
    message is skipped to its end and reported, and the next one is read.
    """
    index = 0
    lines: list[bytes] = []
    size = 0
    oversized = False
    previous_blank = True
    for line in handle:
        if line.startswith(b"From ") and (
            (index == 0 and not lines) or (previous_blank and _MBOX_FROM.match(line))
        ):
            if lines or oversized:
                yield _mbox_item(lines, oversized, source, index, size)
                index += 1
            lines, size, oversized = [], 0, False
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if oversized:
            size += len(line)
            continue
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        lines.append(line)
        size += len(line)
        if size > limits.max_mbox_message_bytes:
            oversized, lines = True, []
    if lines or oversized:
        yield _mbox_item(lines, oversized, source, index, size)


def _mbox_item(
    lines: list[bytes], oversized: bool, source: SourceRef, index: int, size: int
) -> Item:
    here = SourceRef(source.path, "mbox", _join_index(source.index, f"#{index}"))
    if oversized:
        return _error(here, "message.too_large", f"mbox message of {size:,} bytes skipped")
    data = b"".join(lines)
    # The newline before the next separator belongs to the separator.
    if data.endswith(b"\r\n\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n\n"):
        data = data[:-1]
    return RawItem(data, here)


def _join_index(outer: str | None, inner: str) -> str:
    return f"{outer}!{inner}" if outer else inner


def read_zip(handle: BinaryIO, source: SourceRef, limits: Limits, depth: int) -> Iterator[Item]:
    """Entries of a zip archive, each bounded in size, ratio and total."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield _error(source, "archive.corrupt", f"zip archive unreadable: {exc}")
        return
    with archive:
        yield from _ZipReader(archive, source, limits, depth).entries()


class _ZipReader:
    def __init__(self, archive: zipfile.ZipFile, source: SourceRef, limits: Limits, depth: int):
        self.archive = archive
        self.source = source
        self.limits = limits
        self.depth = depth
        self.total = 0

    def entries(self) -> Iterator[Item]:
        infos = [info for info in self.archive.infolist() if not info.is_dir()]
        if len(infos) > self.limits.max_archive_entries:
            yield _error(self.source, "archive.too_many_entries", f"{len(infos):,} entries")
            return
        for info in infos:
            here = SourceRef(self.source.path, "zip", _join_index(self.source.index, info.filename))
            if self.total > self.limits.max_archive_total_bytes:
                yield _error(here, "archive.bomb", "archive expands beyond the total size limit")
                continue
            yield from self._entry(info, here)

    def _entry(self, info: zipfile.ZipInfo, here: SourceRef) -> Iterator[Item]:
        defects = _entry_name_defects(info.filename)
        if info.flag_bits & 0x1:
            yield _error(here, "archive.encrypted", "encrypted zip entry (no password is tried)")
            return
        data, problem = self._read_bounded(info)
        if problem is not None:
            yield _error(here, problem[0], problem[1])
            return
        if detect(data[:_SNIFF]) == "zip":
            if self.depth + 1 > self.limits.max_archive_depth:
                yield _error(here, "archive.too_deep", "zip nested deeper than the limit")
                return
            yield from read_zip(io.BytesIO(data), here, self.limits, self.depth + 1)
            return
        for item in read_bytes(data, here, self.limits, self.depth + 1):
            if isinstance(item, RawItem) and defects:
                item = RawItem(item.raw, item.source, item.defects + defects)
            yield item

    def _read_bounded(self, info: zipfile.ZipInfo) -> tuple[bytes, tuple[str, str] | None]:
        cap = min(
            self.limits.max_message_bytes,
            max(info.compress_size, 1) * self.limits.max_archive_ratio + 1024 * 1024,
        )
        chunks: list[bytes] = []
        read = 0
        try:
            with self.archive.open(info) as entry:
                while chunk := entry.read(1024 * 1024):
                    read += len(chunk)
                    self.total += len(chunk)
                    if read > cap:
                        return b"", ("archive.bomb", _bomb_reason(info, read))
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            return b"", ("archive.corrupt", f"zip entry unreadable: {exc}")
        return b"".join(chunks), None


def _bomb_reason(info: zipfile.ZipInfo, read: int) -> str:
    return (
        f"entry expands beyond {read:,} bytes from {info.compress_size:,} compressed: "
        "refused as a decompression bomb"
    )


def _entry_name_defects(name: str) -> tuple[Defect, ...]:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        return (Defect("archive.unsafe_name", f"entry name {name!r} escapes the archive; "
                       "read in memory only, never extracted"),)
    return ()

