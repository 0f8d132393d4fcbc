from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from pollwatch.cli import _register_commands, app

_register_commands()


def test_demo_generates_ingests_and_reports_what_it_found(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--count", "120"])
    assert result.exit_code == 0, result.output
    assert "120 new, 0 duplicate, 0 failed" in result.stdout
    assert "what the messages claim and threaten" in result.stdout
    assert "where the threats entered" in result.stdout
    assert "★ edge" in result.stdout
    con = sqlite3.connect(out / "pollwatch.db")
    assert con.execute("SELECT count(*) FROM sightings").fetchone()[0] == 120
    con.close()
    again = CliRunner().invoke(app, ["demo", "--out", str(out), "--count", "120"])
    assert "0 new, 120 duplicate" in again.stdout
