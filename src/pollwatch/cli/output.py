"""Shared command-line plumbing: output formats, the --db option, consoles."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from pollwatch.config import DEFAULT_DB


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


DbOption = Annotated[
    Path, typer.Option("--db", help="Catalogue file (SQLite); blobs go in <name>.blobs/ beside it.")
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
DEFAULT_DB_PATH = DEFAULT_DB

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True)


def emit_json(value: object) -> None:
    """One pretty JSON document on stdout."""
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(value)).decode() + "\n")


def emit_jsonl(value: object) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")
