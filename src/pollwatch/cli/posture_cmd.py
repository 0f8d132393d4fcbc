"""``pollwatch posture``: can these domains be spoofed, and how to stop it.

::

    pollwatch posture DOMAIN... [--file FILE] [--format table|json|jsonl]
                      [--nameserver IP ...] [--port N] [--selector S ...]
                      [--record FILE | --replay FILE]

Exit 0 when every domain is ``protected``, 1 when any is not (or unknown),
2 on bad arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pollwatch.analyze.dns import DnsSource
from pollwatch.analyze.posture import COMMON_SELECTORS, DomainPosture, check_posture
from pollwatch.cli.output import Format, FormatOption, emit_json, emit_jsonl, stdout

_COLOURS = {
    "protected": "green",
    "partly_protected": "yellow",
    "spoofable": "red",
    "unknown": "magenta",
}


def _domains(args: list[str] | None, file: Path | None) -> list[str]:
    found = list(args or [])
    if file is not None:
        for line in file.read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                found.append(text)
    return list(dict.fromkeys(d.lower().rstrip(".") for d in found))


def _source(
    nameservers: list[str] | None, port: int, record: Path | None, replay: Path | None
) -> DnsSource:
    if record and replay:
        typer.echo("pollwatch: --record and --replay cannot be used together", err=True)
        raise typer.Exit(2)
    if replay:
        return DnsSource.replay(replay)
    if record:
        return DnsSource.record(record, nameservers or (), port)
    return DnsSource.live(nameservers or (), port)


def _table(results: list[DomainPosture]) -> Table:
    table = Table(title="Domain anti-spoofing posture")
    for col in ("domain", "verdict", "SPF", "lookups", "DMARC", "MX", "DKIM", "fixes"):
        table.add_column(col, overflow="fold")
    for r in results:
        colour = _COLOURS[r.verdict]
        dmarc = (
            "none"
            if r.dmarc.policy is None
            else (f"p={r.dmarc.policy} pct={r.dmarc.pct}" + (" rua" if r.dmarc.rua else ""))
        )
        mx = "null MX" if r.mx.null_mx else (", ".join(r.mx.hosts[:2]) or "none")
        table.add_row(
            r.domain,
            f"[{colour}]{r.verdict}[/{colour}]",
            r.spf.all_qualifier or ("none" if r.spf.record is None else "no all"),
            str(r.spf.lookups),
            dmarc,
            mx,
            ", ".join(r.dkim_selectors) or "-",
            "\n".join(f"- {f}" for f in (*r.fixes, *(f"DNS: {e}" for e in r.errors))),
        )
    return table


def posture(
    domains: Annotated[list[str] | None, typer.Argument(metavar="DOMAIN...")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Domains, one a line (# comments).", exists=True, dir_okay=False
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    nameserver: Annotated[
        list[str] | None,
        typer.Option("--nameserver", help="Resolver to ask (repeatable); default: the system's."),
    ] = None,
    port: Annotated[int, typer.Option(help="DNS port of --nameserver.")] = 53,
    selector: Annotated[
        list[str] | None,
        typer.Option("--selector", help="Extra DKIM selector to look for (repeatable)."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Write every DNS answer used to this snapshot file."),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Answer from this snapshot file only (no network)."),
    ] = None,
) -> None:
    """SPF, DMARC, MX and DKIM of each domain: a spoofability verdict and concrete fixes."""
    names = _domains(domains, file)
    if not names:
        typer.echo("pollwatch: give DOMAIN... or --file FILE", err=True)
        raise typer.Exit(2)
    dns = _source(nameserver, port, record, replay)
    selectors = (*COMMON_SELECTORS, *(selector or ()))
    with dns:
        results = [check_posture(name, dns, selectors) for name in names]
    if fmt is Format.json:
        emit_json(results)
    elif fmt is Format.jsonl:
        for result in results:
            emit_jsonl(result)
    else:
        stdout.print(_table(results))
    if any(r.verdict != "protected" for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``posture`` command to ``app``."""
    app.command("posture")(posture)
