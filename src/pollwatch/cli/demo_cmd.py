"""``pollwatch demo``: the whole job on a generated sample, start to finish."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pollwatch.cli.ingest_cmd import print_summary, run_ingest
from pollwatch.cli.output import Format, stdout
from pollwatch.synth import SynthConfig, generate, write_mbox

DEMO_COUNT = 400
DEMO_SEED = 2020


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the sample and its catalogue.")] = Path(
        "pollwatch-demo"
    ),
    count: Annotated[int, typer.Option(help="Messages to generate.")] = DEMO_COUNT,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same sample).")] = DEMO_SEED,
) -> None:
    """Generate a labelled sample campaign, ingest it, and show what was found."""
    out.mkdir(parents=True, exist_ok=True)
    sample = out / "sample.mbox"
    if not sample.exists():
        stdout.print(f"Generating {count} messages (seed {seed}) into {sample} ...")
        write_mbox(generate(SynthConfig(count=count, seed=seed)), sample, out / "labels.jsonl")
    db = out / "pollwatch.db"
    stdout.rule("ingest")
    summary = run_ingest([str(sample)], db, workers=1, show_progress=True)
    print_summary(summary, Format.table)
    stdout.rule("what is in the store")
    _print_overview(db)
    stdout.print(f"\nCatalogue: {db}   evidence blobs: {db.with_name(db.stem + '.blobs')}")


def _print_overview(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        reports = dict(
            con.execute(
                "SELECT coalesce(report_kind, 'direct'), count(*) FROM sightings GROUP BY 1"
            ).fetchall()
        )
        stdout.print(
            f"{sum(reports.values())} messages: {reports.get('direct', 0)} received directly, "
            f"{reports.get('attachment', 0)} unwrapped from forwards with attachments, "
            f"{reports.get('inline', 0)} recovered from inline forwards (headers lost)"
        )
        _table(con, "claimed sender domains", "from_domain",
               "SELECT from_domain, count(*) FROM messages GROUP BY 1 ORDER BY 2 DESC LIMIT 8")
        _table(con, "most frequent subjects", "subject",
               "SELECT subject, count(*) FROM messages GROUP BY 1 ORDER BY 2 DESC LIMIT 8")
    finally:
        con.close()


def _table(con: sqlite3.Connection, title: str, column: str, sql: str) -> None:
    table = Table(column, "messages", title=title)
    for value, number in con.execute(sql):
        table.add_row(str(value or "(none)"), str(number))
    stdout.print(table)
