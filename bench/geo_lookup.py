#!/usr/bin/env python3
"""Benchmark offline IP labelling: pollwatch's bundled data vs its peers, one run.

Measures load time and lookups per second on the same random public addresses
for:

* ``pollwatch``      - :meth:`GeoResolver.lookup` over the bundled data (full
  label: parsing, special-purpose scope, country + AS + sources);
* ``pollwatch-raw``  - :meth:`BundledSource.find` on pre-parsed addresses;
* ``pollwatch-memo`` - the resolver's memo on 10,000 distinct addresses
  repeated (mail repeats relays);
* ``maxminddb``      - ``Reader.get`` on a MaxMind test database (from
  ``../shared/corpora/fixtures.tar.xz`` or ``--mmdb FILE``);
* ``pollwatch+mmdb`` - the resolver with that mmdb layered first;
* ``geoip2fast``     - if installed (country + AS name, stale bundled data).

and prints each rate as a ratio to ``maxminddb``.  Usage::

    python bench/geo_lookup.py [-n 200000] [--mmdb FILE]
"""

from __future__ import annotations

import argparse
import importlib
import random
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import maxminddb

from pollwatch.analyze.geo import BundledSource, GeoResolver, MmdbSource, parse_ip

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / ".." / "shared" / "corpora" / "fixtures.tar.xz"
TEST_DB = "geoip_test/maxmind_db/test-data/GeoLite2-City-Test.mmdb"


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def random_ips(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    v4 = [".".join(str(rng.randrange(1, 224)) for _ in range(4)) for _ in range(n * 4 // 5)]
    v6 = [
        ":".join(
            f"{rng.randrange(0x2001, 0x2C10):x}" if i == 0 else f"{rng.getrandbits(16):x}"
            for i in range(8)
        )
        for _ in range(n - len(v4))
    ]
    ips = v4 + v6
    rng.shuffle(ips)
    return ips


def rate(fn: Callable[[str], object], ips: Sequence[str]) -> float:
    start = time.perf_counter()
    for ip in ips:
        fn(ip)
    return len(ips) / (time.perf_counter() - start)


def test_mmdb(arg: Path | None, tmp: Path) -> Path | None:
    if arg is not None:
        return arg
    if not FIXTURES.is_file():
        return None
    with tarfile.open(FIXTURES) as tar:
        member = tar.getmember(TEST_DB)
        member.name = Path(TEST_DB).name
        tar.extract(member, tmp, filter="data")
    return tmp / member.name


def bench_bundled(source: BundledSource, ips: Sequence[str]) -> dict[str, tuple[float, float]]:
    before = rss_mb()
    start = time.perf_counter()
    source.load()
    load = time.perf_counter() - start
    print(
        f"bundled tables: +{rss_mb() - before:.0f} MB RSS, file "
        f"{source.path.stat().st_size / 1e6:.1f} MB"
    )
    cold = GeoResolver([source], cache_size=0)
    warm = GeoResolver([source])
    repeated = [ips[i % 10_000] for i in range(len(ips))]
    parsed = [a for a in map(parse_ip, ips) if a is not None]
    return {
        "pollwatch": (load, rate(cold.lookup, ips)),
        "pollwatch-raw": (load, len(parsed) / _run_find(source, parsed)),
        "pollwatch-memo": (load, rate(warm.lookup, repeated)),
    }


def _run_find(source: BundledSource, parsed: Sequence[object]) -> float:
    find = source.find
    start = time.perf_counter()
    for addr in parsed:
        find(addr)  # type: ignore[arg-type]
    return time.perf_counter() - start


def bench_mmdb(
    path: Path, ips: Sequence[str], bundled: BundledSource
) -> dict[str, tuple[float, float]]:
    start = time.perf_counter()
    reader = maxminddb.open_database(str(path))
    load = time.perf_counter() - start
    layered = GeoResolver([MmdbSource(path), bundled], cache_size=0)
    return {
        "maxminddb": (load, rate(reader.get, ips)),
        "pollwatch+mmdb": (load, rate(layered.lookup, ips)),
    }


def bench_geoip2fast(ips: Sequence[str]) -> dict[str, tuple[float, float]]:
    try:
        module = importlib.import_module("geoip2fast")
    except ImportError:
        print("geoip2fast not installed: skipped")
        return {}
    start = time.perf_counter()
    geo = module.GeoIP2Fast(verbose=False)
    load = time.perf_counter() - start
    geo.clear_cache()
    return {"geoip2fast": (load, rate(geo.lookup, ips))}


def report(results: dict[str, tuple[float, float]], n: int) -> None:
    base = results.get("maxminddb", (0.0, 0.0))[1]
    print(f"\n{n} random public addresses (80% IPv4, 20% IPv6)")
    print(f"{'reader':<16}{'load s':>9}{'lookups/s':>13}{'vs maxminddb':>14}")
    for name, (load, per_s) in results.items():
        ratio = f"{per_s / base:.2f}x" if base else "-"
        print(f"{name:<16}{load:>9.3f}{per_s:>13,.0f}{ratio:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200_000, help="addresses to look up")
    parser.add_argument("--mmdb", type=Path, help="mmdb to compare (default: MaxMind test db)")
    args = parser.parse_args()
    ips = random_ips(args.n)
    source = BundledSource()
    results = bench_bundled(source, ips)
    with tempfile.TemporaryDirectory() as tmp:
        mmdb = test_mmdb(args.mmdb, Path(tmp))
        if mmdb is None:
            print(f"no mmdb: {FIXTURES} absent and no --mmdb given")
        else:
            print(f"mmdb: {mmdb.name} ({mmdb.stat().st_size / 1e3:.0f} kB)")
            results |= bench_mmdb(mmdb, ips, source)
    results |= bench_geoip2fast(ips)
    report(results, len(ips))


if __name__ == "__main__":
    main()
