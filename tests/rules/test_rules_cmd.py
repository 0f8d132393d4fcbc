"""The ``pollwatch rules`` commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pollwatch.cli import app, rules_cmd

rules_cmd.register(app)
runner = CliRunner()


def test_rules_list_json() -> None:
    result = runner.invoke(app, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0
    ids = {row["id"] for row in json.loads(result.output)}
    assert "claim-vote-surveillance-know-how-you-voted-en" in ids


def test_rules_test_passes_for_shipped_rules() -> None:
    result = runner.invoke(app, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "rule tests passed" in result.output


def test_rules_validate_reports_file_and_path(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("id: x-bad\nname: n\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "validate", "--rules", str(tmp_path), "-f", "json"])
    assert result.exit_code == 3
    problems = json.loads(result.output)["problems"]
    assert problems[0]["file"].endswith("bad.yml") and problems[0]["path"] == "$"


def test_rules_test_fails_on_a_rule_that_misses(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text(
        "id: user-never\nname: n\ndescription: d\ncategory: extortion\nseverity: low\n"
        "match: {field: body, op: phrase, value: [zebra]}\n"
        "tests: {hit: [{body: horse}], miss: [{body: cow}]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "test", "--rules", str(tmp_path), "--rule", "user-never"])
    assert result.exit_code == 1
    assert "0/2" not in result.output and "1/2 rule tests passed" in result.output
