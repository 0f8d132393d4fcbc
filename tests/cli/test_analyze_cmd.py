"""``pollwatch analyze``: formats, errors as data, inline reports, settings files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from pollwatch.cli.analyze_cmd import register

GOLDEN = Path(__file__).parents[1] / "analyze" / "golden" / "path"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """test app"""

    return app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["analyze", *args])
    return result.exit_code, result.output


def test_json_is_an_array_of_analysis_records() -> None:
    code, out = run(str(GOLDEN / "gmail.eml"), str(GOLDEN / "m365.eml"), "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [r["schema"] for r in records] == ["pollwatch.analysis/1"] * 2
    assert records[0]["message"]["from"]["address"] == "info@officialproudboys.com"
    assert records[0]["path"]["edge"]["ip"] == "195.80.106.21"
    assert records[1]["path"]["origin"]["ip"] == "5.252.198.117"
    assert "195.80.106.21" in records[0]["iocs"]["ips"]


def test_jsonl_prints_one_record_per_line_and_bad_items_as_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01 not mail")
    code, out = run(str(GOLDEN / "yahoo.eml"), str(junk), str(tmp_path / "missing.eml"),
                    "--format", "jsonl")  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert lines[0]["errors"] == [] and lines[0]["path"]["edge"]["ip"] == "159.135.228.12"
    assert lines[1]["errors"] and lines[2]["errors"][0].startswith("source.missing")


def test_table_draws_hops_with_the_edge_marked() -> None:
    code, out = run(str(GOLDEN / "cpanel_php.eml"))
    assert code == 0
    assert "★" in out and "103.14.76.81" in out and "recipient" in out
    assert "origin" in out and "mailer.php" in out


def test_inline_report_has_no_path(tmp_path: Path) -> None:
    report = tmp_path / "report.eml"
    report.write_bytes(
        b"From: reporter@county.gov\nTo: phishing@county.gov\nSubject: Fwd: vote or else\n"
        b"Date: Tue, 20 Oct 2020 10:00:00 +0000\n"
        b"Received: from x.example.net (x.example.net [198.51.100.7]) by mx.county.gov "
        b"with ESMTP id 1; Tue, 20 Oct 2020 10:00:01 +0000\n\n"
        b"see below\n\n---------- Forwarded message ---------\n"
        b"From: Proud Boys <info@officialproudboys.com>\nDate: Mon, Oct 19, 2020 at 9:00 AM\n"
        b"Subject: Vote for Trump or else!\nTo: <voter@county.gov>\n\nWe will come after you.\n"
    )
    code, out = run(str(report), "--format", "json")
    record = json.loads(out)[0]
    assert code == 0
    assert record["report"]["kind"] == "inline" and record["report"]["headers_available"] is False
    assert record["path"]["hops"] == [] and record["path"]["edge"] is None


def test_config_file_is_decoded_strictly(tmp_path: Path) -> None:
    config = tmp_path / "pollwatch.toml"
    config.write_text('[path]\nhome_country = "US"\nmx_host = ["x"]\n')
    code, out = run(str(GOLDEN / "gmail.eml"), "--config", str(config))
    assert code == 3 and "unknown field `mx_host`" in out and "$.path" in out


def test_trusted_relay_and_home_country_options(tmp_path: Path) -> None:
    config = tmp_path / "pollwatch.toml"
    config.write_text('[path]\ndomestic_domains = ["state-elections.gov"]\n')
    code, out = run(str(GOLDEN / "qmail.eml"), str(GOLDEN / "private_internet.eml"),
                    "--trusted-relay", "86.105.1.0/24", "--home-country", "us",
                    "--config", str(config), "--format", "json")  # fmt: skip
    records = json.loads(out)
    assert code == 0
    assert records[0]["path"]["edge"]["ip"] == "82.76.40.15"
    assert "path.foreign_edge" in {a["kind"] for a in records[1]["path"]["anomalies"]}
