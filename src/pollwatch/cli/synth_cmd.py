"""``pollwatch synth``: write a labelled synthetic corpus."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pollwatch.errors import UsageError
from pollwatch.synth import SynthConfig, write_eml_dir, write_maildir, write_mbox
from pollwatch.synth.parallel import generate_parallel
from pollwatch.synth.writer import Progress, WriteSummary


class SynthFormat(StrEnum):
    mbox = "mbox"
    maildir = "maildir"
    eml = "eml"


def _parse_start(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--start: not an ISO 8601 date-time: {text!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _write(
    fmt: SynthFormat,
    config: SynthConfig,
    out: Path,
    labels: Path | None,
    progress: Progress | None,
    workers: int,
) -> WriteSummary:
    messages = generate_parallel(config, workers)
    if fmt is SynthFormat.mbox:
        return write_mbox(messages, out, labels, progress)
    if fmt is SynthFormat.maildir:
        return write_maildir(messages, out, labels, progress)
    return write_eml_dir(messages, out, labels, progress)


def synth(
    out: Annotated[Path, typer.Argument(help="mbox file, or directory for maildir/eml")],
    count: Annotated[int, typer.Option("--count", "-n", min=0, help="messages to write")] = 1000,
    seed: Annotated[int, typer.Option(help="same seed, same bytes")] = 0,
    fmt: Annotated[SynthFormat, typer.Option("--format", help="output container")] = (
        SynthFormat.mbox
    ),
    start: Annotated[str, typer.Option(help="campaign window start, ISO 8601 (UTC if naive)")] = (
        "2020-10-19T12:00:00+00:00"
    ),
    labels: Annotated[
        Path | None, typer.Option(help="labels JSON Lines (default: labels.jsonl alongside)")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=0, help="Worker processes: 1 runs in this process, 0 uses every core. "
                     "The output is the same bytes whatever the number."),
    ] = 1,
) -> None:
    """Generate realistic labelled voter-intimidation, phishing and legitimate mail."""
    config = SynthConfig(count=count, seed=seed, start=_parse_start(start))
    if fmt is SynthFormat.mbox and out.is_dir():
        raise UsageError(f"{out} is a directory; mbox needs a file path")
    if sys.stderr.isatty():
        from rich.progress import Progress as Bar

        with Bar(transient=True) as bar:
            task = bar.add_task("synth", total=count)
            summary = _write(fmt, config, out, labels, lambda n: bar.advance(task, n), workers)
    else:
        summary = _write(fmt, config, out, labels, None, workers)
    typer.echo(
        f"synth: wrote {summary.count} messages ({summary.bytes:,} bytes) to "
        f"{summary.path} [{fmt.value}], labels in {summary.labels}"
    )


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
