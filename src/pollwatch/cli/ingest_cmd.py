"""``pollwatch ingest``: store reported messages as evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pollwatch.cli.output import (
    DEFAULT_DB_PATH,
    DbOption,
    Format,
    FormatOption,
    emit_json,
    emit_jsonl,
    stderr,
    stdout,
)
from pollwatch.config import DEFAULT_LIMITS, DEFAULT_SETTINGS, load_settings
from pollwatch.errors import PollwatchError, UsageError
from pollwatch.models import IngestSummary
from pollwatch.pipeline.executors import make_executor
from pollwatch.pipeline.ingest import Outcome, Tally, ingest
from pollwatch.pipeline.job import AnalysisSpec, IngestJob
from pollwatch.store import Catalogue

DEFAULT_JOB = IngestJob(DEFAULT_LIMITS)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command(
    paths: Annotated[
        list[str],
        typer.Argument(help="Files, folders, mbox, maildir, .zip, or - for standard input."),
    ],
    db: DbOption = DEFAULT_DB_PATH,
    output: FormatOption = Format.table,
    workers: Annotated[
        int, typer.Option(help="Worker processes: 1 runs in this process, 0 uses every core.")
    ] = 1,
    analyze: Annotated[
        bool, typer.Option(help="Analyse each new message and place it in a campaign.")
    ] = True,
    config: Annotated[
        Path | None, typer.Option("--config", help="A TOML settings file (see docs/path.md).")
    ] = None,
    mmdb: Annotated[
        list[Path] | None, typer.Option(help="A MaxMind-format .mmdb file to consult.")
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(help="Re-verify authentication by replaying this DNS snapshot."),
    ] = None,
) -> None:
    """Read messages, unwrap forwarded reports, store them as evidence, analyse
    them and assign them to campaigns."""
    try:
        job = IngestJob(DEFAULT_LIMITS, _spec(config, mmdb or [], snapshot) if analyze else None)
    except PollwatchError as exc:
        typer.echo(f"pollwatch: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    summary = run_ingest(paths, db, workers, show_progress=output is Format.table, job=job)
    print_summary(summary, output)
    if summary.new + summary.duplicate == 0 and summary.failed:
        raise typer.Exit(1)


def _spec(config: Path | None, mmdb: list[Path], snapshot: Path | None) -> AnalysisSpec:
    settings = load_settings(config) if config else DEFAULT_SETTINGS
    if snapshot is not None and not snapshot.is_file():
        raise UsageError(f"--snapshot {snapshot}: no such file")
    return AnalysisSpec(
        settings, tuple(str(p.resolve()) for p in mmdb),
        str(snapshot.resolve()) if snapshot else None,
    )  # fmt: skip


def run_ingest(
    paths: list[str], db: Path, workers: int, show_progress: bool, job: IngestJob = DEFAULT_JOB
) -> IngestSummary:
    with Catalogue(db) as catalogue:
        if not (show_progress and stderr.is_terminal):
            return ingest(paths, catalogue, job, make_executor(workers))
        with _progress() as progress:
            task = progress.add_task("ingesting", total=None)

            def advance(_outcome: Outcome, tally: Tally) -> None:
                progress.update(
                    task, advance=1,
                    description=f"{tally.new} new, {tally.duplicate} dup, {tally.failed} failed",
                )

            return ingest(paths, catalogue, job, make_executor(workers), advance)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        TextColumn("{task.completed} messages"), TimeElapsedColumn(),
        console=stderr, transient=True,
    )


def print_summary(summary: IngestSummary, output: Format) -> None:
    if output is Format.json:
        emit_json(summary)
    elif output is Format.jsonl:
        emit_jsonl(summary)
    else:
        _print_table(summary)


def _print_table(summary: IngestSummary) -> None:
    stdout.print(
        f"[bold]{summary.new}[/] new, [bold]{summary.duplicate}[/] duplicate, "
        f"[bold]{summary.failed}[/] failed"
    )
    if not summary.failed:
        return
    table = Table("reason", "count", title="failures by reason")
    for code, count in sorted(summary.failed_by_code.items(), key=lambda kv: -kv[1]):
        table.add_row(code, str(count))
    stdout.print(table)
    errors = Table("source", "position", "error", title="first failures")
    for error in summary.errors[:20]:
        errors.add_row(error.source.path, error.source.index or "", error.reason)
    stdout.print(errors)
