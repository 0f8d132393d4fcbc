"""Offline country, AS number and AS organisation for IP addresses.

Every label names the data that produced it. Three kinds of source:

* the **bundled** file ``resources/geo/ipdb.bin``, built by
  ``scripts/build_geo_data.py`` from the npm packages
  ``@ip-location-db/geo-whois-asn-country`` (country, CC0) and
  ``@ip-location-db/asn`` (AS number and name, CC BY 4.0);
* any number of user **.mmdb** files (MaxMind GeoIP2/GeoLite2 Country, City,
  ASN, ISP, Enterprise, or ip-location-db's own mmdb builds), read with
  ``maxminddb``;
* the IANA **special-purpose** registries, built in: private, loopback,
  link-local, CGNAT, documentation, multicast and reserved addresses get a
  ``scope`` and no country rather than a wrong one.

A :class:`GeoResolver` asks its sources in precedence order and takes the
country from the first source that has one and the AS from the first that has
one, so a label may combine two sources; ``country_source`` and ``source``
then differ.  Example::

    >>> resolver = open_resolver()
    >>> resolver.lookup("8.8.8.8")
    GeoLabel(ip='8.8.8.8', scope='public', country='US', ..., asn=15169, ...)

Nothing here reads the clock: :meth:`GeoResolver.info` takes ``today``.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import functools
import ipaddress
import json
import socket
import sys
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

import maxminddb
import msgspec

from pollwatch.errors import ConfigError

__all__ = [
    "SPECIAL_SOURCE",
    "STALE_AFTER_DAYS",
    "Addr",
    "BundledSource",
    "GeoInfo",
    "GeoLabel",
    "GeoLookup",
    "GeoResolver",
    "GeoSource",
    "MmdbSource",
    "Origin",
    "Scope",
    "SourceInfo",
    "bundled_source",
    "open_resolver",
    "parse_ip",
    "special_scope",
]

SPECIAL_SOURCE = "iana-special-purpose"
STALE_AFTER_DAYS = 183
MAGIC = b"PWGEO\x00\x01\n"
_AS_MASK = (1 << 24) - 1
_LO_MASK = (1 << 64) - 1

Scope = Literal[
    "public",
    "private",
    "cgnat",
    "loopback",
    "link-local",
    "documentation",
    "benchmarking",
    "multicast",
    "reserved",
    "unspecified",
]


class GeoLabel(msgspec.Struct, frozen=True, kw_only=True):
    """What is known offline about one IP address, and where it came from.

    ``source``/``source_date`` name the data behind ``asn`` and ``as_org``;
    ``country_source``/``country_source_date`` the data behind ``country``.
    Both are ``None`` when no loaded source covers a public address.
    ``embedded_ipv4`` is set when an IPv6 address carries an IPv4 address
    (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) and that is what
    was looked up.
    """

    ip: str
    scope: Scope
    country: str | None = None
    asn: int | None = None
    as_org: str | None = None
    source: str | None = None
    source_date: dt.date | None = None
    country_source: str | None = None
    country_source_date: dt.date | None = None
    embedded_ipv4: str | None = None


class SourceInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One loaded source of labels, as reported by ``pollwatch geo info``."""

    name: str
    kind: Literal["bundled", "mmdb"]
    provides: tuple[str, ...]
    data_date: dt.date | None
    age_days: int | None
    stale: bool
    location: str
    licence: str | None = None
    attribution: str | None = None
    notice: str | None = None


class GeoInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Every source in precedence order, with age warnings as of ``as_of``."""

    as_of: dt.date
    sources: tuple[SourceInfo, ...]
    warnings: tuple[str, ...]


class Origin(NamedTuple):
    """The name and data date written into labels."""

    name: str
    date: dt.date | None


class Addr(NamedTuple):
    """A parsed address: canonical text, and the family/value/text looked up."""

    text: str
    version: int
    value: int
    query: str
    embedded_ipv4: str | None = None


Hit = tuple[str | None, int | None, str | None]  # country, asn, as_org
_MISS: Hit = (None, None, None)
_UNSEEN = object()


class GeoSource(Protocol):
    """A source of country and/or AS data for public addresses."""

    @property
    def country_origin(self) -> Origin: ...

    @property
    def as_origin(self) -> Origin: ...

    def find(self, addr: Addr) -> Hit: ...

    def describe(self, today: dt.date) -> tuple[SourceInfo, ...]: ...


class GeoLookup(Protocol):
    """What the pipeline needs: pass a :class:`GeoResolver` or a test fake."""

    def lookup(self, ip: str) -> GeoLabel | None: ...


# ------------------------------------------------------------------ parsing


def _net(text: str) -> tuple[int, int]:
    net = ipaddress.ip_network(text)
    return int(net.network_address), int(net.broadcast_address)


class _Ranges:
    """Disjoint inclusive ranges with a label each, searched by bisect."""

    def __init__(self, nets: Sequence[tuple[str, str]]) -> None:
        rows = sorted((*_net(cidr), scope) for cidr, scope in nets)
        self.starts = [r[0] for r in rows]
        self.ends = [r[1] for r in rows]
        self.labels = [r[2] for r in rows]

    def get(self, value: int) -> str | None:
        i = bisect.bisect_right(self.starts, value) - 1
        return self.labels[i] if i >= 0 and value <= self.ends[i] else None


# IANA IPv4/IPv6 special-purpose registries (RFC 6890 and successors), minus
# the blocks that are globally routable; IPv6 outside 2000::/3 is "reserved".
_SPECIAL_TEXT = """
0.0.0.0/8 reserved          10.0.0.0/8 private          100.64.0.0/10 cgnat
127.0.0.0/8 loopback        169.254.0.0/16 link-local   172.16.0.0/12 private
192.0.0.0/24 reserved       192.0.2.0/24 documentation  192.88.99.0/24 reserved
192.168.0.0/16 private      198.18.0.0/15 benchmarking  198.51.100.0/24 documentation
203.0.113.0/24 documentation  224.0.0.0/4 multicast     240.0.0.0/4 reserved
::/128 unspecified          ::1/128 loopback            64:ff9b:1::/48 private
100::/64 reserved           2001:2::/48 benchmarking    2001:10::/28 reserved
2001:20::/28 reserved       2001:db8::/32 documentation 3fff::/20 documentation
fc00::/7 private            fe80::/10 link-local        fec0::/10 reserved
ff00::/8 multicast
"""
_SPECIAL = _SPECIAL_TEXT.split()
_PAIRS = list(zip(_SPECIAL[::2], _SPECIAL[1::2], strict=True))
_SPECIAL_V4 = _Ranges([p for p in _PAIRS if ":" not in p[0]])
_SPECIAL_V6 = _Ranges([p for p in _PAIRS if ":" in p[0]])
_GLOBAL_V6 = _net("2000::/3")
_MAPPED = _net("::ffff:0:0/96")[0] >> 32
_NAT64 = _net("64:ff9b::/96")[0] >> 32
_SIX_TO_FOUR = 0x2002


def _v4(value: int) -> str:
    return socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big"))


def _parse_v6(text: str) -> Addr | None:
    try:
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except (OSError, ValueError):
        return None
    canonical = socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    inner: int | None = None
    if value >> 32 in (_MAPPED, _NAT64):
        inner = value & 0xFFFFFFFF
    elif value >> 112 == _SIX_TO_FOUR:
        inner = (value >> 80) & 0xFFFFFFFF
    if inner is None:
        return Addr(canonical, 6, value, canonical)
    v4 = _v4(inner)
    return Addr(canonical, 4, inner, v4, v4)


def _clean(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    return text.split("%", 1)[0]


def parse_ip(text: str) -> Addr | None:
    """Parse an IPv4/IPv6 address as written in mail headers (``[1.2.3.4]``,
    ``IPv6:2001:db8::1``, ``fe80::1%eth0`` are accepted); ``None`` if invalid."""
    if not isinstance(text, str):
        return None
    if ":" in text:
        addr = _parse_v6(text)
    else:
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
            addr = Addr(text, 4, value, text)
        except (OSError, ValueError):
            addr = None
    if addr is None:
        cleaned = _clean(text)
        return parse_ip(cleaned) if cleaned != text else None
    return addr


def special_scope(addr: Addr) -> Scope | None:
    """The non-public scope of an address, or ``None`` if it is global unicast."""
    if addr.version == 4:
        return _SPECIAL_V4.get(addr.value)  # type: ignore[return-value]
    scope = _SPECIAL_V6.get(addr.value)
    if scope is None and not _GLOBAL_V6[0] <= addr.value <= _GLOBAL_V6[1]:
        return "reserved"
    return scope  # type: ignore[return-value]


# ------------------------------------------------------------------ bundled


def _age_info(origin: Origin, today: dt.date) -> tuple[int | None, bool]:
    if origin.date is None:
        return None, False
    age = (today - origin.date).days
    return age, age > STALE_AFTER_DAYS


def _unshuffle(raw: bytes | memoryview, width: int) -> bytes:
    if width == 1:
        return bytes(raw)
    count = len(raw) // width
    out = bytearray(len(raw))
    for k in range(width):
        out[k::width] = raw[k * count : (k + 1) * count]
    return bytes(out)


class _Tables(NamedTuple):
    v4_start: array.array[int]
    v4_value: array.array[int]
    v4_index: array.array[int]
    v6_index: array.array[int]
    v6_hi: array.array[int]
    v6_lo: array.array[int]
    v6_value: array.array[int]
    asn: array.array[int]
    as_org: list[str]
    country: list[str | None]


def _read_header(blob: bytes) -> tuple[dict[str, object], int]:
    if blob[:8] != MAGIC:
        raise ConfigError("bundled geo data: not a pollwatch ipdb file (bad magic)")
    size = int.from_bytes(blob[8:12], "little")
    header = json.loads(blob[12 : 12 + size])
    if not isinstance(header, dict) or header.get("format") != 1:
        raise ConfigError("bundled geo data: unsupported format version")
    return header, 12 + size


def _decode_tables(header: Mapping[str, object], payload: bytes) -> _Tables:
    arrays: dict[str, array.array[int]] = {}
    offset = 0
    sections = header["sections"]
    assert isinstance(sections, list)
    for meta in sections:
        arr = array.array(meta["typecode"])
        size = meta["count"] * arr.itemsize
        arr.frombytes(_unshuffle(memoryview(payload)[offset : offset + size], arr.itemsize))
        if sys.byteorder == "big":
            arr.byteswap()
        arrays[meta["name"]] = arr
        offset += size
    orgs = arrays.pop("as_org").tobytes().decode("utf-8").split("\n")
    codes = arrays.pop("country").tobytes().decode("ascii").split("\n")
    return _Tables(**arrays, as_org=orgs, country=[c or None for c in codes])


def _bundled_path() -> Path:
    ref = resources.files("pollwatch").joinpath("resources", "geo", "ipdb.bin")
    return Path(str(ref))


class BundledSource:
    """The data file shipped with pollwatch; loaded on first lookup."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or _bundled_path()
        self._lock = threading.Lock()
        self._tables: _Tables | None = None
        try:
            with self.path.open("rb") as fh:
                head = fh.read(1 << 16)
        except OSError as exc:
            raise ConfigError(
                f"bundled geo data missing at {self.path}: run scripts/build_geo_data.py"
            ) from exc
        self.header, self._body_at = _read_header(head)
        self._sources = self._source_meta()
        self.country_origin = self._origin("country")
        self.as_origin = self._origin("as")

    def _source_meta(self) -> dict[str, Mapping[str, str]]:
        rows = self.header.get("sources")
        assert isinstance(rows, list)
        return {row["role"]: row for row in rows}

    def _origin(self, role: str) -> Origin:
        meta = self._sources[role]
        name = f"{meta['package'].lstrip('@')}@{meta['version']}"
        return Origin(name, dt.date.fromisoformat(meta["data_date"]))

    def load(self) -> _Tables:
        """Decompress and decode the tables (once; thread-safe)."""
        with self._lock:
            if self._tables is None:
                blob = self.path.read_bytes()
                payload = zlib.decompress(blob[self._body_at :])
                self._tables = _decode_tables(self.header, payload)
            return self._tables

    def find(self, addr: Addr) -> Hit:
        t = self._tables or self.load()
        if addr.version == 4:
            p = addr.value >> 16
            i = bisect.bisect_right(t.v4_start, addr.value, t.v4_index[p], t.v4_index[p + 1] + 1)
            value = t.v4_value[i - 1]
        else:
            value = t.v6_value[_v6_index(t, addr.value)]
        a = value & _AS_MASK
        if a:
            return t.country[value >> 24], t.asn[a], t.as_org[a]
        return t.country[value >> 24], None, None

    def describe(self, today: dt.date) -> tuple[SourceInfo, ...]:
        out = []
        for role, origin in (("country", self.country_origin), ("as", self.as_origin)):
            meta = self._sources[role]
            age, stale = _age_info(origin, today)
            out.append(
                SourceInfo(
                    name=origin.name,
                    kind="bundled",
                    provides=(role,),
                    data_date=origin.date,
                    age_days=age,
                    stale=stale,
                    location=str(self.path),
                    licence=meta.get("licence"),
                    attribution=meta.get("attribution"),
                    notice=meta.get("upstream_notice"),
                )
            )
        return tuple(out)


def _v6_index(t: _Tables, value: int) -> int:
    hi, lo = value >> 64, value & _LO_MASK
    p = value >> 112
    first, last = t.v6_index[p], t.v6_index[p + 1] + 1
    right = bisect.bisect_right(t.v6_hi, hi, first, last)
    left = bisect.bisect_left(t.v6_hi, hi, first, right)
    if left == right:
        return right - 1
    return max(bisect.bisect_right(t.v6_lo, lo, left, right), left) - 1


@functools.cache
def bundled_source() -> BundledSource:
    """The process-wide bundled source (its tables load once, on first use)."""
    return BundledSource()


# ------------------------------------------------------------------ mmdb


def _dig(record: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(record, Mapping):
            return None
        record = record.get(key)
    return record


def _first_str(record: object, *paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _dig(record, *path)
        if isinstance(value, str) and value:
            return value
    return None


def _first_int(record: object, *paths: tuple[str, ...]) -> int | None:
    for path in paths:
        value = _dig(record, *path)
        if isinstance(value, int) and value > 0:
            return value
    return None


_COUNTRY_PATHS = (("country", "iso_code"), ("registered_country", "iso_code"), ("country_code",))
_ASN_PATHS = (("autonomous_system_number",), ("traits", "autonomous_system_number"))
_ORG_PATHS = (("autonomous_system_organization",), ("traits", "autonomous_system_organization"))


class MmdbSource:
    """A user-supplied MaxMind DB file (GeoIP2/GeoLite2 Country, City, ASN, ...)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._reader = maxminddb.open_database(str(path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise ConfigError(f"cannot open mmdb {path}: {exc}") from exc
        meta = self._reader.metadata()
        self.database_type: str = meta.database_type
        self._ipv4_only = meta.ip_version == 4
        built = dt.datetime.fromtimestamp(meta.build_epoch, dt.UTC).date()
        self.country_origin = self.as_origin = Origin(self.database_type, built)

    def find(self, addr: Addr) -> Hit:
        if addr.version == 6 and self._ipv4_only:
            return _MISS
        try:
            record = self._reader.get(addr.query)
        except ValueError:
            return _MISS
        if record is None:
            return _MISS
        asn = _first_int(record, *_ASN_PATHS)
        org = _first_str(record, *_ORG_PATHS) if asn is not None else None
        return _first_str(record, *_COUNTRY_PATHS), asn, org

    def describe(self, today: dt.date) -> tuple[SourceInfo, ...]:
        age, stale = _age_info(self.country_origin, today)
        return (
            SourceInfo(
                name=self.database_type,
                kind="mmdb",
                provides=self._provides(),
                data_date=self.country_origin.date,
                age_days=age,
                stale=stale,
                location=str(self.path),
            ),
        )

    def _provides(self) -> tuple[str, ...]:
        kind = self.database_type.lower()
        if "asn" in kind or "isp" in kind:
            return ("as",)
        if "enterprise" in kind:
            return ("country", "as")
        return ("country",)

    def close(self) -> None:
        self._reader.close()


# ------------------------------------------------------------------ resolver


class GeoResolver:
    """Labels IP addresses from its sources, first source first.

    Labels are memoised per input string (mail repeats relay addresses); the
    memo is emptied when it reaches ``cache_size`` entries (0 disables it).
    """

    def __init__(self, sources: Sequence[GeoSource], *, cache_size: int = 1 << 16) -> None:
        self.sources: tuple[GeoSource, ...] = tuple(sources)
        self._cache: dict[str, GeoLabel | None] = {}
        self._cache_size = cache_size

    def lookup(self, ip: str) -> GeoLabel | None:
        """Label one address; ``None`` if ``ip`` is not an IP address."""
        if not isinstance(ip, str):
            return None
        label = self._cache.get(ip, _UNSEEN)
        if label is _UNSEEN:
            label = self._label(ip)
            if self._cache_size:
                if len(self._cache) >= self._cache_size:
                    self._cache.clear()
                self._cache[ip] = label
        return label  # type: ignore[return-value]

    def _label(self, ip: str) -> GeoLabel | None:
        addr = parse_ip(ip)
        if addr is None:
            return None
        scope = special_scope(addr)
        if scope is not None:
            return GeoLabel(
                ip=addr.text,
                scope=scope,
                source=SPECIAL_SOURCE,
                country_source=SPECIAL_SOURCE,
                embedded_ipv4=addr.embedded_ipv4,
            )
        return self._public(addr)

    def _public(self, addr: Addr) -> GeoLabel:
        country = asn = org = None
        c_origin = a_origin = None
        for src in self.sources:
            cc, number, name = src.find(addr)
            if country is None and cc is not None:
                country, c_origin = cc, src.country_origin
            if asn is None and number is not None:
                asn, org, a_origin = number, name, src.as_origin
            if country is not None and asn is not None:
                break
        return GeoLabel(
            ip=addr.text,
            scope="public",
            country=country,
            asn=asn,
            as_org=org,
            source=a_origin.name if a_origin else None,
            source_date=a_origin.date if a_origin else None,
            country_source=c_origin.name if c_origin else None,
            country_source_date=c_origin.date if c_origin else None,
            embedded_ipv4=addr.embedded_ipv4,
        )

    def lookup_many(self, ips: Iterable[str]) -> tuple[GeoLabel | None, ...]:
        return tuple(self.lookup(ip) for ip in ips)

    def info(self, today: dt.date) -> GeoInfo:
        """Loaded sources in precedence order; warns about data older than
        ``STALE_AFTER_DAYS`` days (or dated after ``today``)."""
        infos = tuple(i for src in self.sources for i in src.describe(today))
        return GeoInfo(as_of=today, sources=infos, warnings=_warnings(infos))


def _warnings(infos: tuple[SourceInfo, ...]) -> tuple[str, ...]:
    out = []
    for info in infos:
        if info.stale:
            fix = (
                "rebuild it with scripts/build_geo_data.py or upgrade pollwatch"
                if info.kind == "bundled"
                else "download a current copy"
            )
            out.append(
                f"{info.name} data is {info.age_days} days old (from {info.data_date}; "
                f"more than {STALE_AFTER_DAYS}): {fix}"
            )
        elif info.age_days is not None and info.age_days < 0:
            out.append(f"{info.name} data is dated {info.data_date}, after today: check the clock")
    if not infos:
        out.append("no geo sources loaded: every public address will be unlabelled")
    return tuple(out)


def open_resolver(
    mmdb: Iterable[Path] = (),
    *,
    bundled: bool = True,
    prefer: Literal["mmdb", "bundled"] = "mmdb",
) -> GeoResolver:
    """A resolver over the bundled data and the given .mmdb files.

    ``prefer="mmdb"`` (default) asks the user's files first, in the order
    given, and falls back to the bundled data; ``"bundled"`` the reverse.
    """
    user: list[GeoSource] = [MmdbSource(Path(p)) for p in mmdb]
    builtin: list[GeoSource] = [bundled_source()] if bundled else []
    return GeoResolver(user + builtin if prefer == "mmdb" else builtin + user)
