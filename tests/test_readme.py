"""Every command is documented in the README; the public API stays put."""

from __future__ import annotations

from pathlib import Path

import typer

import pollwatch
from pollwatch.cli import _register_commands, app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _command_names() -> set[str]:
    _register_commands()
    names = {c.name for c in app.registered_commands if c.name}
    names |= {g.name for g in app.registered_groups if g.name}
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    names = _command_names()
    assert {"ingest", "analyze", "demo", "synth", "geo", "rules", "posture"} <= names
    missing = [n for n in sorted(names) if f"pollwatch {n}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_public_entry_points_exist() -> None:
    from pollwatch.analyze import AnalysisContext, analyze_message
    from pollwatch.intake import iter_items
    from pollwatch.parse import parse_message
    from pollwatch.pipeline.ingest import ingest
    from pollwatch.store import Catalogue

    assert all(callable(f) for f in (analyze_message, iter_items, parse_message, ingest))
    assert isinstance(AnalysisContext, type) and isinstance(Catalogue, type)
    assert pollwatch.__version__
    assert isinstance(app, typer.Typer)
