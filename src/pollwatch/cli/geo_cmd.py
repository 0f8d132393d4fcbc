"""``pollwatch geo``: what offline IP data is loaded, and labels for addresses.

::

    pollwatch geo info [--format table|json] [--mmdb FILE ...] [--as-of DATE]
    pollwatch geo lookup IP... [--format table|json|jsonl] [--mmdb FILE ...]
                               [--prefer mmdb|bundled] [--no-bundled]

``lookup`` exits 2 when any argument is not an IP address (after printing the
rest); a bad ``--mmdb`` file exits 3.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from pollwatch.analyze.geo import GeoInfo, GeoLabel, GeoResolver, open_resolver
from pollwatch.errors import PollwatchError


class InfoFormat(enum.StrEnum):
    table = "table"
    json = "json"


class LookupFormat(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class Prefer(enum.StrEnum):
    mmdb = "mmdb"
    bundled = "bundled"


MmdbOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--mmdb",
        help="A MaxMind-format .mmdb file to consult (repeatable).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def _resolver(mmdb: Sequence[Path] | None, prefer: Prefer, bundled: bool) -> GeoResolver:
    try:
        return open_resolver(mmdb or (), bundled=bundled, prefer=prefer.value)
    except PollwatchError as exc:
        typer.echo(f"pollwatch: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:  # piped: don't squeeze tables into 80 columns
        console.width = max(console.width, 160)
    return console


# ------------------------------------------------------------------ info


def _info_table(info: GeoInfo) -> Table:
    table = Table(title=f"Geo sources, in precedence order (as of {info.as_of})")
    for col in ("#", "source", "kind", "provides", "data date", "age (days)", "licence"):
        table.add_column(col, overflow="fold")
    for n, src in enumerate(info.sources, 1):
        age = "" if src.age_days is None else str(src.age_days)
        table.add_row(
            str(n),
            src.name,
            src.kind,
            "+".join(src.provides),
            str(src.data_date or ""),
            f"[red]{age}[/red]" if src.stale else age,
            src.licence or "",
        )
    return table


def _print_info(info: GeoInfo) -> None:
    console = _console()
    console.print(_info_table(info))
    notices: list[str] = []
    for src in info.sources:
        console.print(f"[bold]{src.name}[/bold]: {src.location}")
        if src.attribution:
            console.print(f"  attribution: {src.attribution}", markup=False, soft_wrap=True)
        if src.notice and src.notice not in notices:
            notices.append(src.notice)
    for notice in notices:
        console.print(f"upstream notice: {notice}", markup=False, soft_wrap=True)


def info(
    fmt: Annotated[InfoFormat, typer.Option("--format", help="Output format.")] = InfoFormat.table,
    mmdb: MmdbOpt = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Compute ages as of this date."),
    ] = None,
) -> None:
    """Show the loaded IP data sources, their dates and licences; warn when stale."""
    today = as_of.date() if as_of else dt.datetime.now(dt.UTC).date()
    report = _resolver(mmdb, Prefer.mmdb, True).info(today)
    if fmt is InfoFormat.json:
        typer.echo(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2))
    else:
        _print_info(report)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)


# ------------------------------------------------------------------ lookup


def _sources(label: GeoLabel) -> str:
    if label.source == label.country_source:
        return label.source or ""
    parts = [f"country: {label.country_source}"] if label.country_source else []
    if label.source:
        parts.append(f"AS: {label.source}")
    return "; ".join(parts)


def _lookup_table(rows: Sequence[tuple[str, GeoLabel | None]]) -> Table:
    table = Table()
    for col in ("ip", "scope", "country", "asn", "AS organisation", "source"):
        table.add_column(col, overflow="fold")
    for text, label in rows:
        if label is None:
            table.add_row(text, "[red]invalid[/red]", "", "", "", "")
            continue
        shown = f"{label.ip} (via {label.embedded_ipv4})" if label.embedded_ipv4 else label.ip
        table.add_row(
            shown,
            label.scope,
            label.country or "",
            f"AS{label.asn}" if label.asn else "",
            label.as_org or "",
            _sources(label),
        )
    return table


def _as_json(text: str, label: GeoLabel | None) -> object:
    if label is None:
        return {"ip": text, "error": "not an IP address"}
    return label


def _print_lookup(rows: Sequence[tuple[str, GeoLabel | None]], fmt: LookupFormat) -> None:
    if fmt is LookupFormat.table:
        _console().print(_lookup_table(rows))
    elif fmt is LookupFormat.jsonl:
        for text, label in rows:
            typer.echo(msgspec.json.encode(_as_json(text, label)).decode())
    else:
        body = msgspec.json.encode([_as_json(t, lbl) for t, lbl in rows]).decode()
        typer.echo(msgspec.json.format(body, indent=2))


def lookup(
    ips: Annotated[list[str], typer.Argument(help="IPv4 or IPv6 addresses.", metavar="IP...")],
    fmt: Annotated[
        LookupFormat, typer.Option("--format", help="Output format.")
    ] = LookupFormat.table,
    mmdb: MmdbOpt = None,
    prefer: Annotated[
        Prefer, typer.Option(help="Which data wins when both have a value.")
    ] = Prefer.mmdb,
    bundled: Annotated[
        bool, typer.Option("--bundled/--no-bundled", help="Use the bundled data.")
    ] = True,
) -> None:
    """Country, AS number and AS organisation of each IP, with the source of each."""
    resolver = _resolver(mmdb, prefer, bundled)
    rows = [(ip, resolver.lookup(ip)) for ip in ips]
    _print_lookup(rows, fmt)
    if any(label is None for _, label in rows):
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the ``geo`` command group to ``app``."""
    geo = typer.Typer(
        name="geo", help="Offline IP country and network (AS) labels.", no_args_is_help=True
    )
    geo.command("info")(info)
    geo.command("lookup")(lookup)
    app.add_typer(geo, name="geo")
