"""Intake: paths on the command line -> raw message bytes with provenance.

Entry point: :func:`iter_items`. Files, folders (recursive), maildirs, mbox,
zip archives and standard input (``-``). Report unwrapping lives in
:mod:`pollwatch.intake.unwrap` and runs on each item after parsing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pollwatch.config import Limits
from pollwatch.intake.containers import Item, RawItem, read_bytes, read_file
from pollwatch.models import IngestError, SourceRef

__all__ = ["Item", "RawItem", "iter_items", "list_files"]

_MAILDIR_SUBDIRS = ("cur", "new", "tmp")


def iter_items(
    paths: Iterable[str],
    limits: Limits,
    stdin: BinaryIO | None = None,
    exclude: frozenset[Path] = frozenset(),
) -> Iterator[Item]:
    """Every message (or per-item error) under the given paths, in a stable order.

    ``exclude`` names resolved paths never to read (the catalogue's own files).
    """
    for given in paths:
        if given == "-":
            yield from _read_stdin(stdin or sys.stdin.buffer, limits)
            continue
        path = Path(given)
        if not path.exists():
            yield IngestError(SourceRef(given, "eml"), "source.missing", "no such file or folder")
        elif path.is_dir():
            yield from _read_folder(path, limits, exclude)
        else:
            yield from read_file(path, str(path.resolve()), limits)


def list_files(paths: Iterable[str]) -> Iterator[Path]:
    """The files iter_items will open, for progress totals."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            yield path


def _read_stdin(stream: BinaryIO, limits: Limits) -> Iterator[Item]:
    data = stream.read(limits.max_message_bytes + 1)
    source = SourceRef("<stdin>", "stdin")
    if len(data) > limits.max_message_bytes:
        yield IngestError(source, "message.too_large", "standard input exceeds the size limit")
        return
    for item in read_bytes(data, source, limits):
        if isinstance(item, RawItem) and item.source.index is None:
            item = RawItem(item.raw, SourceRef("<stdin>", "stdin"), item.defects)
        yield item


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in _MAILDIR_SUBDIRS)


def _read_folder(root: Path, limits: Limits, exclude: frozenset[Path]) -> Iterator[Item]:
    """Recursive, sorted; maildirs are read as maildirs (``cur`` and ``new``)."""
    if is_maildir(root):
        yield from _read_maildir(root, limits)
        return
    for child in sorted(root.iterdir()):
        if child.is_symlink() or child.resolve() in exclude:
            continue  # never follow links out of the folder; never read our own store
        if child.is_dir():
            yield from _read_folder(child, limits, exclude)
        elif child.is_file():
            yield from read_file(child, str(child.resolve()), limits)


def _read_maildir(root: Path, limits: Limits) -> Iterator[Item]:
    display = str(root.resolve())
    for sub in ("cur", "new"):
        for child in sorted((root / sub).iterdir()):
            if not child.is_file() or child.name.startswith("."):
                continue
            for item in read_file(child, display, limits):
                if isinstance(item, RawItem) and item.source.index is None:
                    source = SourceRef(display, "maildir", f"{sub}/{child.name}")
                    item = RawItem(item.raw, source, item.defects)
                yield item
