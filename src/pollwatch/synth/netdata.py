"""Real address allocations used for generated hops, and local clocks.

Every prefix below was checked on 2026-06-17 against the open data sets
``@ip-location-db/geo-whois-asn-country`` 2.3.2026061719 (CC0; country) and
``@ip-location-db/asn`` 2.3.2026061719 (RouteViews + DB-IP, CC BY 4.0; ASN):
the whole /24 maps to the one country and the one ASN listed. The test
``tests/synth/test_netdata.py`` repeats the check when the data is present, so
geolocation code can be tested against these labels. Addresses are only ever
written into synthetic headers; nothing is contacted.
"""

from __future__ import annotations

import functools
import ipaddress
import random
from datetime import datetime, timedelta

import msgspec

DATA_PROVENANCE = (
    "@ip-location-db/geo-whois-asn-country 2.3.2026061719 (CC0) and "
    "@ip-location-db/asn 2.3.2026061719 (CC BY 4.0), checked 2026-06-17"
)


class NetBlock(msgspec.Struct, frozen=True):
    prefix: str  # a /24
    country: str  # ISO 3166-1 alpha-2
    asn: int
    as_org: str
    rdns: str  # reverse-DNS pattern; "{a}".."{d}" are the octets, "" = no PTR
    tz: str  # clock the hosts keep, see local_time()


# Compromised or rented relays abroad: the intimidation waves' edges.
RELAYS: tuple[NetBlock, ...] = (
    NetBlock("45.151.4.0/24", "EE", 49604, "Zone Media OU", "", "EU+2"),
    NetBlock(
        "80.235.16.0/24", "EE", 3249, "Telia Eesti AS", "{d}.{c}.{b}.{a}.static.telia.ee", "EU+2"
    ),
    NetBlock("85.253.40.0/24", "EE", 2586, "Elisa Eesti AS", "", "EU+2"),
    NetBlock("37.25.8.0/24", "SA", 25019, "Saudi Telecom Company JSC", "", "+0300"),
    NetBlock("5.41.60.0/24", "SA", 39891, "Saudi Telecom Company JSC", "", "+0300"),
    NetBlock("5.82.100.0/24", "SA", 35819, "Etihad Etisalat, a joint stock company", "", "+0300"),
    NetBlock("5.38.20.0/24", "AE", 5384, "EMIRATES TELECOMMUNICATIONS GROUP COMPANY", "", "+0400"),
    NetBlock("80.227.30.0/24", "AE", 15802, "Emirates Integrated Telecommunications", "", "+0400"),
    NetBlock("91.73.10.0/24", "AE", 15802, "Emirates Integrated Telecommunications", "", "+0400"),
    NetBlock("103.14.76.0/24", "SG", 38001, "NewMedia Express Pte Ltd", "", "+0800"),
    NetBlock("23.106.50.0/24", "SG", 59253, "LEASEWEB SINGAPORE PTE. LTD.", "", "+0800"),
    NetBlock("42.60.100.0/24", "SG", 9506, "Singapore Telecommunications Ltd", "", "+0800"),
)

# Hosting used to inject mail or to host other campaigns' senders.
HOSTING: tuple[NetBlock, ...] = (
    NetBlock("37.48.80.0/24", "NL", 60781, "LeaseWeb Netherlands B.V.", "", "EU+1"),
    NetBlock("37.120.200.0/24", "RO", 9009, "M247 Europe SRL", "", "EU+2"),
    NetBlock("37.60.50.0/24", "FR", 16276, "OVH SAS", "ns{d}.ip-37-60-50.eu", "EU+1"),
    NetBlock(
        "5.9.120.0/24",
        "DE",
        24940,
        "Hetzner Online GmbH",
        "static.{d}.{c}.{b}.{a}.clients.your-server.de",
        "EU+1",
    ),
    NetBlock("5.8.76.0/24", "RU", 49505, "JSC Selectel", "", "+0300"),
    NetBlock("5.252.198.0/24", "GB", 212238, "Datacamp Limited", "", "EU+0"),
    NetBlock("45.55.100.0/24", "US", 14061, "DigitalOcean, LLC", "", "UTC"),
    NetBlock(
        "45.33.20.0/24",
        "US",
        63949,
        "Akamai Technologies, Inc.",
        "li{d}-20.members.linode.com",
        "UTC",
    ),
    NetBlock("177.153.10.0/24", "BR", 27715, "Locaweb Servicos de Internet S/A", "", "-0300"),
    NetBlock("115.73.0.0/24", "VN", 7552, "Viettel Group", "", "+0700"),
    NetBlock("45.121.100.0/24", "IN", 9829, "Bharat Sanchar Nigam Ltd", "", "+0530"),
    NetBlock("41.203.70.0/24", "NG", 37148, "Globacom Limited", "", "+0100"),
    NetBlock("49.145.0.0/24", "PH", 9299, "Philippine Long Distance Telephone Co.", "", "+0800"),
    NetBlock("42.192.10.0/24", "CN", 45090, "Shenzhen Tencent Computer Systems", "", "+0800"),
)

# Mail services' own outbound or inbound ranges.
SERVICES: dict[str, NetBlock] = {
    "google": NetBlock(
        "209.85.220.0/24", "US", 15169, "Google LLC", "mail-sor-f{d}.google.com", "US/Pacific"
    ),
    "google_out": NetBlock(
        "209.85.160.0/24", "US", 15169, "Google LLC", "mail-qt1-f{d}.google.com", "US/Pacific"
    ),
    "microsoft": NetBlock(
        "40.107.220.0/24",
        "US",
        8075,
        "Microsoft Corporation",
        "mail-bn8nam12on2{d:03d}.outbound.protection.outlook.com",
        "UTC",
    ),
    "yahoo": NetBlock(
        "66.163.184.0/24",
        "US",
        36646,
        "Oath Holdings Inc.",
        "sonic{d}-{c}.consmr.mail.bf2.yahoo.com",
        "UTC",
    ),
    "comcast": NetBlock(
        "96.114.154.0/24",
        "US",
        7922,
        "Comcast Cable Communications, LLC",
        "resomta-po-{d:02d}v.sys.comcast.net",
        "UTC",
    ),
    "sendgrid": NetBlock(
        "167.89.100.0/24", "US", 11377, "SendGrid, Inc.", "o{d}.ptr{c}.sendgrid.net", "UTC"
    ),
    "ses": NetBlock(
        "54.240.8.0/24", "US", 14618, "Amazon.com, Inc.", "a8-{d}.smtp-out.amazonses.com", "UTC"
    ),
    "mailgun": NetBlock(
        "159.135.228.0/24", "US", 396479, "Mailgun Technologies Inc.", "m228-{d}.mailgun.net", "UTC"
    ),
}

ALL_BLOCKS: tuple[NetBlock, ...] = (*RELAYS, *HOSTING, *SERVICES.values())


@functools.cache
def _span(prefix: str) -> tuple[int, int]:
    net = ipaddress.IPv4Network(prefix)
    return int(net.network_address), net.num_addresses


def pick_ip(block: NetBlock, rng: random.Random) -> str:
    """A host address inside the block (never network or broadcast)."""
    base, size = _span(block.prefix)
    return str(ipaddress.IPv4Address(base + rng.randint(2, size - 3)))


def rdns(block: NetBlock, ip: str) -> str | None:
    """The PTR name the block's owner publishes for ``ip``, or None."""
    if not block.rdns:
        return None
    a, b, c, d = (int(x) for x in ip.split("."))
    return block.rdns.format(a=a, b=b, c=c, d=d)


def block_for(ip: str) -> NetBlock | None:
    addr = ipaddress.IPv4Address(ip)
    for block in ALL_BLOCKS:
        if addr in ipaddress.IPv4Network(block.prefix):
            return block
    return None


# --- clocks -----------------------------------------------------------------

_ABBREV = {"US/Pacific": ("PST", "PDT"), "US/Eastern": ("EST", "EDT")}


def _nth_sunday(year: int, month: int, n: int) -> datetime:
    first = datetime(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _last_sunday(year: int, month: int) -> datetime:
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def utc_offset(zone: str, when_utc: datetime) -> tuple[timedelta, str | None]:
    """Offset and zone comment for a clock: fixed ("+0300"), EU ("EU+1") or US."""
    naive = when_utc.replace(tzinfo=None)
    if zone == "UTC":
        return timedelta(0), None
    if zone.startswith("EU+"):
        base = timedelta(hours=int(zone[3:]))
        y = naive.year
        dst = (
            _last_sunday(y, 3) + timedelta(hours=1)
            <= naive
            < _last_sunday(y, 10) + timedelta(hours=1)
        )
        return base + timedelta(hours=1 if dst else 0), None
    if zone in _ABBREV:
        base = timedelta(hours=-8 if zone == "US/Pacific" else -5)
        local_std = naive + base
        y = naive.year
        dst = (
            _nth_sunday(y, 3, 2) + timedelta(hours=2)
            <= local_std
            < _nth_sunday(y, 11, 1) + timedelta(hours=1)
        )
        off = base + timedelta(hours=1 if dst else 0)
        return off, _ABBREV[zone][1 if dst else 0]
    sign = -1 if zone[0] == "-" else 1
    return sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])), None
