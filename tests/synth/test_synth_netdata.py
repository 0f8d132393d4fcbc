"""Relay prefixes geolocate to their labelled country; clocks keep DST."""

from __future__ import annotations

import bisect
import csv
import ipaddress
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pollwatch.synth import SynthConfig, generate
from pollwatch.synth.mime import rfc_date
from pollwatch.synth.netdata import ALL_BLOCKS, block_for

DATA = Path(os.environ.get("POLLWATCH_IPDB_DIR", "/tmp/ipdb"))


def _int(ip: str) -> int:
    a, b, c, d = ip.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


def _table(pattern: str) -> tuple[list[int], list[tuple[int, int, str]]]:
    """Rows of an ip-location-db IPv4 CSV that touch a first octet we use."""
    files = sorted(DATA.glob(pattern))
    if not files:
        pytest.skip(f"ip-location-db data not found under {DATA} ({pattern})")
    octets = {int(b.prefix.split(".", 1)[0]) for b in ALL_BLOCKS}
    rows = []
    with files[-1].open() as fh:
        for row in csv.reader(fh):
            lo, hi = int(row[0].split(".", 1)[0]), int(row[1].split(".", 1)[0])
            if ":" in row[0] or not any(lo <= o <= hi for o in octets):
                continue
            rows.append((_int(row[0]), _int(row[1]), row[2]))
    rows.sort()
    return [r[0] for r in rows], rows


def _covering(starts: list[int], rows: list[tuple[int, int, str]], lo: int, hi: int) -> set[str]:
    i = max(bisect.bisect_right(starts, lo) - 1, 0)
    found = set()
    covered = 0
    while i < len(rows) and rows[i][0] <= hi:
        if rows[i][1] >= lo:
            found.add(rows[i][2])
            covered += min(hi, rows[i][1]) - max(lo, rows[i][0]) + 1
        i += 1
    return found if covered == hi - lo + 1 else found | {"?"}


def test_every_block_maps_to_its_country_and_asn_in_open_data() -> None:
    gs, geo = _table("*geo-whois-asn-country*/package/geo-whois-asn-country-ipv4.csv")
    as_s, asn = _table("*asn-*/package/asn-ipv4.csv")
    for block in ALL_BLOCKS:
        net = ipaddress.IPv4Network(block.prefix)
        lo, hi = int(net.network_address), int(net.broadcast_address)
        assert _covering(gs, geo, lo, hi) == {block.country}, block.prefix
        assert _covering(as_s, asn, lo, hi) == {str(block.asn)}, block.prefix


def test_labelled_edges_lie_in_a_block_of_the_labelled_country() -> None:
    for m in generate(SynthConfig(count=200, seed=2)):
        block = block_for(m.label.edge_ip)
        assert block is not None and block.country == m.label.edge_country
        assert block.asn == m.label.edge_asn
        origin = block_for(m.label.origin_ip)
        assert origin is not None and origin.country == m.label.origin_country


def test_pacific_clock_switches_from_pdt_to_pst() -> None:
    before = datetime(2020, 10, 30, 12, 0, tzinfo=UTC)
    after = datetime(2020, 11, 2, 12, 0, tzinfo=UTC)
    assert rfc_date(before, "US/Pacific", "0", True) == "Fri, 30 Oct 2020 05:00:00 -0700 (PDT)"
    assert rfc_date(after, "US/Pacific", "", True) == "Mon, 2 Nov 2020 04:00:00 -0800 (PST)"
    assert rfc_date(after, "US/Eastern", " ", True) == "Mon,  2 Nov 2020 07:00:00 -0500 (EST)"


def test_estonian_clock_leaves_summer_time_on_the_last_october_sunday() -> None:
    assert rfc_date(datetime(2020, 10, 24, 12, tzinfo=UTC), "EU+2").endswith("+0300")
    assert rfc_date(datetime(2020, 10, 26, 12, tzinfo=UTC), "EU+2").endswith("+0200")
