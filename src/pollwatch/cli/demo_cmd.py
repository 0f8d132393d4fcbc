"""``pollwatch demo``: the whole job on a generated sample, start to finish."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pollwatch.analyze.record import Analysis
from pollwatch.cli.analyze_cmd import print_record, wide_console
from pollwatch.cli.campaigns_cmd import print_campaign
from pollwatch.cli.ingest_cmd import print_summary, run_ingest
from pollwatch.cli.output import Format, stdout
from pollwatch.cluster.campaigns import Campaigns
from pollwatch.cluster.record import CampaignRecord
from pollwatch.export.load import load_cases
from pollwatch.store import Catalogue
from pollwatch.synth import SynthConfig, generate, write_mbox

THREATS = frozenset({"threat.violence", "intimidation.voter", "claim.data_access",
                     "claim.vote_surveillance"})  # fmt: skip

DEMO_COUNT = 400
DEMO_SEED = 2020
REPORT_CAMPAIGNS = 8


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the sample and its catalogue.")] = Path(
        "pollwatch-demo"
    ),
    count: Annotated[int, typer.Option(help="Messages to generate.")] = DEMO_COUNT,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same sample).")] = DEMO_SEED,
) -> None:
    """Generate a labelled sample, ingest and analyse it, show the campaigns found,
    and write the HTML report."""
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
    stdout.rule("what the messages are")
    with Catalogue(db) as catalogue:
        records = list(_stored_analyses(catalogue))
    _print_findings(records)
    example = _representative(records)
    if example is not None:
        stdout.rule("one threat, hop by hop")
        print_record(wide_console(), example)
    stdout.rule("campaigns")
    with Catalogue(db) as catalogue:
        campaigns = list(Campaigns(catalogue.db).records())
        _print_campaigns(campaigns)
        if campaigns:
            print_campaign(campaigns[0])
        report = out / "report.html"
        if campaigns:
            from pollwatch.report import write_report

            write_report(load_cases(catalogue, limit=REPORT_CAMPAIGNS), report)
    stdout.print(f"Catalogue: {db}   evidence blobs: {db.with_name(db.stem + '.blobs')}")
    if campaigns:
        stdout.print(f"[bold]Report:[/] {report.resolve()} (open it in a browser; works offline)")
    stdout.print(f"Analyse any message yourself: pollwatch analyze {sample}")


def _stored_analyses(catalogue: Catalogue) -> Iterator[Analysis]:
    rows = catalogue.db.execute("SELECT sha256 FROM analyses ORDER BY sha256").fetchall()
    for (sha256,) in rows:
        record = catalogue.analysis(sha256)
        if record is not None:
            yield record


def _print_campaigns(campaigns: list[CampaignRecord]) -> None:
    table = Table("campaign", "messages", "waves", "edge countries", "label",
                  title=f"{len(campaigns)} campaigns (2 or more messages)")  # fmt: skip
    for c in campaigns[:10]:
        countries = ", ".join(list(c.edge_countries)[:5])
        table.add_row(c.campaign_id, str(c.size), str(len(c.waves)), countries, c.label[:60])
    stdout.print(table)


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


def _print_findings(records: list[Analysis]) -> None:
    categories = Counter(c for r in records for c in r.categories)
    _counts("what the messages claim and threaten", "category", categories)
    threats = [r for r in records if THREATS & set(r.categories)]
    edges = Counter(
        f"{r.path.edge.country or '??'}  AS{r.path.edge.asn or '?'} {r.path.edge.as_org or ''}"
        for r in threats if r.path.edge is not None
    )  # fmt: skip
    _counts("where the threats entered the recipients' mail systems", "country and network", edges)
    targets = Counter(i.target for r in records for i in r.sender.impersonation
                      if i.kind in ("display_name", "lookalike_domain", "unauthenticated_domain"))
    _counts("who is impersonated", "identity", targets)
    personal = Counter(field for r in threats for field in {p.field for p in r.personalization})
    _counts(f"voter data quoted in the {len(threats)} threats", "field", personal)


def _representative(records: list[Analysis]) -> Analysis | None:
    """A threat with a full delivery path, preferring one that impersonates a
    protected identity and quotes the most personal data."""
    threats = [r for r in records if THREATS & set(r.categories) and r.path.edge is not None]
    threats.sort(key=lambda r: (-any(i.protected for i in r.sender.impersonation),
                                -len(r.personalization), -len(r.findings)))  # fmt: skip
    return threats[0] if threats else None


def _counts(title: str, column: str, counts: Counter[str]) -> None:
    table = Table(column, "messages", title=title)
    for value, number in counts.most_common(8):
        table.add_row(value, str(number))
    stdout.print(table)


def _table(con: sqlite3.Connection, title: str, column: str, sql: str) -> None:
    table = Table(column, "messages", title=title)
    for value, number in con.execute(sql):
        table.add_row(str(value or "(none)"), str(number))
    stdout.print(table)
