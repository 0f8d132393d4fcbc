from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pollwatch.cli import _register_commands, app
from support.messages import simple_message

_register_commands()
runner = CliRunner()


def test_ingest_json_summary_has_the_contract_fields(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(simple_message())
    (tmp_path / "b.bin").write_bytes(b"\x00garbage")
    db = tmp_path / "p.db"
    result = runner.invoke(app, ["ingest", str(tmp_path), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"new", "duplicate", "failed", "errors"} <= set(summary)
    assert (summary["new"], summary["duplicate"], summary["failed"]) == (1, 0, 1)
    assert summary["errors"][0]["code"] == "container.unrecognised"


def test_ingest_table_summary_names_the_failures(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"\x00garbage")
    result = runner.invoke(app, ["ingest", str(tmp_path), "--db", str(tmp_path / "p.db")])
    assert "0 new, 0 duplicate, 1 failed" in result.stdout
    assert "container.unrecognised" in result.stdout
    assert result.exit_code == 1  # nothing could be ingested at all


def test_ingest_reads_standard_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "-", "--db", str(tmp_path / "p.db"), "--format", "json"],
        input=simple_message(),
    )
    assert json.loads(result.stdout)["new"] == 1
