"""Writers stream to mbox, maildir and .eml directories with labels alongside."""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
import tracemalloc
from pathlib import Path

from pollwatch.synth import (
    SynthConfig,
    decode_label,
    generate,
    write_eml_dir,
    write_maildir,
    write_mbox,
)
from pollwatch.synth.writer import mbox_separator, mboxrd_escape


def test_mbox_round_trip_keeps_count_and_bytes(tmp_path: Path) -> None:
    out = tmp_path / "corpus.mbox"
    summary = write_mbox(generate(SynthConfig(count=120, seed=3)), out)
    assert summary.count == 120
    box = mailbox.mbox(out)
    assert len(box) == 120
    labels = [decode_label(line) for line in (tmp_path / "labels.jsonl").read_bytes().splitlines()]
    assert len(labels) == 120
    originals = generate(SynthConfig(count=120, seed=3))
    for key, label, original in zip(box.keys(), labels, originals, strict=True):
        assert label == original.label
        assert box.get_bytes(key) == mboxrd_escape(original.raw)


def test_mbox_separator_is_a_from_line_with_asctime() -> None:
    msg = next(iter(generate(SynthConfig(count=1, seed=1))))
    line = mbox_separator(msg).decode()
    assert line.startswith("From ") and line.endswith("\n")
    parts = line.split()
    assert "@" in parts[1] and parts[-1].isdigit() and ":" in parts[-2]


def test_mboxrd_escape_quotes_from_lines_only_at_line_start() -> None:
    raw = b"Subject: x\n\nFrom here\n>From there\nnot From here\n"
    assert mboxrd_escape(raw) == b"Subject: x\n\n>From here\n>>From there\nnot From here\n"


def test_maildir_layout_and_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "md"
    summary = write_maildir(generate(SynthConfig(count=50, seed=4)), root)
    assert summary.count == 50
    assert {p.name for p in root.iterdir()} >= {"cur", "new", "tmp"}
    assert not any((root / "tmp").iterdir())
    md = mailbox.Maildir(root, create=False)
    assert len(md) == 50
    labels = {decode_label(x).sha256 for x in (root / "labels.jsonl").read_bytes().splitlines()}
    for path in (root / "new").iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() in labels


def test_eml_directory_has_one_parseable_file_per_message(tmp_path: Path) -> None:
    root = tmp_path / "eml"
    write_eml_dir(generate(SynthConfig(count=30, seed=5)), root, per_dir=10)
    files = sorted(root.glob("*/*.eml"))
    assert len(files) == 30
    assert len({p.parent for p in files}) == 3
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.compat32)
    assert msg["Subject"] is not None


def test_writing_streams_in_bounded_memory(tmp_path: Path) -> None:
    def peak(count: int) -> int:
        tracemalloc.start()
        write_mbox(
            generate(SynthConfig(count=count, seed=9)),
            tmp_path / f"{count}.mbox",
            tmp_path / f"{count}.jsonl",
        )
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(150), peak(900)
    assert large < 4_000_000
    assert large < small * 1.5 + 500_000  # six times the messages, no growth
