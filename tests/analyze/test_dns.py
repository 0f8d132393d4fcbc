"""The DNS adapter: modes, snapshots, and the dkimpy / pyspf bindings."""

from __future__ import annotations

from pathlib import Path

import dns.resolver
import pytest
import spf

from pollwatch.analyze.dns import (
    DnsSource,
    DnsTempError,
    organisational_domain,
    txt_record,
    txt_strings,
)
from pollwatch.errors import ConfigError

ZONE = {
    "example.org": {"TXT": [txt_record("v=spf1 ", "-all")], "MX": ["10 mx.example.org."]},
    "www.example.org": {"CNAME": ["example.org."]},
    "slow.example.org": {"TXT": ["TIMEOUT"]},
}


def test_injected_answers_nxdomain_nodata_and_cname() -> None:
    source = DnsSource.injected(ZONE)
    assert source.lookup("EXAMPLE.org.", "txt").records == ('"v=spf1 " "-all"',)
    assert source.lookup("nope.example.org", "TXT").status == "nxdomain"
    assert source.lookup("example.org", "A").status == "nodata"
    assert source.lookup("www.example.org", "MX").records == ("10 mx.example.org.",)


def test_txt_strings_are_joined_for_dkimpy_and_kept_apart_for_pyspf() -> None:
    source = DnsSource.injected(ZONE)
    assert source.dnsfunc(b"example.org.") == b"v=spf1 -all"
    assert source.spf_lookup("example.org", "TXT") == [
        (("example.org", "TXT"), [b"v=spf1 ", b"-all"])
    ]
    assert source.spf_lookup("example.org", "MX") == [
        (("example.org", "MX"), (10, "mx.example.org"))
    ]
    assert source.dnsfunc("nope.example.org") is None


def test_timeout_is_a_temporary_error_everywhere() -> None:
    source = DnsSource.injected(ZONE)
    with pytest.raises(DnsTempError):
        source.dnsfunc("slow.example.org")
    with pytest.raises(spf.TempError):
        source.spf_lookup("slow.example.org", "TXT")


def test_long_txt_strings_are_split_at_255_bytes() -> None:
    record = txt_record("x" * 600)
    assert [len(s) for s in txt_strings(record)] == [255, 255, 90]


def test_offline_answers_nothing_and_says_so() -> None:
    source = DnsSource.offline()
    assert not source.can_query
    assert source.lookup("example.org", "TXT").status == "offline"
    assert source.label == "offline"


def test_pyspf_binding_restores_the_process_globals() -> None:
    before_lookup, before_default = spf.DNSLookup, dns.resolver.default_resolver
    source = DnsSource.injected(ZONE)
    with source.pyspf_bound():
        assert spf.DNSLookup == source.spf_lookup
        assert spf.check2("192.0.2.1", "a@example.org", "h.example.org")[0] == "fail"
    assert spf.DNSLookup is before_lookup
    assert dns.resolver.default_resolver is before_default


def test_snapshot_keeps_every_answer_used_and_replays_them(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    recording = DnsSource("record", snapshot=path)
    recording._answers = DnsSource.injected(ZONE)._answers  # answer as if live
    recording.mode = "injected"
    with recording:
        recording.lookup("example.org", "TXT")
        recording.lookup("nope.example.org", "A")
    recording.mode = "record"
    assert recording.save() == path
    replay = DnsSource.replay(path)
    assert replay.lookup("example.org", "TXT").records == ('"v=spf1 " "-all"',)
    assert replay.lookup("nope.example.org", "A").status == "nxdomain"
    assert replay.lookup("other.example.org", "A").status == "missing"
    assert replay.label == f"snapshot:{path}"


def test_a_file_that_is_not_a_snapshot_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ConfigError, match="not a pollwatch DNS snapshot"):
        DnsSource.replay(bad)


@pytest.mark.parametrize(
    ("name", "org"),
    [
        ("mail.example.co.uk", "example.co.uk"),
        ("dos.fl.gov", "fl.gov"),
        ("co.uk", "co.uk"),
        ("a.b.officialproudboys.com", "officialproudboys.com"),
    ],
)
def test_organisational_domain_uses_the_public_suffix_list(name: str, org: str) -> None:
    assert organisational_domain(name) == org
