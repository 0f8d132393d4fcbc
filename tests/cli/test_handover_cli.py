"""The hand-over commands end to end over a real catalogue: report, export, evidence, advisory."""

from __future__ import annotations

import csv
import io
import zipfile
from functools import cache
from pathlib import Path

import msgspec
import stix2
from typer.testing import CliRunner

from pollwatch.cli import _register_commands, app
from pollwatch.synth import SynthConfig, decode_label, generate, write_mbox

RUNNER = CliRunner()


@cache
def catalogue(root: Path) -> tuple[Path, str, list[str]]:
    """A catalogue of a generated sample, its largest threat campaign, and recipients."""
    _register_commands()
    box = root / "sample.mbox"
    write_mbox(generate(SynthConfig(count=120, seed=5)), box, root / "labels.jsonl")
    db = root / "p.db"
    assert RUNNER.invoke(app, ["ingest", str(box), "--db", str(db)]).exit_code == 0
    listed = RUNNER.invoke(app, ["campaigns", "--db", str(db), "--format", "jsonl"])
    records = [msgspec.json.decode(line) for line in listed.output.splitlines()]
    threat = next(r for r in records if "threat.violence" in r["categories"])
    labels = [decode_label(line) for line in (root / "labels.jsonl").open("rb")]
    recipients = sorted({label.recipient for label in labels if label.campaign})
    return db, threat["campaign_id"], recipients


def run(*args: str) -> str:
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_report_export_evidence_and_advisory(tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp("handover")
    db, campaign, recipients = catalogue(root)
    report = root / "r.html"
    run("report", "--db", str(db), "--campaign", campaign, "--out", str(report))
    assert "Executive summary" in report.read_text()

    bundle = run("export", "--format", "stix", "--db", str(db), "--campaign", campaign)
    parsed = stix2.parse(bundle, allow_custom=False)
    assert any(o.type == "campaign" for o in parsed.objects)
    table = run("export", "--format", "csv", "--db", str(db), "--campaign", campaign)
    assert list(csv.DictReader(io.StringIO(table)))

    redacted = run("export", "--format", "misp", "--db", str(db), "--redact")
    plain = run("export", "--format", "misp", "--db", str(db))
    assert any(r in plain for r in recipients)
    assert not any(r in redacted for r in recipients)

    package = root / "e.zip"
    run("evidence", "--campaign", campaign, "--out", str(package), "--db", str(db))
    assert "verified" in run("evidence", "verify", str(package))
    tampered = root / "t.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("messages/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(info, data)
    assert RUNNER.invoke(app, ["evidence", "verify", str(tampered)]).exit_code == 1

    advisory = run("advisory", "--campaign", campaign, "--lang", "es", "--db", str(db))
    assert advisory.startswith("#") and not any(r in advisory for r in recipients)


def test_commands_explain_a_missing_catalogue(tmp_path: Path) -> None:
    _register_commands()
    result = RUNNER.invoke(app, ["report", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "run `pollwatch ingest` first" in str(result.exception)


def test_evidence_says_which_members_could_not_be_packaged(tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp("lost")
    db, campaign, _ = catalogue(root)
    shown = msgspec.json.decode(run("campaigns", "show", campaign, "--db", str(db),
                                    "--format", "json"))  # fmt: skip
    lost = shown["members"][0]
    blob = root / "p.blobs" / lost[:2] / lost[2:4] / lost
    assert blob.is_file()
    blob.unlink()
    package = root / "e.zip"
    printed = run("evidence", "--campaign", campaign, "--out", str(package), "--db", str(db))
    assert "1 campaign member(s) could not be packaged" in " ".join(printed.split())
    with zipfile.ZipFile(package) as archive:
        manifest = msgspec.json.decode(archive.read("manifest.json"))
    assert manifest["missing_members"] == [lost]
    assert "verified" in run("evidence", "verify", str(package))
