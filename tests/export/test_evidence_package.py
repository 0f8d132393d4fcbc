"""Evidence packages: layout, byte-exact messages, custody, and verification catching any change."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.errors import UsageError
from pollwatch.export.case import Member
from pollwatch.export.evidence import SEAL_PREFIX, write_evidence
from pollwatch.export.evidence_verify import VerifyLimits, VerifyReport, verify_evidence
from pollwatch.intake.unwrap import peel_reports
from support.cases import make_case, make_members

CREATED = datetime(2020, 11, 2, 9, 30, tzinfo=UTC)


def stored_members() -> Iterator[Member]:
    """The fixture's members as the store holds them: a forwarded report's original, cut out."""
    for member in make_members():
        raw = peel_reports(member.raw, DEFAULT_LIMITS).raw
        yield Member(sha256=member.sha256, raw=raw, analysis=member.analysis,
                     custody=member.custody)  # fmt: skip


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evidence") / "C-test0001.zip"
    write_evidence(make_case(), stored_members(), out, operator="clerk", created_at=CREATED)
    return out


def kinds(report: VerifyReport) -> set[tuple[str, str | None]]:
    return {(p.kind, p.path) for p in report.problems}


def rewrite(
    src: Path,
    dst: Path,
    change: Callable[[str, bytes], bytes | None] = lambda _, data: data,
    add: dict[str, bytes] | None = None,
    reseal: bool = False,
) -> Path:
    """Copy a package entry by entry; ``change`` edits or drops (None) one entry's content.

    With ``reseal`` the manifest is rebuilt to list the new contents and sealed again, as a
    forger who knows the format would do.
    """
    with zipfile.ZipFile(src) as old:
        entries = {i.filename: old.read(i) for i in old.infolist()}
        comment = old.comment
    entries = {n: d for n, d in ((n, change(n, d)) for n, d in entries.items()) if d is not None}
    entries.update(add or {})
    if reseal:
        manifest = json.loads(entries.pop("manifest.json"))
        manifest["files"] = [{"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                             for n, d in entries.items()]  # fmt: skip
        entries["manifest.json"] = json.dumps(manifest).encode()
        comment = SEAL_PREFIX + hashlib.sha256(entries["manifest.json"]).hexdigest().encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in entries.items():
            new.writestr(name, data)
        new.comment = comment
    return dst


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def names(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as archive:
        return archive.namelist()


def test_fixture_package_verifies(package: Path) -> None:
    report = verify_evidence(package)
    assert report.ok, report.problems
    size = make_case().campaign.size
    assert (report.messages, report.analyses) == (size, size)
    assert report.verified == report.listed == report.entries - 1  # all but the manifest
    assert report.campaign_id == "C-test0001"
    assert report.package_sha256 == hashlib.sha256(package.read_bytes()).hexdigest()


def test_summary_counts_and_hashes(tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    summary = write_evidence(make_case(), stored_members(), out, created_at=CREATED)
    assert summary.problems == ()
    assert (summary.messages, summary.analyses, summary.custody_events) == (23, 23, 23)
    assert summary.missing_members == 0
    assert summary.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert summary.manifest_sha256 == verify_evidence(out).manifest_sha256
    assert not list(tmp_path.glob(".*part"))


def test_raw_messages_are_byte_identical(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        for member in stored_members():
            assert archive.read(f"messages/{member.sha256}.eml") == member.raw


def test_layout_and_order(package: Path) -> None:
    listed = names(package)
    shas = [m.sha256 for m in stored_members()]
    expected = ["campaign.json"]
    for sha in shas:
        expected += [f"messages/{sha}.eml", f"analysis/{sha}.json"]
    expected += ["dns/README.txt", "custody.jsonl", "manifest.json"]
    assert listed == expected
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        readme = archive.read("dns/README.txt").decode()
        assert {i.date_time for i in archive.infolist()} == {(2020, 11, 1, 0, 0, 0)}
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert [f["path"] for f in manifest["files"]] == expected[:-1]
    assert manifest["created_at"] == "2020-11-02T09:30:00Z"
    assert manifest["missing_members"] == []
    assert "queried no DNS" in readme


def test_custody_log_has_every_sighting_and_the_package(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        lines = [json.loads(line) for line in archive.read("custody.jsonl").splitlines()]
    events = [e for m in stored_members() for e in m.custody]
    assert len(lines) == len(events) + 1
    assert [line["message_sha256"] for line in lines[:-1]] == [e.message_sha256 for e in events]
    assert {line["operator"] for line in lines[:-1]} == {"analyst"}
    assert lines[0]["position"] == events[0].position
    last = lines[-1]
    assert (last["command"], last["operator"], last["created_at"]) == (
        "evidence", "clerk", "2020-11-02T09:30:00Z")  # fmt: skip
    assert last["messages"] == 23


def test_same_case_gives_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_evidence(make_case(), stored_members(), first, operator="x", created_at=CREATED)
    write_evidence(make_case(), stored_members(), second, operator="x", created_at=CREATED)
    assert first.read_bytes() == second.read_bytes()


def entry_of_kind(package: Path, kind: str) -> str:
    prefix = {"message": "messages/", "analysis": "analysis/"}.get(kind, kind)
    return next(n for n in names(package) if n.startswith(prefix))


@pytest.mark.parametrize(
    "kind", ["message", "analysis", "campaign.json", "custody.jsonl", "dns/README.txt"]
)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_flipping_one_byte_fails(package: Path, tmp_path: Path, kind: str, where: str) -> None:
    target = entry_of_kind(package, kind)

    def change(name: str, data: bytes) -> bytes:
        if name != target:
            return data
        return flip(data, {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where])

    report = verify_evidence(rewrite(package, tmp_path / "x.zip", change))
    assert not report.ok
    assert ("hash_mismatch", target) in kinds(report)
    if kind == "message":
        assert ("message_name", target) in kinds(report)


def test_changed_hash_in_manifest_fails(package: Path, tmp_path: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        at = data.index(b'"sha256": "') + len(b'"sha256": "')
        return data[:at] + (b"0" if data[at : at + 1] != b"0" else b"1") + data[at + 1 :]

    report = verify_evidence(rewrite(package, tmp_path / "x.zip", change))
    assert not report.ok
    assert ("hash_mismatch", "campaign.json") in kinds(report)  # the first file listed
    assert ("hash_mismatch", "manifest.json") in kinds(report)  # and the seal


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_any_flipped_byte_of_the_manifest_fails(
    package: Path, tmp_path: Path, where: float
) -> None:
    def change(name: str, data: bytes) -> bytes:
        return flip(data, int((len(data) - 1) * where)) if name == "manifest.json" else data

    report = verify_evidence(rewrite(package, tmp_path / "x.zip", change))
    assert not report.ok
    assert ("hash_mismatch", "manifest.json") in kinds(report)


def test_missing_file_fails(package: Path, tmp_path: Path) -> None:
    gone = entry_of_kind(package, "message")
    report = verify_evidence(
        rewrite(package, tmp_path / "x.zip", lambda n, d: None if n == gone else d)
    )
    assert not report.ok
    assert kinds(report) == {("missing", gone)}


def test_extra_file_fails(package: Path, tmp_path: Path) -> None:
    raw = b"From: a@example.org\r\n\r\nhello\r\n"
    name = f"messages/{hashlib.sha256(raw).hexdigest()}.eml"
    report = verify_evidence(rewrite(package, tmp_path / "x.zip", add={name: raw}))
    assert not report.ok
    assert kinds(report) == {("extra", name)}
    odd = verify_evidence(rewrite(package, tmp_path / "y.zip", add={"notes.txt": b"hi"}))
    assert {p.kind for p in odd.problems} == {"extra"}


def test_missing_manifest_fails(package: Path, tmp_path: Path) -> None:
    change = lambda n, d: None if n == "manifest.json" else d  # noqa: E731
    report = verify_evidence(rewrite(package, tmp_path / "x.zip", change))
    assert not report.ok
    assert {p.kind for p in report.problems} == {"manifest_missing"}


def test_message_named_after_other_content_fails(package: Path, tmp_path: Path) -> None:
    target = entry_of_kind(package, "message")
    changed = rewrite(package, tmp_path / "x.zip",
                      lambda n, d: d + b"\r\n" if n == target else d, reseal=True)  # fmt: skip
    report = verify_evidence(changed)
    assert kinds(report) == {("message_name", target)}


def test_analysis_for_another_message_fails(package: Path, tmp_path: Path) -> None:
    first, second = [n for n in names(package) if n.startswith("analysis/")][:2]
    with zipfile.ZipFile(package) as archive:
        other = archive.read(second)
    changed = rewrite(package, tmp_path / "x.zip",
                      lambda n, d: other if n == first else d, reseal=True)  # fmt: skip
    report = verify_evidence(changed)
    assert {p.kind for p in report.problems} == {"analysis_mismatch"}


def test_unsealed_manifest_fails(package: Path, tmp_path: Path) -> None:
    changed = rewrite(package, tmp_path / "x.zip")
    with zipfile.ZipFile(changed, "a") as archive:
        archive.comment = b""
    assert {p.kind for p in verify_evidence(changed).problems} == {"manifest_unsealed"}


def test_truncated_zip_is_a_clear_error(package: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(package.read_bytes()[: package.stat().st_size // 2])
    report = verify_evidence(cut)
    assert not report.ok
    assert [p.kind for p in report.problems] == ["not_a_zip"]
    assert "zip" in report.problems[0].detail


def test_not_a_zip_and_absent_file_are_clear_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.zip"
    text.write_text("just some text\n")
    assert [p.kind for p in verify_evidence(text).problems] == ["not_a_zip"]
    absent = verify_evidence(tmp_path / "nowhere.zip")
    assert [p.kind for p in absent.problems] == ["unreadable"]
    assert not absent.ok


@pytest.mark.parametrize("hostile", ["../../etc/cron.d/x", "/etc/passwd", "dns/..\\..\\x",
                                     "messages/../../x.eml", "C:/x", "dns/a\x00b"])  # fmt: skip
def test_traversal_names_are_never_valid(package: Path, tmp_path: Path, hostile: str) -> None:
    changed = rewrite(package, tmp_path / "x.zip", add={hostile: b"x"}, reseal=True)
    report = verify_evidence(changed)
    assert not report.ok
    problems = {p.kind for p in report.problems}
    assert "unsafe_name" in problems or "extra" in problems  # the entry is not accepted
    assert "manifest_invalid" in problems  # nor is the manifest that lists it


def test_zip_bomb_is_refused(package: Path, tmp_path: Path) -> None:
    zeros = bytes(8 << 20)
    name = f"messages/{hashlib.sha256(zeros).hexdigest()}.eml"
    report = verify_evidence(rewrite(package, tmp_path / "x.zip", add={name: zeros}, reseal=True))
    assert ("bomb", name) in kinds(report) or ("too_large", name) in kinds(report)
    assert report.bytes_read < 8 << 20


def test_entry_count_is_bounded(package: Path) -> None:
    report = verify_evidence(package, limits=VerifyLimits(max_entries=10))
    assert [p.kind for p in report.problems] == ["too_many_entries"]
    assert report.bytes_read == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(at=st.floats(0, 1), value=st.integers(0, 255))
def test_damaged_zip_never_raises(package: Path, tmp_path: Path, at: float, value: int) -> None:
    data = bytearray(package.read_bytes())
    data[int((len(data) - 1) * at)] = value
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    report = verify_evidence(damaged)
    assert report.ok == (not report.problems)


def test_missing_members_are_listed(tmp_path: Path) -> None:
    half = list(stored_members())[:10]
    out = tmp_path / "half.zip"
    summary = write_evidence(make_case(), half, out, created_at=CREATED)
    assert summary.missing_members == 13
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["missing_members"]) == set(make_case().campaign.members[10:]) - {
        m.sha256 for m in half}  # fmt: skip
    assert verify_evidence(out).ok


def test_bytes_that_do_not_match_their_key_are_flagged(tmp_path: Path) -> None:
    members = list(stored_members())
    first = members[0]
    members[0] = Member(sha256=first.sha256, raw=first.raw + b"\r\n", analysis=first.analysis,
                        custody=first.custody)  # fmt: skip
    out = tmp_path / "damaged-store.zip"
    summary = write_evidence(make_case(), members, out, created_at=CREATED)
    renamed = hashlib.sha256(first.raw + b"\r\n").hexdigest()
    assert any(f"hash to {renamed}" in p for p in summary.problems)
    assert summary.missing_members == 1  # its key is no longer in the package
    report = verify_evidence(out)
    assert kinds(report) == {("analysis_mismatch", f"analysis/{renamed}.json")}


def test_dns_snapshots_are_packaged(tmp_path: Path) -> None:
    snapshot = tmp_path / "dns-2020-10-22.json"
    snapshot.write_bytes(b'{"officialproudboys.com. TXT": ["v=spf1 -all"]}')
    out = tmp_path / "dns.zip"
    summary = write_evidence(make_case(), stored_members(), out, dns_snapshots=[snapshot],
                             created_at=CREATED)  # fmt: skip
    assert summary.dns_files == 1
    with zipfile.ZipFile(out) as archive:
        assert archive.read("dns/dns-2020-10-22.json") == snapshot.read_bytes()
        assert "dns/README.txt" not in archive.namelist()
    assert verify_evidence(out).ok


def test_bad_dns_snapshots_are_usage_errors(tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    with pytest.raises(UsageError, match="not found"):
        write_evidence(make_case(), stored_members(), out, dns_snapshots=[tmp_path / "nope"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    twins = [tmp_path / "a" / "dns.json", tmp_path / "b" / "dns.json"]
    for twin in twins:
        twin.write_text("{}")
    with pytest.raises(UsageError, match="share the name"):
        write_evidence(make_case(), stored_members(), out, dns_snapshots=twins)
    assert list(tmp_path.iterdir()) and not out.exists()
    with pytest.raises(UsageError, match="no such folder"):
        write_evidence(make_case(), stored_members(), tmp_path / "absent" / "p.zip")
