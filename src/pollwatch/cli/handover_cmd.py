"""What people act on: ``report``, ``export``, ``evidence`` (and ``evidence verify``), ``advisory``.

Each reads campaigns from the catalogue (``--db``) and writes one artefact;
the writers themselves live in :mod:`pollwatch.report` and :mod:`pollwatch.export`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pollwatch.analyze.redact import Mode
from pollwatch.cli.output import DEFAULT_DB_PATH, DbOption, emit_json, stdout
from pollwatch.cluster.campaigns import MIN_SIZE
from pollwatch.errors import UsageError
from pollwatch.export.advisory import render_advisory
from pollwatch.export.case import Case
from pollwatch.export.evidence import write_evidence
from pollwatch.export.evidence_verify import verify_evidence
from pollwatch.export.indicators_csv import indicators_csv
from pollwatch.export.load import CatalogueMembers, load_cases
from pollwatch.export.misp import misp_event
from pollwatch.export.stix import stix_bundle
from pollwatch.store import Catalogue

CampaignOption = Annotated[
    str | None, typer.Option("--campaign", help="One campaign id (default: every campaign).")
]
REPORT_LIMIT = 20


class ExportFormat(StrEnum):
    stix = "stix"
    misp = "misp"
    csv = "csv"


class RedactMode(StrEnum):
    mask = "mask"
    hash = "hash"


class Language(StrEnum):
    en = "en"
    es = "es"


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
    app.command("export")(export_command)
    app.command("advisory")(advisory_command)
    evidence = typer.Typer(help="Evidence packages: write one, or verify one.")
    evidence.callback(invoke_without_command=True)(evidence_command)
    evidence.command("verify")(verify_command)
    app.add_typer(evidence, name="evidence")


@contextmanager
def _catalogue(db: Path) -> Iterator[Catalogue]:
    if not db.exists():
        raise UsageError(f"no catalogue at {db}: run `pollwatch ingest` first")
    with Catalogue(db) as catalogue:
        yield catalogue


def _cases(db: Path, campaign: str | None, limit: int | None = None) -> list[Case]:
    with _catalogue(db) as catalogue:
        cases = load_cases(catalogue, campaign, min_size=MIN_SIZE, limit=limit)
    if not cases:
        raise UsageError(f"no campaigns in {db} yet")
    return cases


def report_command(
    campaign: CampaignOption = None,
    out: Annotated[Path, typer.Option(help="Where to write: FILE.html or FILE.pdf.")] = Path(
        "pollwatch-report.html"
    ),
    db: DbOption = DEFAULT_DB_PATH,
    limit: Annotated[int, typer.Option(help="Campaigns in a report of all.")] = REPORT_LIMIT,
) -> None:
    """A self-contained HTML (or PDF) report for officials: summary, waves, paths, claims."""
    from pollwatch.report import write_report  # matplotlib and weasyprint load only here

    written = write_report(_cases(db, campaign, limit), out)
    stdout.print(f"report written to {written}")


def export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="stix, misp or csv.")],
    campaign: CampaignOption = None,
    redact: Annotated[
        bool, typer.Option(help="Mask or hash recipients' names, mailboxes and addresses.")
    ] = False,
    redact_mode: Annotated[RedactMode, typer.Option(help="mask or hash.")] = RedactMode.mask,
    tlp: Annotated[str, typer.Option(help="TLP marking: clear, green, amber, red.")] = "amber",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Indicators for sharing: STIX 2.1 bundle, MISP event, or CSV.

    Hash redaction takes its key from $POLLWATCH_REDACT_KEY.
    """
    cases = _cases(db, campaign)
    key = os.environ.get("POLLWATCH_REDACT_KEY", "").encode() or None
    mode: Mode = "hash" if redact_mode is RedactMode.hash else "mask"
    if fmt is ExportFormat.stix:
        text = stix_bundle(cases, tlp=tlp, redact=redact, redact_mode=mode, redact_key=key)
    elif fmt is ExportFormat.misp:
        text = misp_event(cases, tlp=tlp, redact=redact, redact_mode=mode, redact_key=key)
    else:
        text = indicators_csv(cases, redact=redact, redact_mode=mode, redact_key=key)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{fmt.value} export written to {out}", err=True)


def evidence_command(
    ctx: typer.Context,
    campaign: CampaignOption = None,
    out: Annotated[Path | None, typer.Option(help="The package to write (FILE.zip).")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Package a campaign's raw messages, analyses, DNS snapshots and chain of custody."""
    if ctx.invoked_subcommand is not None:
        return
    if campaign is None or out is None:
        raise UsageError("evidence needs --campaign ID and --out FILE.zip (or: evidence verify)")
    with _catalogue(db) as catalogue:
        case = load_cases(catalogue, campaign, sample=1)[0]
        summary = write_evidence(
            case, CatalogueMembers(catalogue).members(case.campaign.campaign_id), out,
            dns_snapshots=[Path(p) for p in case.dns_snapshots],
        )  # fmt: skip
    stdout.print(
        f"evidence package {summary.path}: {summary.messages} messages, {summary.analyses} "
        f"analyses, {summary.custody_events} custody events; sha256 {summary.sha256}"
    )
    if summary.missing_members:
        stdout.print(
            f"[yellow]{summary.missing_members} campaign member(s) could not be packaged "
            "(their bytes are not in the store); listed in the manifest[/]"
        )
    for problem in summary.problems:
        stdout.print(f"  noticed: {problem}", markup=False)


def verify_command(
    package: Annotated[Path, typer.Argument(help="An evidence package written by pollwatch.")],
    json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Re-check every hash in an evidence package; exit 1 when anything does not match."""
    report = verify_evidence(package)
    if json:
        emit_json(report)
    else:
        state = "[green]verified[/]" if report.ok else "[red]FAILED[/]"
        stdout.print(f"{package}: {state} ({report.verified}/{report.listed} files)")
        for problem in report.problems:
            stdout.print(f"  {problem.kind}: {problem.path or ''} {problem.detail}", markup=False)
        if report.problems_dropped:
            stdout.print(f"  ... and {report.problems_dropped} more problem(s) not listed")
    if not report.ok:
        raise typer.Exit(1)


def advisory_command(
    campaign: Annotated[str, typer.Option("--campaign", help="The campaign to describe.")],
    lang: Annotated[Language, typer.Option(help="en or es.")] = Language.en,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """A public advisory draft (Markdown): what was sent, why it is false, what to do."""
    text = render_advisory(_cases(db, campaign)[0], lang=lang.value)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"advisory written to {out}", err=True)
