"""``pollwatch synth`` through Typer's test runner."""

from __future__ import annotations

import mailbox
from pathlib import Path

import typer
from typer.testing import CliRunner

from pollwatch.cli.synth_cmd import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps Typer in group mode
        """Unused."""

    return app


def test_synth_writes_an_mbox_and_prints_one_line_summary(tmp_path: Path) -> None:
    out = tmp_path / "x.mbox"
    result = CliRunner().invoke(_app(), ["synth", str(out), "--count", "25", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert len(mailbox.mbox(out)) == 25
    assert (tmp_path / "labels.jsonl").read_bytes().count(b"\n") == 25
    assert result.output.count("\n") == 1 and "wrote 25 messages" in result.output


def test_synth_maildir_with_explicit_labels_and_start(tmp_path: Path) -> None:
    out, labels = tmp_path / "md", tmp_path / "truth.jsonl"
    result = CliRunner().invoke(
        _app(),
        [
            "synth",
            str(out),
            "-n",
            "10",
            "--format",
            "maildir",
            "--labels",
            str(labels),
            "--start",
            "2020-10-20T08:00:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(mailbox.Maildir(out, create=False)) == 10
    assert b'"sent_at":"2020-10' in labels.read_bytes()


def test_synth_rejects_a_bad_start_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["synth", str(tmp_path / "a"), "--start", "yesterday"])
    assert result.exit_code != 0


def test_synth_workers_write_the_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / workers / "x.mbox"
        out.parent.mkdir()
        args = ["synth", str(out), "-n", "2100", "--seed", "8", "--workers", workers]
        result = CliRunner().invoke(_app(), args)
        assert result.exit_code == 0, result.output
        outputs.append((out.read_bytes(), (out.parent / "labels.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][1].count(b"\n") == 2100
