"""``pollwatch analyze``: one analysis record per message, with its delivery path.

::

    pollwatch analyze PATH... [--format table|json|jsonl] [--home-country CC]
                              [--trusted-relay HOST_OR_CIDR ...] [--mx-host HOST ...]
                              [--mmdb FILE ...] [--config FILE]
                              [--dns offline|live|record|replay] [--snapshot FILE]
                              [--nameserver IP ...] [--dns-port N]
                              [--identities FILE ...] [--rules DIR ...]

``json`` prints one array of ``pollwatch.analysis/1`` records, ``jsonl`` one
record per line, ``table`` a hop diagram per message. Exit status is 0 when
at least one message was analysed without error, 1 otherwise; a bad
``--config`` or ``--mmdb`` exits 3.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pollwatch.analyze import AnalysisContext
from pollwatch.analyze.dns import DnsSource
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.record import Analysis, Hop
from pollwatch.analyze.sender import load_identities
from pollwatch.cli.output import Format, FormatOption
from pollwatch.config import DEFAULT_LIMITS, DEFAULT_SETTINGS, Settings, load_settings
from pollwatch.errors import PollwatchError, UsageError
from pollwatch.pipeline.analyze import iter_analyses
from pollwatch.rules import load_rules

__all__ = ["analyze", "register"]

_ZONE_STYLE = {"recipient": "green", "internet": "yellow", "sender": "red", "local": "dim"}


def _settings(
    config: Path | None, home: str | None, relays: list[str], mx_hosts: list[str]
) -> Settings:
    """The settings file (if any) with the command-line options added on top."""
    settings = load_settings(config) if config else DEFAULT_SETTINGS
    base = settings.path
    path = msgspec.structs.replace(
        base,
        home_country=(home.upper() if home else base.home_country),
        trusted_relays=(*base.trusted_relays, *relays),
        mx_hosts=(*base.mx_hosts, *mx_hosts),
    )
    return msgspec.structs.replace(settings, path=path)


class DnsMode(StrEnum):
    offline = "offline"
    live = "live"
    record = "record"
    replay = "replay"


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
    dns: Annotated[
        DnsMode, typer.Option("--dns", help="Re-verify SPF/DKIM/DMARC/ARC with this DNS.")
    ] = DnsMode.offline,
    snapshot: Annotated[
        Path | None, typer.Option(help="DNS snapshot file to write (record) or read (replay).")
    ] = None,
    nameserver: Annotated[
        list[str] | None, typer.Option(help="Resolver address for live/record (repeatable).")
    ] = None,
    dns_port: Annotated[int, typer.Option(help="Resolver port for live/record.")] = 53,
    identities: Annotated[
        list[Path] | None, typer.Option(help="Extra protected-identity YAML files.")
    ] = None,
    rules: Annotated[list[Path] | None, typer.Option(help="Extra rule folders.")] = None,
) -> None:
    """Analyse messages: path, authentication, impersonation, claims and personal data."""
    try:
        settings = _settings(config, home_country, trusted_relay or [], mx_host or [])
        source = _dns(dns, snapshot, nameserver or [], dns_port)
        identity_files = [*map(Path, settings.sender.identities), *(identities or ())]
        context = AnalysisContext(
            geo=open_resolver(mmdb or ()), path=settings.path, dns=source,
            identities=load_identities(identity_files,
                                       builtin=settings.sender.builtin_identities),
            rules=load_rules([*settings.rules.folders, *(rules or ())]),
        )  # fmt: skip
    except PollwatchError as exc:
        typer.echo(f"pollwatch: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    records = iter_analyses(paths, context, DEFAULT_LIMITS)
    good = _emit(records, fmt)
    if source is not None and source.save() is not None:
        typer.echo(f"DNS snapshot written to {snapshot}", err=True)
    if not good:
        raise typer.Exit(1)


def _dns(mode: DnsMode, snapshot: Path | None, servers: list[str], port: int) -> DnsSource | None:
    """The resolver for re-verification; ``offline`` keeps to recorded headers."""
    if mode in (DnsMode.record, DnsMode.replay) and snapshot is None:
        raise UsageError(f"--dns {mode} needs --snapshot FILE")
    if mode is DnsMode.live:
        return DnsSource.live(servers, port)
    if mode is DnsMode.record:
        assert snapshot is not None
        return DnsSource.record(snapshot, servers, port)
    if mode is DnsMode.replay:
        assert snapshot is not None
        return DnsSource.replay(snapshot)
    return None


def _emit(records: Iterator[Analysis], fmt: Format) -> int:
    good = 0
    if fmt is Format.json:
        sys.stdout.write("[")
    console = wide_console()
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


def wide_console() -> Console:
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
    _print_auth(console, record)
    for item in sender.impersonation:
        console.print(Text(f"   impersonates {item.target} ({item.kind}): {item.evidence}",
                           style="magenta"))  # fmt: skip
    for finding in record.findings:
        words = "; ".join(f"\u201c{e.text}\u201d" for e in finding.evidence[:3])
        console.print(Text(f"   [{finding.category}] {finding.title}: {words}", style="red"))
        if finding.rebuttal:
            console.print(Text(f"      fact: {finding.rebuttal.strip()}", style="green"))
    if record.personalization:
        fields = sorted({p.field for p in record.personalization})
        console.print(Text(f"   personal data used: {', '.join(fields)}", style="cyan"))
    console.print()


def _print_auth(console: Console, record: Analysis) -> None:
    auth = record.auth
    parts = []
    for method, results in (("spf", auth.spf), ("dkim", auth.dkim), ("dmarc", auth.dmarc),
                            ("arc", auth.arc)):  # fmt: skip
        trusted = [r for r in results if r.trusted]
        if trusted:
            best = trusted[0]
            domain = f", {best.domain}" if best.domain else ""
            parts.append(f"{method}={best.result} ({best.source}{domain})")
        elif results:
            parts.append(f"{method}={results[0].result} (untrusted claim)")
    if parts:
        console.print(Text("   auth  " + "  ".join(parts)))


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` command to ``app``."""
    app.command("analyze")(analyze)
