"""Domain posture: verdicts, fixes and partial results when DNS fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import typer
from typer.testing import CliRunner

from pollwatch.analyze.dns import DnsAnswer, DnsSource, Snapshot, txt_record
from pollwatch.analyze.posture import check_posture
from pollwatch.cli.posture_cmd import register


def _zone(spf: str | None, dmarc: str | None, **extra: dict[str, list[str]]) -> DnsSource:
    zone: dict[str, dict[str, list[str]]] = {"county.example": {"MX": ["10 mx.county.example."]}}
    if spf:
        zone["county.example"]["TXT"] = [txt_record(spf)]
    if dmarc:
        zone["_dmarc.county.example"] = {"TXT": [txt_record(dmarc)]}
    zone.update(extra)
    return DnsSource.injected(zone)


def test_enforcing_dmarc_and_strict_spf_is_protected() -> None:
    dns = _zone(
        "v=spf1 mx -all",
        "v=DMARC1; p=reject; rua=mailto:r@county.example",
        **{"selector1._domainkey.county.example": {"TXT": [txt_record("v=DKIM1; p=MIIB")]}},
    )
    result = check_posture("county.example", dns)
    assert result.verdict == "protected"
    assert result.dkim_selectors == ("selector1",) and result.spf.lookups == 1


def test_no_dmarc_is_spoofable_with_a_concrete_fix() -> None:
    result = check_posture("county.example", _zone("v=spf1 +all", None))
    assert result.verdict == "spoofable"
    assert any("no DMARC" in r for r in result.reasons)
    assert any("_dmarc" in f for f in result.fixes)
    assert any("+all" in r for r in result.reasons)


def test_p_none_is_partly_protected_and_pct_is_reported() -> None:
    assert check_posture("county.example", _zone("v=spf1 -all", "v=DMARC1; p=none")).verdict == (
        "partly_protected"
    )
    partial = check_posture("county.example", _zone("v=spf1 -all", "v=DMARC1; p=reject; pct=20"))
    assert partial.verdict == "partly_protected"
    assert any("pct=100" in f for f in partial.fixes)


def test_spf_lookup_count_follows_includes_and_flags_the_limit() -> None:
    includes = " ".join(f"include:i{n}.example" for n in range(6))
    zone = {f"i{n}.example": {"TXT": [txt_record("v=spf1 a mx -all")]} for n in range(6)}
    result = check_posture(
        "county.example", _zone(f"v=spf1 {includes} -all", "v=DMARC1; p=reject", **zone)
    )
    assert result.spf.lookups == 18
    assert result.verdict == "partly_protected"
    assert any("over the limit" in p for p in result.spf.problems)


def test_dns_failure_gives_a_partial_result_not_an_exception() -> None:
    dns = DnsSource.injected(
        {
            "county.example": {"TXT": ["TIMEOUT"], "MX": ["0 ."]},
            "_dmarc.county.example": {"TXT": [txt_record("v=DMARC1; p=reject")]},
        }
    )
    result = check_posture("county.example", dns)
    assert result.verdict == "unknown" and result.dmarc.policy == "reject"
    assert result.mx.null_mx and result.errors and "SPF" in result.errors[0]


def test_posture_command_replays_a_snapshot_and_prints_json(tmp_path: Path) -> None:
    snap = tmp_path / "posture.dns.json"
    answers = [
        DnsAnswer("county.example", "TXT", "ok", (txt_record("v=spf1 -all"),)),
        DnsAnswer("_dmarc.county.example", "TXT", "ok", (txt_record("v=DMARC1; p=none"),)),
        DnsAnswer("county.example", "MX", "ok", ("0 .",)),
    ]
    snap.write_bytes(msgspec.json.encode(Snapshot(datetime.now(UTC), answers)))
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands keep "posture" a sub-command
    result = CliRunner().invoke(
        app, ["posture", "county.example", "--replay", str(snap), "--format", "json"]
    )
    assert result.exit_code == 1  # not protected
    (row,) = msgspec.json.decode(result.stdout)
    assert row["verdict"] == "partly_protected" and row["mx"]["null_mx"] is True
    assert row["dns"] == f"snapshot:{snap}"
