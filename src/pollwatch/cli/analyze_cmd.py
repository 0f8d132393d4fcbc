"""``pollwatch analyze``: one analysis record per message, with its delivery path.

::

    pollwatch analyze PATH... [--format table|json|jsonl] [--home-country CC]
                              [--trusted-relay HOST_OR_CIDR ...] [--mx-host HOST ...]
                              [--mmdb FILE ...] [--config FILE]

``json`` prints one array of ``pollwatch.analysis/1`` records, ``jsonl`` one
record per line, ``table`` a hop diagram per message. Exit status is 0 when
at least one message was analysed without error, 1 otherwise; a bad
``--config`` or ``--mmdb`` exits 3.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pollwatch.analyze import AnalysisContext
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.record import Analysis, Hop
from pollwatch.cli.output import Format, FormatOption
from pollwatch.config import DEFAULT_LIMITS, DEFAULT_SETTINGS, PathSettings, load_settings
from pollwatch.errors import PollwatchError
from pollwatch.pipeline.analyze import iter_analyses

__all__ = ["analyze", "register"]

_ZONE_STYLE = {"recipient": "green", "internet": "yellow", "sender": "red", "local": "dim"}


def _settings(
    config: Path | None, home: str | None, relays: list[str], mx_hosts: list[str]
) -> PathSettings:
    base = load_settings(config).path if config else DEFAULT_SETTINGS.path
    return msgspec.structs.replace(
        base,
        home_country=(home.upper() if home else base.home_country),
        trusted_relays=(*base.trusted_relays, *relays),
        mx_hosts=(*base.mx_hosts, *mx_hosts),
    )


def analyze(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, mbox, zip, or - for stdin.")],
    fmt: FormatOption = Format.table,
    home_country: Annotated[
        str | None, typer.Option("--home-country", help="ISO country code of the home country.")
    ] = None,
    trusted_relay: Annotated[
        list[str] | None,
        typer.Option("--trusted-relay", help="A relay of the recipient: host name or CIDR."),
    ] = None,
    mx_host: Annotated[
        list[str] | None, typer.Option("--mx-host", help="One of the recipient's MX hosts.")
    ] = None,
    mmdb: Annotated[
        list[Path] | None,
        typer.Option("--mmdb", help="A MaxMind-format .mmdb file to consult (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A TOML settings file (see docs/path.md).")
    ] = None,
) -> None:
    """Analyse messages: delivery path (hops, edge, origin, anomalies) and sender signatures."""
    try:
        settings = _settings(config, home_country, trusted_relay or [], mx_host or [])
        context = AnalysisContext(geo=open_resolver(mmdb or ()), path=settings)
    except PollwatchError as exc:
        typer.echo(f"pollwatch: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    records = iter_analyses(paths, context, DEFAULT_LIMITS)
    good = _emit(records, fmt)
    if not good:
        raise typer.Exit(1)


def _emit(records: Iterator[Analysis], fmt: Format) -> int:
    good = 0
    if fmt is Format.json:
        sys.stdout.write("[")
    console = _console()
    for number, record in enumerate(records):
        good += not record.errors
        if fmt is Format.jsonl:
            sys.stdout.write(msgspec.json.encode(record).decode() + "\n")
        elif fmt is Format.json:
            sys.stdout.write(("," if number else "") + "\n" + msgspec.json.encode(record).decode())
        else:
            print_record(console, record)
    if fmt is Format.json:
        sys.stdout.write("\n]\n")
    sys.stdout.flush()
    return good


def _console() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


# ------------------------------------------------------------------ table view


def print_record(console: Console, record: Analysis) -> None:
    """The message's basic fields, the hop diagram, edge, origin, anomalies, sender."""
    message, path = record.message, record.path
    sender = message.from_.address if message.from_ else "?"
    console.print(Text(f"━━ {record.source.path}" + (f" [{record.source.index}]"
                       if record.source.index else ""), style="bold"))  # fmt: skip
    console.print(Text(f"   From {sender}  Date {message.date or '?'}  Subject {message.subject}"))
    console.print(Text(f"   sha256 {message.sha256}", style="dim"))
    for error in record.errors:
        console.print(Text(f"   error: {error}", style="red"))
    if not record.report.headers_available:
        console.print(Text("   inline report: the original's headers are lost; no path"))
    if path.hops:
        console.print(_hop_table(path.hops, path.edge.hop_index if path.edge else None))
    _print_summary(console, record)


def _hop_table(hops: tuple[Hop, ...], edge: int | None) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in ("", "#", "zone", "from (host / IP)", "country", "network", "by",
                   "time (UTC)", "delay"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for hop in hops:
        host = hop.from_rdns or hop.from_helo or ""
        peer = f"{host} [{hop.from_ip}]" if hop.from_ip else host or (hop.local_reason or "")
        network = f"AS{hop.asn} {hop.as_org or ''}".strip() if hop.asn else ""
        table.add_row(
            Text("★", style="bold magenta") if hop.index == edge else "",
            str(hop.index),
            Text(hop.zone, style=_ZONE_STYLE.get(hop.zone, "")),
            peer,
            hop.country or "",
            network,
            hop.by or "",
            hop.timestamp.strftime("%Y-%m-%d %H:%M:%S") if hop.timestamp else "",
            _delay(hop.delay_s),
        )
    return table


def _delay(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:+.1f} h"
    return f"{seconds:+.0f} s"


def _print_summary(console: Console, record: Analysis) -> None:
    path, sender = record.path, record.sender
    if path.edge is not None:
        edge = path.edge
        console.print(Text(
            f"   ★ edge   {edge.ip}  {edge.country or '??'}  AS{edge.asn or '?'} "
            f"{edge.as_org or ''}  (hop {edge.hop_index}; data: {edge.geo_source})"
        ))  # fmt: skip
    if path.origin is not None:
        origin = path.origin
        console.print(Text(
            f"   origin  {origin.ip}  {origin.country or '??'}  AS{origin.asn or '?'} "
            f"{origin.as_org or ''}  confidence {origin.confidence:.2f}: {origin.basis}"
        ))  # fmt: skip
    for anomaly in path.anomalies:
        console.print(Text(f"   ! {anomaly.kind}: {anomaly.detail}", style="yellow"))
    if sender.mailer or sender.script:
        console.print(Text(f"   mailer {sender.mailer or '-'}  script {sender.script or '-'}"))
    for line in sender.web_server_evidence:
        console.print(Text(f"   web: {line}", style="cyan"))
    console.print()


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` command to ``app``."""
    app.command("analyze")(analyze)
