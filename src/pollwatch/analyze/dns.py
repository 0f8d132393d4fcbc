"""One DNS adapter for every authentication check: live, snapshot and offline.

Evidence must be reproducible: the verdicts pollwatch gives today must come
out the same a year on, when keys have been rotated and records rewritten. So
every DNS answer an authentication check uses goes through one
:class:`DnsSource`, in one of five modes:

``live``
    ask a resolver (``nameservers`` and ``port`` given, or the system's).
``record``
    ask live and write every answer used into a snapshot file
    (:meth:`DnsSource.save`, or leave the ``with`` block).
``replay``
    answer only from a snapshot; a question it does not hold is a temporary
    error, never a live query. DKIM signature times are judged as of the
    moment the snapshot was recorded (:meth:`DnsSource.clock`).
``offline``
    no DNS at all: only the results the receiver recorded in headers count.
``injected``
    answers given in code (unit tests, conformance vectors).

dkimpy and pyspf each want DNS their own way; :meth:`DnsSource.dnsfunc` serves
dkimpy (bytes names, joined TXT bytes) and :meth:`DnsSource.pyspf_bound` swaps
pyspf's module-level ``DNSLookup`` (and dnspython's process-global
``dns.resolver.default_resolver``) for this source under a lock, restoring
both on exit.

Example::

    with DnsSource.record(Path("case-42.dns.json"), nameservers=("127.0.0.1",), port=5353) as dns:
        section = analyze_auth(parsed, path, dns, raw=raw)
    # a year later, no network:
    section_again = analyze_auth(parsed, path, DnsSource.replay(Path("case-42.dns.json")), raw=raw)
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import msgspec

from pollwatch.errors import ConfigError

Mode = Literal["live", "record", "replay", "offline", "injected"]
Status = Literal["ok", "nxdomain", "nodata", "error", "offline", "missing"]
SNAPSHOT_FORMAT = "pollwatch.dns-snapshot/1"

# pyspf and dnspython keep process-wide state; all swaps happen under this lock.
GLOBAL_DNS_LOCK = threading.RLock()


class DnsTempError(Exception):
    """A DNS question could not be answered (timeout, SERVFAIL, offline, not in snapshot)."""


class DnsAnswer(msgspec.Struct, frozen=True):
    """One question and its answer, records in DNS presentation format."""

    name: str  # lower case, no trailing dot
    rdtype: str  # "TXT", "A", ...
    status: Status
    records: tuple[str, ...] = ()
    detail: str | None = None


class Snapshot(msgspec.Struct):
    """The file a recorded run writes and a replay reads."""

    recorded_at: datetime
    answers: list[DnsAnswer]
    format: str = SNAPSHOT_FORMAT


def normalise_name(name: str | bytes) -> str:
    text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    return text.strip().rstrip(".").lower()


def txt_strings(record: str) -> tuple[bytes, ...]:
    """The character-strings of one TXT record given in presentation format."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, record)
    return tuple(rdata.strings)  # type: ignore[attr-defined]


def txt_record(*strings: str | bytes) -> str:
    """Presentation format of a TXT record made of ``strings`` (for injected answers)."""
    import dns.rdtypes.ANY.TXT

    raw: list[bytes] = []
    for s in strings:
        data = s.encode("utf-8") if isinstance(s, str) else s
        # a character-string holds 255 bytes at most
        raw.extend([data[i : i + 255] for i in range(0, len(data), 255)] or [b""])
    raw = raw or [b""]
    rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, raw)
    return str(rdata.to_text())


class DnsSource:
    """Answers DNS questions for authentication checks, in one of five modes."""

    def __init__(
        self,
        mode: Mode,
        *,
        nameservers: Sequence[str] = (),
        port: int = 53,
        timeout: float = 4.0,
        snapshot: Path | None = None,
        answers: Mapping[tuple[str, str], DnsAnswer] | None = None,
        recorded_at: datetime | None = None,
    ) -> None:
        self.mode: Mode = mode
        self.snapshot_path = snapshot
        self.timeout = timeout
        self._answers: dict[tuple[str, str], DnsAnswer] = dict(answers or {})
        self._used: dict[tuple[str, str], DnsAnswer] = {}
        self._recorded_at = recorded_at
        self._lock = threading.Lock()
        self._resolver = _make_resolver(nameservers, port, timeout) if mode in _LIVE else None

    # ------------------------------------------------------------ construction

    @classmethod
    def live(
        cls, nameservers: Sequence[str] = (), port: int = 53, timeout: float = 4.0
    ) -> DnsSource:
        return cls("live", nameservers=nameservers, port=port, timeout=timeout)

    @classmethod
    def record(
        cls, path: Path, nameservers: Sequence[str] = (), port: int = 53, timeout: float = 4.0
    ) -> DnsSource:
        """Live, writing every answer used to ``path`` (merged with what it holds)."""
        previous = _read_snapshot(path) if path.exists() else None
        source = cls("record", nameservers=nameservers, port=port, timeout=timeout, snapshot=path)
        if previous is not None:
            source._used = {(a.name, a.rdtype): a for a in previous.answers}
            source._recorded_at = previous.recorded_at
        return source

    @classmethod
    def replay(cls, path: Path) -> DnsSource:
        snap = _read_snapshot(path)
        answers = {(a.name, a.rdtype): a for a in snap.answers}
        return cls("replay", snapshot=path, answers=answers, recorded_at=snap.recorded_at)

    @classmethod
    def offline(cls) -> DnsSource:
        return cls("offline")

    @classmethod
    def injected(cls, records: Mapping[str, Mapping[str, Sequence[str]]]) -> DnsSource:
        """Answers from code: ``{"example.org": {"TXT": ['"v=spf1 -all"'], "A": ["192.0.2.1"]}}``.

        A name that is absent is NXDOMAIN; a present name without the type is
        NODATA; a type given as ``["TIMEOUT"]`` is a temporary error.
        """
        answers: dict[tuple[str, str], DnsAnswer] = {}
        for raw_name, types in records.items():
            name = normalise_name(raw_name)
            answers[(name, "*")] = DnsAnswer(name, "*", "ok")
            for rdtype, values in types.items():
                key = (name, rdtype.upper())
                if list(values) == ["TIMEOUT"]:
                    answers[key] = DnsAnswer(name, rdtype.upper(), "error", detail="timeout")
                else:
                    answers[key] = DnsAnswer(name, rdtype.upper(), "ok", tuple(values))
        return cls("injected", answers=answers)

    # ------------------------------------------------------------ description

    @property
    def label(self) -> str:
        """How verdicts that used this source say where their DNS came from."""
        if self.mode == "replay":
            return f"snapshot:{self.snapshot_path}"
        if self.mode == "record":
            return f"live (recorded to snapshot:{self.snapshot_path})"
        return self.mode

    @property
    def can_query(self) -> bool:
        return self.mode != "offline"

    def clock(self) -> float:
        """The time verification is judged at: now, or when the snapshot was recorded."""
        if self.mode == "replay" and self._recorded_at is not None:
            return self._recorded_at.timestamp()
        return time.time()

    def used(self) -> tuple[DnsAnswer, ...]:
        """Every answer this source gave (the evidence a snapshot keeps)."""
        with self._lock:
            return tuple(self._used[k] for k in sorted(self._used))

    # ------------------------------------------------------------ lookups

    def lookup(self, name: str | bytes, rdtype: str) -> DnsAnswer:
        """Answer one question; CNAMEs are followed (live, and injected up to 8 deep)."""
        key = (normalise_name(name), rdtype.upper())
        answer = self._answer(key)
        with self._lock:
            self._used.setdefault(key, answer)
        return answer

    def _answer(self, key: tuple[str, str]) -> DnsAnswer:
        name, rdtype = key
        if self.mode == "offline":
            return DnsAnswer(name, rdtype, "offline", detail="DNS is off (offline mode)")
        if self.mode == "replay":
            return self._answers.get(key) or DnsAnswer(
                name, rdtype, "missing", detail="not in the snapshot"
            )
        if self.mode == "injected":
            return self._injected(name, rdtype, 0)
        return _query(self._resolver, name, rdtype)

    def _injected(self, name: str, rdtype: str, depth: int) -> DnsAnswer:
        direct = self._answers.get((name, rdtype))
        if direct is not None:
            return direct
        cname = self._answers.get((name, "CNAME"))
        if cname is not None and cname.records and depth < 8:
            target = normalise_name(cname.records[0])
            followed = self._injected(target, rdtype, depth + 1)
            return DnsAnswer(name, rdtype, followed.status, followed.records, followed.detail)
        status: Status = "nodata" if (name, "*") in self._answers else "nxdomain"
        return DnsAnswer(name, rdtype, status)

    def txt(self, name: str | bytes) -> tuple[bytes, ...]:
        """Each TXT record at ``name``, its strings joined; DnsTempError when unanswerable."""
        answer = self.lookup(name, "TXT")
        _raise_if_temporary(answer)
        return tuple(b"".join(txt_strings(r)) for r in answer.records)

    def dnsfunc(self, name: str | bytes, timeout: float = 5) -> bytes | None:
        """dkimpy's ``dnsfunc``: the first TXT record at ``name`` as bytes, or None."""
        records = self.txt(name)
        return records[0] if records else None

    def spf_lookup(
        self, name: str, qtype: str, strict: object = True, timeout: object = None
    ) -> list[tuple[tuple[str, str], Any]]:
        """pyspf's ``DNSLookup``: ``[((name, qtype), value), ...]`` or ``spf.TempError``."""
        import spf

        answer = self.lookup(name, qtype)
        if answer.status in ("error", "offline", "missing"):
            raise spf.TempError(f"DNS {answer.detail or answer.status}")
        key = (str(name).rstrip("."), qtype)
        return [(key, _spf_value(qtype, r)) for r in answer.records]

    @contextmanager
    def pyspf_bound(self) -> Iterator[None]:
        """Make pyspf (which has no resolver argument) ask this source, then restore it."""
        import spf

        with GLOBAL_DNS_LOCK:
            saved_lookup = spf.DNSLookup
            saved_default = dns.resolver.default_resolver
            spf.DNSLookup = self.spf_lookup
            if self._resolver is not None:
                dns.resolver.default_resolver = self._resolver
            try:
                yield
            finally:
                spf.DNSLookup = saved_lookup
                dns.resolver.default_resolver = saved_default

    # ------------------------------------------------------------ snapshots

    def save(self) -> Path | None:
        """Write the snapshot (record mode); returns its path, or None in other modes."""
        if self.mode != "record" or self.snapshot_path is None:
            return None
        snap = Snapshot(recorded_at=self._recorded_at or datetime.now(UTC), answers=[*self.used()])
        tmp = self.snapshot_path.with_name(self.snapshot_path.name + ".tmp")
        tmp.write_bytes(msgspec.json.format(msgspec.json.encode(snap), indent=1) + b"\n")
        tmp.replace(self.snapshot_path)
        return self.snapshot_path

    def __enter__(self) -> DnsSource:
        if self.mode == "record" and self._recorded_at is None:
            self._recorded_at = datetime.now(UTC)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.save()


_LIVE = ("live", "record")


def _make_resolver(nameservers: Sequence[str], port: int, timeout: float) -> dns.resolver.Resolver:
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        resolver = dns.resolver.Resolver(configure=True)
    resolver.port = port
    resolver.lifetime = timeout
    resolver.timeout = min(timeout, 2.0)
    resolver.use_search_by_default = False
    return resolver


def _query(resolver: dns.resolver.Resolver | None, name: str, rdtype: str) -> DnsAnswer:
    if resolver is None:
        return DnsAnswer(name, rdtype, "error", detail="no resolver")
    try:
        result = resolver.resolve(name + ".", rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return DnsAnswer(name, rdtype, "nxdomain")
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        return DnsAnswer(name, rdtype, "error", detail=type(exc).__name__)
    except (dns.exception.DNSException, ValueError) as exc:
        return DnsAnswer(name, rdtype, "error", detail=f"{type(exc).__name__}: {exc}")
    if result.rrset is None:
        return DnsAnswer(name, rdtype, "nodata")
    return DnsAnswer(name, rdtype, "ok", tuple(r.to_text() for r in result.rrset))


def _raise_if_temporary(answer: DnsAnswer) -> None:
    if answer.status in ("error", "offline", "missing"):
        raise DnsTempError(f"{answer.name}/{answer.rdtype}: {answer.detail or answer.status}")


def _spf_value(qtype: str, record: str) -> Any:
    if qtype in ("TXT", "SPF"):
        return list(txt_strings(record))
    if qtype == "MX":
        pref, _, host = record.partition(" ")
        return (int(pref), host.strip().rstrip("."))
    if qtype in ("PTR", "CNAME"):
        return record.rstrip(".")
    return record


def _read_snapshot(path: Path) -> Snapshot:
    try:
        snap = msgspec.json.decode(path.read_bytes(), type=Snapshot)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ConfigError(f"{path}: not a pollwatch DNS snapshot ({exc})") from exc
    if snap.format != SNAPSHOT_FORMAT:
        raise ConfigError(f"{path}: snapshot format {snap.format!r}, expected {SNAPSHOT_FORMAT}")
    return snap


_PSL: Any = None


@functools.lru_cache(maxsize=65_536)
def organisational_domain(domain: str) -> str:
    """The registrable domain per the public-suffix list (RFC 7489 section 3.2).

    ``mail.example.co.uk`` -> ``example.co.uk``; a public suffix is its own.
    """
    global _PSL
    if _PSL is None:
        from publicsuffixlist import PublicSuffixList

        _PSL = PublicSuffixList()
    name = normalise_name(domain)
    return str(_PSL.privatesuffix(name) or name)
