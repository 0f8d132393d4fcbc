"""The ``pollwatch`` command. Each command group lives in its own module and
registers itself on the one Typer app here."""

from __future__ import annotations

import typer

from pollwatch.errors import PollwatchError

app = typer.Typer(
    name="pollwatch",
    help="Forensics and campaign tracking for threatening, impersonating and "
    "disinformation email aimed at voters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """pollwatch: from reported messages to campaigns, evidence and action."""
    if version:
        from pollwatch import __version__

        typer.echo(f"pollwatch {__version__}")
        raise typer.Exit()


def _register_commands() -> None:
    from pollwatch.cli import (
        analyze_cmd,
        campaigns_cmd,
        demo_cmd,
        geo_cmd,
        handover_cmd,
        ingest_cmd,
        posture_cmd,
        rules_cmd,
        synth_cmd,
    )

    ingest_cmd.register(app)
    analyze_cmd.register(app)
    synth_cmd.register(app)
    demo_cmd.register(app)
    geo_cmd.register(app)
    rules_cmd.register(app)
    posture_cmd.register(app)
    campaigns_cmd.register(app)
    handover_cmd.register(app)


def main() -> None:
    _register_commands()
    try:
        app()
    except PollwatchError as exc:
        typer.echo(f"pollwatch: {exc}", err=True)
        raise SystemExit(exc.exit_code) from exc
