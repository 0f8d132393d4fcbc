"""Offline IP labels: bundled data, special-purpose scopes, mmdb layering, ages."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollwatch.analyze.geo import (
    SPECIAL_SOURCE,
    STALE_AFTER_DAYS,
    BundledSource,
    GeoLabel,
    GeoResolver,
    MmdbSource,
    Scope,
    bundled_source,
    open_resolver,
    parse_ip,
)
from pollwatch.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "corpora" / "fixtures.tar.xz"
MMDB_DIR = "geoip_test/maxmind_db/test-data/"
MMDB_NAMES = ("GeoLite2-ASN-Test.mmdb", "GeoLite2-Country-Test.mmdb", "GeoIP2-City-Test.mmdb")
DATA_DATE = bundled_source().as_origin.date


@pytest.fixture(scope="module")
def bundled() -> GeoResolver:
    return open_resolver()


@pytest.fixture(scope="module")
def mmdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FIXTURES.is_file():
        pytest.skip(f"MaxMind test databases need {FIXTURES.resolve()} (shared corpora absent)")
    out = tmp_path_factory.mktemp("mmdb")
    with tarfile.open(FIXTURES) as tar:
        for name in MMDB_NAMES:
            member = tar.getmember(MMDB_DIR + name)
            member.name = name
            tar.extract(member, out, filter="data")
    return out


# ------------------------------------------------------------ bundled data


@pytest.mark.parametrize(
    ("ip", "country", "asn"),
    [
        ("8.8.8.8", "US", 15169),  # Google Public DNS
        ("2001:4860:4860::8888", "US", 15169),
        ("195.80.106.1", "EE", 8240),  # Estonian Information System Authority
        ("212.26.0.1", "SA", 8895),  # KACST, Riyadh
        ("213.42.0.1", "AE", 5384),  # Etisalat
        ("203.116.0.1", "SG", 4657),  # StarHub
        ("128.30.0.1", "US", 3),  # MIT
    ],
)
def test_bundled_known_allocations(bundled: GeoResolver, ip: str, country: str, asn: int) -> None:
    label = bundled.lookup(ip)
    assert label is not None
    assert (label.scope, label.country, label.asn) == ("public", country, asn)


def test_bundled_label_names_both_sources_and_dates(bundled: GeoResolver) -> None:
    label = bundled.lookup("8.8.8.8")
    assert label is not None
    assert label.as_org == "Google LLC"
    assert label.source is not None and label.source.startswith("ip-location-db/asn@")
    assert label.country_source is not None
    assert label.country_source.startswith("ip-location-db/geo-whois-asn-country@")
    assert label.source_date == label.country_source_date == DATA_DATE


def test_bundled_metadata_records_licences_and_attribution() -> None:
    infos = bundled_source().describe(dt.date(2026, 7, 1))
    assert [i.licence for i in infos] == ["CC0-1.0", "CC-BY-4.0"]
    assert "db-ip.com" in (infos[1].attribution or "")
    resources = REPO / "src" / "pollwatch" / "resources" / "geo"
    assert (resources / "ATTRIBUTION.md").is_file()
    sources = msgspec.json.decode((resources / "SOURCES.json").read_bytes())
    assert {s["package"] for s in sources["sources"]} == {
        "@ip-location-db/geo-whois-asn-country",
        "@ip-location-db/asn",
    }


# ------------------------------------------------------------ scopes, parsing


@pytest.mark.parametrize(
    ("ip", "scope"),
    [
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "cgnat"),
        ("127.0.0.1", "loopback"),
        ("169.254.1.1", "link-local"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.1", "documentation"),
        ("203.0.113.9", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "reserved"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd12:3456::1", "private"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("ff02::1", "multicast"),
        ("4000::1", "reserved"),
    ],
)
def test_special_purpose_addresses_get_scope_not_country(
    bundled: GeoResolver, ip: str, scope: Scope
) -> None:
    label = bundled.lookup(ip)
    assert label == GeoLabel(
        ip=ip, scope=scope, source=SPECIAL_SOURCE, country_source=SPECIAL_SOURCE
    )


@pytest.mark.parametrize(
    ("ip", "canonical", "inner"),
    [
        ("::ffff:8.8.8.8", "::ffff:8.8.8.8", "8.8.8.8"),
        ("::FFFF:808:808", "::ffff:8.8.8.8", "8.8.8.8"),
        ("64:ff9b::8.8.8.8", "64:ff9b::808:808", "8.8.8.8"),
        ("2002:0808:0808::1", "2002:808:808::1", "8.8.8.8"),
    ],
)
def test_ipv6_with_embedded_ipv4_is_labelled_by_the_ipv4(
    bundled: GeoResolver, ip: str, canonical: str, inner: str
) -> None:
    label = bundled.lookup(ip)
    assert label is not None
    assert (label.ip, label.embedded_ipv4, label.country, label.asn) == (
        canonical,
        inner,
        "US",
        15169,
    )


def test_ipv4_mapped_private_address_keeps_private_scope(bundled: GeoResolver) -> None:
    label = bundled.lookup("::ffff:192.168.1.1")
    assert label is not None
    assert (label.scope, label.country, label.embedded_ipv4) == ("private", None, "192.168.1.1")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("[203.0.113.5]", "203.0.113.5"),
        (" 8.8.8.8\n", "8.8.8.8"),
        ("IPv6:2001:DB8::1", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
    ],
)
def test_header_spellings_are_normalised(written: str, canonical: str) -> None:
    addr = parse_ip(written)
    assert addr is not None and addr.text == canonical


@pytest.mark.parametrize(
    "bad",
    ["", "nonsense", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4.5", "::g", "[]", "1.2.3.4/24"],
)
def test_invalid_input_returns_none(bundled: GeoResolver, bad: str) -> None:
    assert bundled.lookup(bad) is None


def test_non_string_input_returns_none(bundled: GeoResolver) -> None:
    assert bundled.lookup(12345) is None  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_lookup_never_raises(text: str) -> None:
    label = open_resolver().lookup(text)
    assert label is None or label.scope


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_ipv4_gets_a_label(value: int) -> None:
    text = ".".join(str(value >> s & 255) for s in (24, 16, 8, 0))
    label = open_resolver().lookup(text)
    assert label is not None and label.ip == text


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_every_ipv6_gets_a_label(value: int) -> None:
    import ipaddress

    assert open_resolver().lookup(str(ipaddress.IPv6Address(value))) is not None


# ------------------------------------------------------------ info and ages


def test_info_is_fresh_within_six_months(bundled: GeoResolver) -> None:
    assert DATA_DATE is not None
    info = bundled.info(DATA_DATE + dt.timedelta(days=STALE_AFTER_DAYS))
    assert info.warnings == ()
    assert [s.age_days for s in info.sources] == [STALE_AFTER_DAYS, STALE_AFTER_DAYS]
    assert not any(s.stale for s in info.sources)


def test_info_warns_when_older_than_six_months(bundled: GeoResolver) -> None:
    assert DATA_DATE is not None
    info = bundled.info(DATA_DATE + dt.timedelta(days=STALE_AFTER_DAYS + 1))
    assert all(s.stale for s in info.sources)
    assert len(info.warnings) == 2
    assert "184 days old" in info.warnings[0]
    assert "build_geo_data.py" in info.warnings[0]


def test_info_warns_when_data_is_from_the_future(bundled: GeoResolver) -> None:
    assert DATA_DATE is not None
    info = bundled.info(DATA_DATE - dt.timedelta(days=1))
    assert any("after today" in w for w in info.warnings)


def test_resolver_without_sources_labels_scope_only() -> None:
    resolver = GeoResolver([])
    label = resolver.lookup("8.8.8.8")
    assert label == GeoLabel(ip="8.8.8.8", scope="public")
    assert resolver.info(dt.date(2026, 1, 1)).warnings[0].startswith("no geo sources")


def test_labels_encode_to_json_with_iso_dates(bundled: GeoResolver) -> None:
    encoded = msgspec.json.decode(msgspec.json.encode(bundled.lookup("8.8.8.8")))
    assert encoded["source_date"] == str(DATA_DATE)


# ------------------------------------------------------------ mmdb layering


def test_mmdb_as_source_wins_by_default(mmdb_dir: Path) -> None:
    resolver = open_resolver([mmdb_dir / "GeoLite2-ASN-Test.mmdb"])
    label = resolver.lookup("2600:6000::1")
    assert label is not None
    assert (label.asn, label.as_org) == (237, "Merit Network Inc.")
    assert label.source == "GeoLite2-ASN"
    assert label.source_date == dt.date(2026, 2, 4)
    assert label.country_source is not None
    assert label.country_source.startswith("ip-location-db/")  # ASN db has no country


def test_bundled_wins_when_preferred(mmdb_dir: Path) -> None:
    resolver = open_resolver([mmdb_dir / "GeoLite2-ASN-Test.mmdb"], prefer="bundled")
    label = resolver.lookup("2600:6000::1")
    assert label is not None
    assert label.asn != 237
    assert label.source is not None and label.source.startswith("ip-location-db/asn@")


def test_mmdb_miss_falls_back_to_bundled(mmdb_dir: Path) -> None:
    label = open_resolver([mmdb_dir / "GeoLite2-ASN-Test.mmdb"]).lookup("8.8.8.8")
    assert label is not None
    assert (label.asn, label.source) == (15169, bundled_source().as_origin.name)


def test_country_and_as_from_two_mmdbs(mmdb_dir: Path) -> None:
    resolver = open_resolver(
        [mmdb_dir / "GeoLite2-Country-Test.mmdb", mmdb_dir / "GeoLite2-ASN-Test.mmdb"],
        bundled=False,
    )
    country = resolver.lookup("2.125.160.216")
    assert country is not None
    assert (country.country, country.country_source, country.asn) == (
        "GB",
        "GeoLite2-Country",
        None,
    )
    network = resolver.lookup("::ffff:1.128.0.0")
    assert network is not None
    assert (network.asn, network.source, network.embedded_ipv4) == (
        1221,
        "GeoLite2-ASN",
        "1.128.0.0",
    )


def test_city_schema_gives_country(mmdb_dir: Path) -> None:
    label = open_resolver([mmdb_dir / "GeoIP2-City-Test.mmdb"], bundled=False).lookup("81.2.69.160")
    assert label is not None
    assert (label.country, label.country_source) == ("GB", "GeoIP2-City")


def test_mmdb_info_reports_type_and_build_date(mmdb_dir: Path) -> None:
    resolver = open_resolver([mmdb_dir / "GeoLite2-ASN-Test.mmdb"])
    info = resolver.info(dt.date(2027, 1, 1))
    first = info.sources[0]
    assert (first.name, first.kind, first.provides) == ("GeoLite2-ASN", "mmdb", ("as",))
    assert first.data_date == dt.date(2026, 2, 4)
    assert first.stale
    assert any(w.startswith("GeoLite2-ASN data is") for w in info.warnings)


def test_unreadable_mmdb_is_a_config_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"not a maxmind db")
    with pytest.raises(ConfigError, match=r"junk\.mmdb"):
        MmdbSource(junk)
    with pytest.raises(ConfigError):
        MmdbSource(tmp_path / "missing.mmdb")


# ------------------------------------------------------------ build round trip


def _build_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    path = REPO / "scripts" / "build_geo_data.py"
    spec = importlib.util.spec_from_file_location("build_geo_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_geo_data", module)
    spec.loader.exec_module(module)
    return module


def _fake_package(build: ModuleType, root: Path, name: str, files: dict[str, str]) -> object:
    root.mkdir()
    for fname, body in files.items():
        (root / fname).write_text(body, encoding="utf-8")
    return build.Package(
        name=name,
        version="2.3.2026010203",
        tarball="x.tgz",
        sha256="0",
        integrity="",
        published=None,
        root=root,
    )


def test_build_script_round_trip_with_nested_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _build_script(monkeypatch)
    v6 = 42540766411282592856903984951653826560  # 2001:db8::
    country = _fake_package(
        build,
        tmp_path / "cc",
        build.COUNTRY_PKG,
        {
            "geo-whois-asn-country-ipv4-num.csv": "16777216,16777471,AU\n16777300,16777300,NZ\n",
            "geo-whois-asn-country-ipv6-num.csv": f"{v6},{v6 + 2**96 - 1},JP\n",
        },
    )
    asn = _fake_package(
        build,
        tmp_path / "as",
        build.ASN_PKG,
        {
            "asn-ipv4-num.csv": '16777216,16777343,13335,"Cloudflare,  Inc."\n',
            "asn-ipv6-num.csv": f"{v6 + 2**64},{v6 + 2**65 - 1},64500,Example\n",
        },
    )
    build.build(country, asn, tmp_path / "out")
    src = BundledSource(tmp_path / "out" / "ipdb.bin")
    resolver = GeoResolver([src])

    def get(ip: str) -> tuple[str | None, int | None, str | None]:
        label = resolver.lookup(ip)
        assert label is not None
        return label.country, label.asn, label.as_org

    assert get("1.0.0.1") == ("AU", 13335, "Cloudflare, Inc.")
    assert get("1.0.0.84") == ("NZ", 13335, "Cloudflare, Inc.")  # narrowest range wins
    assert get("1.0.0.200") == ("AU", None, None)
    assert get("1.0.1.0") == (None, None, None)
    assert get("0.0.0.1") == (None, None, None)
    assert src.as_origin.date == dt.date(2026, 1, 2)
    # 2001:db8::/32 is documentation space, so probe the table directly
    addr = parse_ip("2001:db8:0:1::5")
    assert addr is not None
    assert src.find(addr) == ("JP", 64500, "Example")
    assert src.find(addr._replace(value=v6 + 2**65)) == ("JP", None, None)
    assert src.find(addr._replace(value=v6 + 2**96)) == (None, None, None)


def test_missing_bundled_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="build_geo_data"):
        BundledSource(tmp_path / "nope.bin")
