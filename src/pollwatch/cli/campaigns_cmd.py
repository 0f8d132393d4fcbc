"""``pollwatch campaigns [list | show ID]``: which reports are one operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pollwatch.cli.output import (
    DEFAULT_DB_PATH,
    DbOption,
    Format,
    FormatOption,
    emit_json,
    emit_jsonl,
    stdout,
)
from pollwatch.cluster.campaigns import MIN_SIZE, Campaigns
from pollwatch.cluster.record import CampaignRecord
from pollwatch.errors import UsageError
from pollwatch.store import Catalogue

MinSize = Annotated[int, typer.Option(help="Smallest campaign to list (members).")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Campaigns and their waves, templates and links.")
    group.callback(invoke_without_command=True)(_default)
    group.command("list")(list_command)
    group.command("show")(show_command)
    app.add_typer(group, name="campaigns")


def _default(
    ctx: typer.Context,
    db: DbOption = DEFAULT_DB_PATH,
    output: FormatOption = Format.table,
    min_size: MinSize = MIN_SIZE,
) -> None:
    """Without a subcommand: the same as ``campaigns list``."""
    if ctx.invoked_subcommand is None:
        list_command(db, output, min_size)


def list_command(
    db: DbOption = DEFAULT_DB_PATH,
    output: FormatOption = Format.table,
    min_size: MinSize = MIN_SIZE,
) -> None:
    """Every campaign with at least --min-size members, largest first."""
    with open_campaigns(db) as campaigns:
        records = campaigns.records(min_size)
        if output is Format.table:
            _print_list(list(records))
        elif output is Format.jsonl:
            for record in records:
                emit_jsonl(record)
        else:
            emit_json(list(records))


def show_command(
    campaign_id: Annotated[str, typer.Argument(help="Campaign id (a merged one's old id works).")],
    db: DbOption = DEFAULT_DB_PATH,
    output: FormatOption = Format.table,
) -> None:
    """One campaign: waves, template, links, indicators."""
    with open_campaigns(db) as campaigns:
        record = campaigns.get(campaign_id)
    if output is Format.table:
        print_campaign(record)
    elif output is Format.jsonl:
        emit_jsonl(record)
    else:
        emit_json(record)


@contextmanager
def open_campaigns(db: Path) -> Iterator[Campaigns]:
    """The campaigns of an existing catalogue (a missing one is a usage error)."""
    if not db.exists():
        raise UsageError(f"no catalogue at {db}: run `pollwatch ingest` first")
    with Catalogue(db) as catalogue:
        yield Campaigns(catalogue.db)


def _print_list(records: list[CampaignRecord]) -> None:
    table = Table("campaign", "size", "recipients", "waves", "first seen", "last seen",
                  "categories", "label", title=f"{len(records)} campaigns")  # fmt: skip
    for r in records:
        table.add_row(r.campaign_id, str(r.size), str(r.recipients), str(len(r.waves)),
                      _when(r.first_seen), _when(r.last_seen), ", ".join(r.categories),
                      r.label[:70])  # fmt: skip
    stdout.print(table)


def print_campaign(r: CampaignRecord) -> None:
    stdout.rule(f"{r.campaign_id}  {r.label}")
    stdout.print(
        f"{r.size} messages to {r.recipients} recipients ({r.reports} reported by users), "
        f"{_when(r.first_seen)} to {_when(r.last_seen)}; categories: "
        f"{', '.join(r.categories) or 'none'}"
    )
    if r.aliases:
        stdout.print(f"merged from: {', '.join(r.aliases)}")
    waves = Table("wave", "start", "end", "size", "edge countries", "networks", "relays",
                  title="waves")  # fmt: skip
    for w in r.waves:
        waves.add_row(str(w.wave_id), _when(w.start), _when(w.end), str(w.size),
                      _top(w.edge_countries), _top(w.edge_asns, 2),
                      ", ".join(w.relays[:3]))  # fmt: skip
    stdout.print(waves)
    stdout.print(f"[bold]template[/] ({r.template.variants} variants)")
    stdout.print(f"  subject: {r.template.subject}", markup=False)
    for line in r.template.body.splitlines():
        stdout.print(f"  | {line}", markup=False)
    slots = Table("slot", "filled", "distinct values", "examples", title="slots")
    for s in r.template.slots:
        slots.add_row(s.name, str(s.filled), str(s.distinct), ", ".join(s.examples)[:60])
    stdout.print(slots)
    links = Table("link", "value", "joins", "why", title="why members were joined")
    for link in r.links:
        links.add_row(link.kind, link.value or "", str(link.joins), link.detail)
    stdout.print(links)
    iocs = Table("type", "value", "role", "messages", title="indicators (top 15)")
    for ioc in r.indicators[:15]:
        iocs.add_row(ioc.type, ioc.value[:70], ioc.role, str(ioc.count))
    stdout.print(iocs)


def _top(counts: dict[str, int], n: int = 3) -> str:
    return ", ".join(f"{k} {v}" for k, v in list(counts.items())[:n])


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


def iter_records(
    db: Path, campaign_id: str | None, min_size: int = MIN_SIZE
) -> Iterator[CampaignRecord]:
    """The campaign asked for, or every campaign; for the report and export commands."""
    with open_campaigns(db) as campaigns:
        if campaign_id is not None:
            yield campaigns.get(campaign_id)
        else:
            yield from campaigns.records(min_size)


