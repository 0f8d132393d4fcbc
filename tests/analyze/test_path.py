"""Delivery-path forensics on realistic header sets, one per receiver and sender kind.

Each ``golden/path/<name>.eml`` is an invented message in a real provider's
header format; ``<name>.json`` is its exact ``path`` and ``sender`` sections.
Regenerate with ``POLLWATCH_REGEN_GOLDEN=1 pytest tests/analyze/test_path.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from pollwatch.analyze import AnalysisContext, analyze_message
from pollwatch.analyze.geo import GeoLabel
from pollwatch.analyze.hosts import ip_scope
from pollwatch.analyze.path import analyze_path
from pollwatch.analyze.record import ReportSection
from pollwatch.config import PathSettings
from pollwatch.models import SourceRef
from pollwatch.parse import parse_message

GOLDEN = Path(__file__).parent / "golden" / "path"
NOW = datetime(2020, 11, 5, tzinfo=UTC)
COUNTRIES = {
    "195.80.106.21": ("EE", 3249), "37.120.200.181": ("RO", 9009), "94.200.12.33": ("AE", 5384),
    "5.252.198.117": ("GB", 35478), "159.135.228.12": ("US", 396479), "54.240.8.46": ("US", 16509),
    "41.203.70.40": ("NG", 37148), "37.120.200.196": ("RO", 9009), "103.14.76.81": ("SG", 4657),
    "185.220.101.4": ("DE", 208294), "86.105.1.20": ("RO", 39743), "82.76.40.15": ("RO", 8708),
    "167.89.100.32": ("US", 11377), "45.133.1.90": ("RU", 57523), "91.215.85.20": ("RU", 34665),
    "156.75.1.10": ("US", 20001),
}  # fmt: skip


class FakeGeo:
    """Fixed labels, so goldens do not move when the bundled data is rebuilt."""

    def lookup(self, ip: str) -> GeoLabel | None:
        scope = ip_scope(ip)
        if scope is None:
            return None
        if scope != "public":
            return GeoLabel(ip=ip, scope=scope, source="iana-special-purpose",  # type: ignore[arg-type]
                            country_source="iana-special-purpose")  # fmt: skip
        country, asn = COUNTRIES.get(ip, (None, None))
        return GeoLabel(ip=ip, scope="public", country=country, asn=asn,
                        as_org=f"AS{asn} test" if asn else None, source="fake",
                        country_source="fake")  # fmt: skip


def context(**settings: object) -> AnalysisContext:
    return AnalysisContext(geo=FakeGeo(), path=PathSettings(**settings), now=lambda: NOW)  # type: ignore[arg-type]


def analyse(name: str, **settings: object) -> dict[str, object]:
    parsed = parse_message((GOLDEN / f"{name}.eml").read_bytes())
    result = analyze_message(parsed, context(**settings), SourceRef(name, "eml"), ReportSection())
    return msgspec.to_builtins({"path": result.path, "sender": result.sender})  # type: ignore[no-any-return]


def path_of(name: str, **settings: object) -> dict[str, object]:
    return analyse(name, **settings)["path"]  # type: ignore[return-value]


def kinds(path: dict[str, object]) -> set[str]:
    return {a["kind"] for a in path["anomalies"]}  # type: ignore[index, attr-defined]


NAMES = sorted(p.stem for p in GOLDEN.glob("*.eml"))


@pytest.mark.parametrize("name", NAMES)
def test_path_matches_golden(name: str) -> None:
    got = analyse(name, home_country="US")
    golden = GOLDEN / f"{name}.json"
    text = msgspec.json.format(msgspec.json.encode(got), indent=2).decode() + "\n"
    if os.environ.get("POLLWATCH_REGEN_GOLDEN") or not golden.exists():
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize(
    ("name", "edge", "origin"),
    [
        ("gmail", "195.80.106.21", "37.120.200.181"),
        ("m365", "94.200.12.33", "5.252.198.117"),
        ("yahoo", "159.135.228.12", "159.135.228.12"),
        ("comcast", "54.240.8.46", "54.240.8.46"),
        ("university", "41.203.70.40", "37.120.200.196"),
        ("cpanel_php", "103.14.76.81", "185.220.101.4"),
        ("qmail", "86.105.1.20", "82.76.40.15"),
        ("sendgrid", "167.89.100.32", "167.89.100.32"),
        ("forged_below_date", "45.133.1.90", "45.133.1.90"),
        ("private_internet", "91.215.85.20", "91.215.85.20"),
    ],
)
def test_edge_and_origin_of_each_format(name: str, edge: str, origin: str) -> None:
    path = path_of(name)
    assert path["edge"]["ip"] == edge  # type: ignore[index]
    assert path["origin"]["ip"] == origin  # type: ignore[index]
    assert path["origin"]["basis"]  # type: ignore[index]


def test_hops_are_ordered_origin_to_recipient_with_zones() -> None:
    hops = path_of("university")["hops"]
    assert [h["index"] for h in hops] == [0, 1, 2, 3]  # type: ignore[index, union-attr]
    assert [h["zone"] for h in hops] == ["sender", "recipient", "local", "recipient"]  # type: ignore[index, union-attr]


def test_authenticated_submission_is_the_origin_with_its_basis() -> None:
    origin = path_of("m365")["origin"]
    assert origin["confidence"] >= 0.7  # type: ignore[index, operator]
    assert "authenticated submission" in origin["basis"]  # type: ignore[index, operator]


def test_received_below_the_date_and_from_block_is_flagged() -> None:
    path = path_of("forged_below_date")
    assert "path.received_below_originator" in kinds(path)
    assert path["origin"]["confidence"] <= 0.5  # type: ignore[index, operator]


def test_private_address_outside_both_organisations_is_flagged() -> None:
    path = path_of("private_internet")
    assert {"path.private_in_internet", "path.by_from_mismatch", "path.helo_ip_mismatch"} <= kinds(path)


def test_cpanel_php_script_is_reported_as_web_server_evidence() -> None:
    sender = analyse("cpanel_php")["sender"]
    assert sender["script"] == "mailer.php (uid 1001)"  # type: ignore[index]
    assert sender["mailer"].startswith("PHPMailer")  # type: ignore[index, union-attr]
    evidence = " ".join(sender["web_server_evidence"])  # type: ignore[index, arg-type]
    for mark in ("X-PHP-Originating-Script", "X-AntiAbuse", "X-Source-Dir", "Message-ID", "local program"):
        assert mark in evidence


def test_domestic_sender_entering_from_abroad_is_flagged() -> None:
    path = path_of("private_internet", home_country="US")
    assert "path.foreign_edge" in kinds(path)
    assert "path.foreign_edge" not in kinds(path_of("private_internet"))


def test_configured_trusted_relay_moves_the_edge_outward() -> None:
    path = path_of("qmail", trusted_relays=("86.105.1.0/24",))
    assert path["edge"]["ip"] == "82.76.40.15"  # type: ignore[index]


def test_time_running_backwards_beyond_skew_is_flagged() -> None:
    raw = (GOLDEN / "gmail.eml").read_bytes().replace(b"20:15:00 +0300", b"23:15:00 +0300")
    path = analyze_path(parse_message(raw), context()).path
    assert "path.time_backwards" in {a.kind for a in path.anomalies}


def test_message_without_received_has_no_edge() -> None:
    parsed = parse_message(b"From: a@example.org\nSubject: x\n\nbody\n")
    path = analyze_path(parsed, context()).path
    assert path.hops == () and path.edge is None and path.origin is None


def test_every_anomaly_code_is_documented() -> None:
    from pollwatch.analyze.anomalies import CODES

    docs = (Path(__file__).parents[2] / "docs" / "path.md").read_text()
    for code in CODES:
        assert f"`{code}`" in docs
