#!/usr/bin/env python3
"""Build pollwatch's bundled offline IP -> country / ASN / AS organisation file.

Fetches two npm packages with ``npm pack`` (no other network access):

* ``@ip-location-db/geo-whois-asn-country`` - country per range (CC0-1.0);
* ``@ip-location-db/asn`` - AS number and AS organisation per range
  (RouteViews + NRO + DB-IP, CC BY 4.0, attribution required);

merges their ``*-num.csv`` range files into one step function per address
family and writes, under ``src/pollwatch/resources/geo/``:

* ``ipdb.bin``       - the lookup file read by :mod:`pollwatch.analyze.geo`;
* ``SOURCES.json``   - package names, versions, data dates, hashes, licences;
* ``ATTRIBUTION.md`` - the attribution the CC BY 4.0 licences require.

``ipdb.bin`` layout (all integers little-endian)::

    b"PWGEO\\x00\\x01\\n"                 8-byte magic
    u32 header length, header JSON     sources, sections (name, typecode, count)
    zlib stream                        sections back to back, each byte-shuffled

A *section* is a fixed-width array.  ``v4_start``/``v6_hi``+``v6_lo`` hold the
sorted start of every segment (the first starts at address 0, so a bisect
always lands); ``v4_value``/``v6_value`` hold ``country_index << 24 |
as_index`` for that segment (0 = no data).  ``asn`` holds the AS numbers and
``as_org``/``country`` are newline-joined string tables; index 0 of each
table means "none".  ``v4_index``/``v6_index`` map the top 16 address bits to
the segment holding the first address with that prefix (65,537 entries), so a
lookup bisects only a handful of segments.  Byte-shuffling (all first bytes, then all second bytes,
...) makes sorted integers compress about twice as well and is undone at
load time with slice assignment.

Usage::

    python scripts/build_geo_data.py                       # latest from npm
    python scripts/build_geo_data.py --version 2.3.2026061719
    python scripts/build_geo_data.py --tarball-dir DIR     # reuse .tgz files, offline
"""

from __future__ import annotations

import argparse
import array
import base64
import bisect
import csv
import datetime as dt
import hashlib
import heapq
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"PWGEO\x00\x01\n"
FORMAT_VERSION = 1
AS_BITS = 24
INDEX_BITS = 16
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "pollwatch" / "resources" / "geo"
COUNTRY_PKG = "@ip-location-db/geo-whois-asn-country"
ASN_PKG = "@ip-location-db/asn"
UPSTREAM = "https://github.com/sapics/ip-location-db"

LICENCES = {
    COUNTRY_PKG: {
        "licence": "CC0-1.0",
        "upstream": "GeoFeed (OpenGeoFeed and provider geofeeds) > RIR WHOIS > RIR "
        "IP-ASN-country, merged by sapics/ip-location-db",
        "attribution": "Country data: ip-location-db geo-whois-asn-country by sapics "
        f"({UPSTREAM}), CC0-1.0; built from RIR WHOIS and statistics data of the "
        "Number Resource Organization (https://www.nro.net/), CC BY 4.0.",
    },
    ASN_PKG: {
        "licence": "CC-BY-4.0",
        "upstream": "RouteViews > RIR IP-ASN (NRO) > DB-IP IP to ASN Lite, merged by "
        "sapics/ip-location-db",
        "attribution": "AS data: ip-location-db asn by sapics "
        f"({UPSTREAM}), built from the Route Views project (https://www.routeviews.org/), "
        "NRO statistics (https://www.nro.net/) and the IP to ASN Lite database by "
        "DB-IP (https://db-ip.com), all CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/). "
        "<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>",
    },
}


@dataclass(frozen=True)
class Package:
    """One fetched npm package: its metadata and unpacked directory."""

    name: str
    version: str
    tarball: str
    sha256: str
    integrity: str
    published: str | None
    root: Path

    @property
    def notice(self) -> str | None:
        """The upstream README's caution block, if any, as one line."""
        readme = self.root / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.exists() else ""
        lines = [ln.lstrip("> ").strip() for ln in text.splitlines() if ln.startswith(">")]
        body = " ".join(ln for ln in lines if ln and not ln.startswith("[!"))
        body = re.sub(r"\[([^]]*)]\([^)]*\)", r"\1", body)
        return re.sub(r"[*`]", "", body) or None

    @property
    def data_date(self) -> str:
        """Upstream data date, encoded by ip-location-db as ``X.Y.YYYYMMDDHH``."""
        match = re.fullmatch(r"\d+\.\d+\.(\d{4})(\d{2})(\d{2})(\d{2})?", self.version)
        if match is None:
            raise SystemExit(f"{self.name}: cannot read a date from version {self.version}")
        year, month, day = (int(g) for g in match.groups()[:3])
        return dt.date(year, month, day).isoformat()


# --------------------------------------------------------------------- fetch


def npm(*args: str) -> str:
    proc = subprocess.run(["npm", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def publish_time(name: str, version: str) -> str | None:
    try:
        times = json.loads(npm("view", f"{name}@{version}", "time", "--json"))
    except (SystemExit, json.JSONDecodeError):
        return None
    value = times.get(version) if isinstance(times, dict) else None
    return value if isinstance(value, str) else None


def fetch_tarball(name: str, version: str | None, dest: Path) -> Path:
    spec = f"{name}@{version}" if version else name
    info = json.loads(npm("pack", spec, "--pack-destination", str(dest), "--json"))
    return dest / str(info[0]["filename"])


def find_tarball(name: str, version: str | None, directory: Path) -> Path:
    stem = name.lstrip("@").replace("/", "-")
    pattern = f"{stem}-{version}.tgz" if version else f"{stem}-[0-9]*.tgz"
    found = sorted(directory.glob(pattern))
    if not found:
        raise SystemExit(f"no {pattern} in {directory}")
    return found[-1]


def unpack(tarball: Path, dest: Path, *, online: bool) -> Package:
    root = dest / tarball.stem
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    meta = json.loads((root / "package" / "package.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    sha512 = hashlib.sha512(tarball.read_bytes()).digest()
    return Package(
        name=meta["name"],
        version=meta["version"],
        tarball=tarball.name,
        sha256=digest,
        integrity="sha512-" + base64.b64encode(sha512).decode(),
        published=publish_time(meta["name"], meta["version"]) if online else None,
        root=root / "package",
    )


# --------------------------------------------------------------------- ranges

Range = tuple[int, int, int]  # start, end (inclusive), value


def read_csv(path: Path) -> Iterator[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.reader(fh)


def steps(ranges: Iterable[Range], top: int) -> tuple[list[int], list[int], int]:
    """Turn inclusive ranges into a step function from 0 to ``top``: parallel lists
    of segment starts and values (0 = no data), plus the number of overlapping
    ranges seen.  Where ranges overlap, the narrowest covering range wins (the
    npm data nests more specific geofeed/WHOIS ranges inside broader ones)."""
    rows = sorted(ranges)
    bounds = sorted({0} | {s for s, _, _ in rows} | {e + 1 for _, e, _ in rows if e < top})
    heap: list[tuple[int, int, int, int]] = []  # width, -order, end, value
    starts: list[int] = []
    values: list[int] = []
    k = 0
    for bound in bounds:
        while k < len(rows) and rows[k][0] <= bound:
            start, end, value = rows[k]
            heapq.heappush(heap, (end - start, -k, end, value))
            k += 1
        while heap and heap[0][2] < bound:
            heapq.heappop(heap)
        starts.append(bound)
        values.append(heap[0][3] if heap else 0)
    return *drop_empty(starts, values), count_overlaps(rows)


def count_overlaps(rows: Sequence[Range]) -> int:
    """Rows (sorted by start) that begin inside an earlier row."""
    count, reach = 0, -1
    for start, end, _ in rows:
        count += start <= reach
        reach = max(reach, end)
    return count


def drop_empty(starts: list[int], values: list[int]) -> tuple[list[int], list[int]]:
    """Remove zero-length segments and coalesce neighbours with equal values."""
    out_s: list[int] = []
    out_v: list[int] = []
    for i, (start, value) in enumerate(zip(starts, values, strict=True)):
        if i + 1 < len(starts) and starts[i + 1] == start:
            continue
        if out_v and out_v[-1] == value:
            continue
        out_s.append(start)
        out_v.append(value)
    return out_s, out_v


def overlay(
    a: tuple[list[int], list[int]], b: tuple[list[int], list[int]]
) -> tuple[list[int], list[int]]:
    """Merge two step functions into one whose value is ``a << AS_BITS | b``."""
    (a_s, a_v), (b_s, b_v) = a, b
    starts = sorted(set(a_s) | set(b_s))
    values: list[int] = []
    i = j = 0
    for start in starts:
        while i + 1 < len(a_s) and a_s[i + 1] <= start:
            i += 1
        while j + 1 < len(b_s) and b_s[j + 1] <= start:
            j += 1
        values.append(a_v[i] << AS_BITS | b_v[j])
    return drop_empty(starts, values)


@dataclass
class Tables:
    """String tables shared by both address families."""

    countries: dict[str, int]
    asns: dict[int, int]
    orgs: list[str]

    @classmethod
    def empty(cls) -> Tables:
        return cls(countries={"": 0}, asns={0: 0}, orgs=[""])

    def country(self, code: str) -> int:
        code = code.strip().upper()
        return self.countries.setdefault(code, len(self.countries))

    def asn(self, number: int, org: str) -> int:
        if number not in self.asns:
            self.asns[number] = len(self.asns)
            self.orgs.append(" ".join(org.split()))
        return self.asns[number]


def country_ranges(path: Path, tables: Tables) -> Iterator[Range]:
    for row in read_csv(path):
        yield int(row[0]), int(row[1]), tables.country(row[2])


def asn_ranges(path: Path, tables: Tables) -> Iterator[Range]:
    for row in read_csv(path):
        number = int(row[2])
        if number == 0:  # AS0: "not routed"; treat as no AS
            continue
        yield int(row[0]), int(row[1]), tables.asn(number, row[3])


def family(
    country_csv: Path, asn_csv: Path, bits: int, tables: Tables, overlaps: dict[str, int]
) -> tuple[list[int], list[int]]:
    top = (1 << bits) - 1
    cc_s, cc_v, cc_over = steps(country_ranges(country_csv, tables), top)
    as_s, as_v, as_over = steps(asn_ranges(asn_csv, tables), top)
    overlaps[country_csv.name] = cc_over
    overlaps[asn_csv.name] = as_over
    return overlay((cc_s, cc_v), (as_s, as_v))


# --------------------------------------------------------------------- write


def shuffle(data: bytes, width: int) -> bytes:
    return b"".join(data[k::width] for k in range(width))


Section = tuple[dict[str, object], bytes]


def section(name: str, typecode: str, values: Sequence[int] | bytes) -> Section:
    arr = array.array(typecode, values)
    if sys.byteorder == "big":
        arr.byteswap()
    raw = shuffle(arr.tobytes(), arr.itemsize)
    return {"name": name, "typecode": typecode, "count": len(arr)}, raw


def text_section(name: str, items: Sequence[str]) -> Section:
    if any("\n" in item for item in items):
        raise SystemExit(f"{name}: newline inside a string")
    return section(name, "B", "\n".join(items).encode("utf-8"))


def bucket_index(starts: Sequence[int], bits: int) -> list[int]:
    """For each value ``p`` of the top 16 address bits, the segment holding the
    first address with that prefix; the last entry is the last segment.  Lets
    a lookup bisect a handful of segments instead of the whole table."""
    shift = bits - INDEX_BITS
    index = [bisect.bisect_right(starts, p << shift) - 1 for p in range(1 << INDEX_BITS)]
    return [*index, len(starts) - 1]


def build_sections(
    v4: tuple[list[int], list[int]], v6: tuple[list[int], list[int]], tables: Tables
) -> list[Section]:
    mask = (1 << 64) - 1
    return [
        section("v4_start", "I", v4[0]),
        section("v4_value", "I", v4[1]),
        section("v4_index", "I", bucket_index(v4[0], 32)),
        section("v6_index", "I", bucket_index(v6[0], 128)),
        section("v6_hi", "Q", [s >> 64 for s in v6[0]]),
        section("v6_lo", "Q", [s & mask for s in v6[0]]),
        section("v6_value", "I", v6[1]),
        section("asn", "I", list(tables.asns)),
        text_section("as_org", tables.orgs),
        text_section("country", list(tables.countries)),
    ]


def source_record(pkg: Package, role: str) -> dict[str, object]:
    return {
        "role": role,
        "package": pkg.name,
        "version": pkg.version,
        "data_date": pkg.data_date,
        "published": pkg.published,
        "tarball": pkg.tarball,
        "sha256": pkg.sha256,
        "integrity": pkg.integrity,
        "homepage": f"https://www.npmjs.com/package/{pkg.name}",
        "upstream_notice": pkg.notice,
        **LICENCES[pkg.name],
    }


def write_bin(path: Path, header: dict[str, object], payload: bytes) -> None:
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    body = zlib.compress(payload, 9)
    path.write_bytes(MAGIC + len(head).to_bytes(4, "little") + head + body)


ATTRIBUTION_HEAD = """\
# Attribution for the bundled IP data

`ipdb.bin` in this folder is built by `scripts/build_geo_data.py` from the
npm packages below. The AS data is licensed under CC BY 4.0 and **requires
attribution**: keep this file with the data, and show the attribution
wherever pollwatch output that uses it is published (reports, web pages).

"""


def attribution_md(sources: list[dict[str, object]]) -> str:
    parts = [ATTRIBUTION_HEAD]
    for src in sources:
        parts.append(
            f"## {src['package']} {src['version']}\n\n"
            f"* Role: {src['role']}\n"
            f"* Data date: {src['data_date']} (from the package version)\n"
            f"* Licence: {src['licence']}\n"
            f"* Upstream: {src['upstream']}\n"
            f"* Tarball: `{src['tarball']}` sha256 `{src['sha256']}`\n"
            f"* Upstream notice: {src['upstream_notice'] or 'none'}\n\n"
            f"{src['attribution']}\n\n"
        )
    parts.append(
        "Modifications: the country and AS range tables were merged into one "
        "segment table per address family, overlapping rows were resolved so "
        "that the narrowest covering range wins, AS0 ranges were dropped, and "
        "whitespace in AS organisation names was collapsed.\n"
    )
    return "".join(parts)


def build(country: Package, asn: Package, out: Path) -> dict[str, object]:
    tables = Tables.empty()
    overlaps: dict[str, int] = {}
    v4 = family(
        country.root / "geo-whois-asn-country-ipv4-num.csv",
        asn.root / "asn-ipv4-num.csv",
        32,
        tables,
        overlaps,
    )
    v6 = family(
        country.root / "geo-whois-asn-country-ipv6-num.csv",
        asn.root / "asn-ipv6-num.csv",
        128,
        tables,
        overlaps,
    )
    if len(tables.countries) > 1 << (32 - AS_BITS) or len(tables.asns) > 1 << AS_BITS:
        raise SystemExit("too many countries or AS numbers for the packed value layout")
    sections = build_sections(v4, v6, tables)
    sources = [source_record(country, "country"), source_record(asn, "as")]
    header: dict[str, object] = {
        "format": FORMAT_VERSION,
        "as_bits": AS_BITS,
        "index_bits": INDEX_BITS,
        "sources": sources,
        "sections": [meta for meta, _ in sections],
        "compression": "zlib+shuffle",
    }
    out.mkdir(parents=True, exist_ok=True)
    write_bin(out / "ipdb.bin", header, b"".join(raw for _, raw in sections))
    summary = {
        "format": FORMAT_VERSION,
        "file": "ipdb.bin",
        "sources": sources,
        "ipv4_segments": len(v4[0]),
        "ipv6_segments": len(v6[0]),
        "countries": len(tables.countries) - 1,
        "autonomous_systems": len(tables.asns) - 1,
        "overlapping_rows_resolved_narrowest_wins": overlaps,
    }
    (out / "SOURCES.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "ATTRIBUTION.md").write_text(attribution_md(sources), encoding="utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", help="npm version of both packages (default: latest)")
    parser.add_argument("--tarball-dir", type=Path, help="use .tgz files from here, no npm")
    parser.add_argument("--keep-tarballs", type=Path, help="copy fetched .tgz files here")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pollwatch-geo-") as tmp:
        work = Path(tmp)
        pkgs = []
        for name in (COUNTRY_PKG, ASN_PKG):
            if args.tarball_dir:
                tgz = find_tarball(name, args.version, args.tarball_dir)
            else:
                tgz = fetch_tarball(name, args.version, work)
            if args.keep_tarballs:
                args.keep_tarballs.mkdir(parents=True, exist_ok=True)
                (args.keep_tarballs / tgz.name).write_bytes(tgz.read_bytes())
            pkgs.append(unpack(tgz, work, online=args.tarball_dir is None))
        summary = build(pkgs[0], pkgs[1], args.out)
    size = (args.out / "ipdb.bin").stat().st_size
    print(json.dumps({k: v for k, v in summary.items() if k != "sources"}, indent=2))
    print(f"wrote {args.out / 'ipdb.bin'} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
