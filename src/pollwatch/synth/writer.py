"""Stream generated messages to mbox, maildir or ``.eml`` files, labels alongside.

Each writer consumes an iterable one message at a time and writes its label as
one JSON line to ``labels.jsonl`` (or the path given), so a million messages
take the memory of one. Labels carry the SHA-256 of the message bytes as
generated: mbox readers that undo mboxrd ``>From`` quoting get them back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC
from pathlib import Path
from typing import BinaryIO

import msgspec

from pollwatch.synth.labels import SynthMessage, encode_label

Progress = Callable[[int], None]
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


class WriteSummary(msgspec.Struct, frozen=True):
    path: str
    labels: str
    count: int
    bytes: int


def mbox_separator(msg: SynthMessage) -> bytes:
    """The ``From sender asctime`` line that starts each mbox entry."""
    sender = msg.label.sender.replace(" ", "") or "MAILER-DAEMON"
    when = msg.label.sent_at.astimezone(UTC)
    return f"From {sender} {when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}\n".encode()


def mboxrd_escape(raw: bytes) -> bytes:
    """Quote ``From `` (and already quoted ``>From ``) line starts, as mboxrd does."""
    return _FROM_LINE.sub(rb">\1", raw)


def _labels_path(target: Path, labels: Path | None, inside: bool) -> Path:
    if labels is not None:
        return labels
    return target / "labels.jsonl" if inside else target.with_name("labels.jsonl")


def _drain(
    messages: Iterable[SynthMessage],
    labels: BinaryIO,
    write: Callable[[SynthMessage], int],
    progress: Progress | None,
) -> tuple[int, int]:
    count = total = 0
    for msg in messages:
        total += write(msg)
        labels.write(encode_label(msg.label) + b"\n")
        count += 1
        if progress is not None:
            progress(1)
    return count, total


def write_mbox(
    messages: Iterable[SynthMessage],
    path: Path | str,
    labels: Path | str | None = None,
    progress: Progress | None = None,
) -> WriteSummary:
    """Write an mboxrd file; labels default to ``labels.jsonl`` next to it."""
    target = Path(path)
    lpath = _labels_path(target, Path(labels) if labels else None, inside=False)
    with target.open("wb") as out, lpath.open("wb") as lab:

        def one(msg: SynthMessage) -> int:
            data = mboxrd_escape(msg.raw)
            if not data.endswith(b"\n"):
                data += b"\n"
            chunk = mbox_separator(msg) + data + b"\n"
            out.write(chunk)
            return len(chunk)

        count, total = _drain(messages, lab, one, progress)
    return WriteSummary(str(target), str(lpath), count, total)


def maildir_name(msg: SynthMessage) -> str:
    """A unique, deterministic maildir file name (``time.M<usec>P<pid>Q<n>.host``)."""
    when = int(msg.label.sent_at.timestamp())
    return f"{when}.M0P0Q{msg.label.index}.pollwatch-synth"


def write_maildir(
    messages: Iterable[SynthMessage],
    directory: Path | str,
    labels: Path | str | None = None,
    progress: Progress | None = None,
) -> WriteSummary:
    """Deliver into ``new/`` the maildir way (write in ``tmp/``, then rename)."""
    root = Path(directory)
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    lpath = _labels_path(root, Path(labels) if labels else None, inside=True)
    with lpath.open("wb") as lab:

        def one(msg: SynthMessage) -> int:
            name = maildir_name(msg)
            tmp = root / "tmp" / name
            tmp.write_bytes(msg.raw)
            tmp.replace(root / "new" / name)
            return len(msg.raw)

        count, total = _drain(messages, lab, one, progress)
    return WriteSummary(str(root), str(lpath), count, total)


def write_eml_dir(
    messages: Iterable[SynthMessage],
    directory: Path | str,
    labels: Path | str | None = None,
    progress: Progress | None = None,
    per_dir: int = 1000,
) -> WriteSummary:
    """One ``.eml`` per message, ``per_dir`` to a numbered sub-directory."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    lpath = _labels_path(root, Path(labels) if labels else None, inside=True)
    made: set[int] = set()
    with lpath.open("wb") as lab:

        def one(msg: SynthMessage) -> int:
            shard = msg.label.index // per_dir
            sub = root / f"{shard:05d}"
            if shard not in made:
                sub.mkdir(exist_ok=True)
                made.add(shard)
            (sub / f"{msg.label.index:08d}-{msg.label.sha256[:12]}.eml").write_bytes(msg.raw)
            return len(msg.raw)

        count, total = _drain(messages, lab, one, progress)
    return WriteSummary(str(root), str(lpath), count, total)
