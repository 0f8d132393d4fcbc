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
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.models import IngestSummary
from pollwatch.pipeline.executors import make_executor
from pollwatch.pipeline.ingest import Outcome, Tally, ingest
from pollwatch.store import Catalogue


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
) -> None:
    """Read messages, unwrap forwarded reports, and store them as evidence."""
    summary = run_ingest(paths, db, workers, show_progress=output is Format.table)
    print_summary(summary, output)
    if summary.new + summary.duplicate == 0 and summary.failed:
        raise typer.Exit(1)


def run_ingest(paths: list[str], db: Path, workers: int, show_progress: bool) -> IngestSummary:
    with Catalogue(db) as catalogue:
        if not (show_progress and stderr.is_terminal):
            return ingest(paths, catalogue, DEFAULT_LIMITS, make_executor(workers))
        with _progress() as progress:
            task = progress.add_task("ingesting", total=None)

            def advance(_outcome: Outcome, tally: Tally) -> None:
                progress.update(
                    task, advance=1,
                    description=f"{tally.new} new, {tally.duplicate} dup, {tally.failed} failed",
                )

            return ingest(paths, catalogue, DEFAULT_LIMITS, make_executor(workers), advance)


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
