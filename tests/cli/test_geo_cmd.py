"""``pollwatch geo info`` and ``pollwatch geo lookup``."""

from __future__ import annotations

import tarfile
from pathlib import Path

import msgspec
import pytest
import typer
from typer.testing import CliRunner

from pollwatch.analyze.geo import bundled_source
from pollwatch.cli.geo_cmd import register

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "fixtures.tar.xz"
ASN_MEMBER = "geoip_test/maxmind_db/test-data/GeoLite2-ASN-Test.mmdb"
runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root, so ``geo`` stays a sub-command."""

    return app


@pytest.fixture(scope="module")
def asn_mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FIXTURES.is_file():
        pytest.skip(f"MaxMind test databases need {FIXTURES.resolve()} (shared corpora absent)")
    out = tmp_path_factory.mktemp("mmdb")
    with tarfile.open(FIXTURES) as tar:
        member = tar.getmember(ASN_MEMBER)
        member.name = "GeoLite2-ASN-Test.mmdb"
        tar.extract(member, out, filter="data")
    return out / member.name


def test_info_json_lists_bundled_sources(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "info", "--format", "json", "--as-of", "2026-07-01"])
    assert result.exit_code == 0, result.output
    info = msgspec.json.decode(result.stdout)
    assert info["as_of"] == "2026-07-01"
    assert [s["licence"] for s in info["sources"]] == ["CC0-1.0", "CC-BY-4.0"]
    assert info["warnings"] == []


def test_info_warns_on_stderr_when_stale(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "info", "--as-of", "2030-01-01"])
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "days old" in result.stderr
    assert "db-ip.com" in result.stdout  # attribution is always shown


def test_info_table_names_each_source(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "info", "--as-of", "2026-07-01"])
    assert result.exit_code == 0
    assert bundled_source().as_origin.name in result.stdout


def test_lookup_jsonl_one_label_per_line(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "lookup", "8.8.8.8", "10.0.0.1", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [msgspec.json.decode(line) for line in result.stdout.splitlines()]
    assert [(r["ip"], r["scope"], r["country"], r["asn"]) for r in rows] == [
        ("8.8.8.8", "public", "US", 15169),
        ("10.0.0.1", "private", None, None),
    ]


def test_lookup_invalid_address_is_reported_and_exits_2(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "lookup", "8.8.8.8", "not-an-ip", "--format", "json"])
    assert result.exit_code == 2
    rows = msgspec.json.decode(result.stdout)
    assert rows[1] == {"ip": "not-an-ip", "error": "not an IP address"}


def test_lookup_table(app: typer.Typer) -> None:
    result = runner.invoke(app, ["geo", "lookup", "::ffff:8.8.8.8"])
    assert result.exit_code == 0
    assert "Google LLC" in result.stdout and "via 8.8.8.8" in result.stdout


def test_lookup_with_mmdb_names_it_as_source(app: typer.Typer, asn_mmdb: Path) -> None:
    args = ["geo", "lookup", "2600:6000::1", "--mmdb", str(asn_mmdb), "--format", "jsonl"]
    label = msgspec.json.decode(runner.invoke(app, args).stdout)
    assert (label["asn"], label["source"]) == (237, "GeoLite2-ASN")
    preferred = msgspec.json.decode(runner.invoke(app, [*args, "--prefer", "bundled"]).stdout)
    assert preferred["source"] == bundled_source().as_origin.name


def test_lookup_without_bundled_data(app: typer.Typer, asn_mmdb: Path) -> None:
    args = [
        "geo",
        "lookup",
        "8.8.8.8",
        "--mmdb",
        str(asn_mmdb),
        "--no-bundled",
        "--format",
        "jsonl",
    ]
    label = msgspec.json.decode(runner.invoke(app, args).stdout)
    assert (label["country"], label["asn"], label["source"]) == (None, None, None)


def test_bad_mmdb_exits_3(app: typer.Typer, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"junk")
    result = runner.invoke(app, ["geo", "lookup", "8.8.8.8", "--mmdb", str(junk)])
    assert result.exit_code == 3
    assert "cannot open mmdb" in result.stderr
