"""``pollwatch rules``: list, validate and test the content rules.

::

    pollwatch rules list     [--rules DIR ...] [--format table|json|jsonl]
    pollwatch rules validate [--rules DIR ...] [--format table|json]
    pollwatch rules test     [--rules DIR ...] [--rule ID ...] [--format table|json]

Rules come from the built-in folder, every ``--rules DIR`` and the folders in
``$POLLWATCH_RULES`` (separated by ``:``). ``validate`` exits 3 when any file is
invalid, naming the file and the JSON path of each problem; ``test`` exits 1
when any rule misses a message it must hit or hits one it must miss.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pollwatch.cli.output import emit_json, emit_jsonl, stdout
from pollwatch.errors import ConfigError
from pollwatch.rules import RuleSet, check_rules, load_rules
from pollwatch.rules.testing import run_rule_tests


class Fmt(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="An extra rule folder or file (repeatable).", exists=True),
]
FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]


def _load(rules: list[Path] | None) -> RuleSet:
    return load_rules(rules or ())


def list_rules(rules: RulesOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """List every loaded rule: id, category, severity, languages, name."""
    ruleset = _load(rules)
    rows = [
        {"id": r.id, "category": r.category, "severity": r.severity,
         "languages": list(r.languages), "name": r.name, "file": r.file}
        for r in ruleset.rules
    ]  # fmt: skip
    if fmt is Fmt.json:
        emit_json(rows)
    elif fmt is Fmt.jsonl:
        for row in rows:
            emit_jsonl(row)
    else:
        table = Table("id", "category", "severity", "lang", "name")
        for r in ruleset.rules:
            table.add_row(r.id, r.category, r.severity, ",".join(r.languages) or "any", r.name)
        stdout.print(table)


def validate(rules: RulesOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Check every rule file strictly; name the file and path of each problem."""
    loaded, problems, _ = check_rules(rules or ())
    if fmt is Fmt.table:
        for p in problems:
            typer.echo(f"{p.file}: {p.path}: {p.message}", err=True)
        typer.echo(f"{len(loaded)} rule(s) valid, {len(problems)} problem(s)")
    else:
        emit_json({"valid": len(loaded),
                   "problems": [{"file": p.file, "path": p.path, "message": p.message}
                                for p in problems]})  # fmt: skip
    if problems:
        raise typer.Exit(ConfigError.exit_code)


def test(
    rules: RulesOpt = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule id.")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Run each rule's own hit/miss messages."""
    results = run_rule_tests(_load(rules), rule or ())
    failed = [r for r in results if not r.passed]
    if fmt is Fmt.table:
        for r in failed:
            typer.echo(f"FAIL {r.rule} {r.file}: {r.path}: expected {r.expect}, "
                       f"fired {list(r.fired)}", err=True)  # fmt: skip
        typer.echo(f"{len(results) - len(failed)}/{len(results)} rule tests passed")
    else:
        emit_json([{"rule": r.rule, "file": r.file, "path": r.path, "expect": r.expect,
                    "passed": r.passed, "fired": list(r.fired)} for r in results])  # fmt: skip
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="List, validate and test content rules.", no_args_is_help=True)
    group.command("list")(list_rules)
    group.command("validate")(validate)
    group.command("test")(test)
    app.add_typer(group, name="rules")
