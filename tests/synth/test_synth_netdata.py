"""Relay prefixes geolocate to their labelled country; clocks keep DST."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from pollwatch.analyze.geo import open_resolver
from pollwatch.synth import SynthConfig, generate
from pollwatch.synth.mime import rfc_date
from pollwatch.synth.netdata import ALL_BLOCKS, block_for


def test_every_block_maps_to_its_country_and_asn_in_the_bundled_data() -> None:
    """The generator's relay blocks are real allocations of the labelled country."""
    resolver = open_resolver()
    for block in ALL_BLOCKS:
        net = ipaddress.ip_network(block.prefix)
        step = max(net.num_addresses // 8, 1)
        for offset in range(0, net.num_addresses, step):
            label = resolver.lookup(str(net.network_address + offset))
            assert label is not None, block.prefix
            assert (label.country, label.asn) == (block.country, block.asn), block.prefix


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
