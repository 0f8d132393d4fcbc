"""Evidence packages: a campaign's raw messages, records and custody log in one verifiable zip.

Entries, in this order (``docs/evidence.md`` describes each)::

    campaign.json               the CampaignRecord
    messages/<sha256>.eml       a member's bytes exactly as stored     } per member, in the
    analysis/<sha256>.json      its analysis record                    } order they are given
    dns/<name> | dns/README.txt the DNS snapshots behind the verdicts, or why there are none
    custody.jsonl               one line per sighting, then one for the package itself
    manifest.json               every other entry with SHA-256 and size; written last

Files are named by the SHA-256 of their content, computed here, so no name in
the store can reach the archive. The zip comment seals the manifest with its
own SHA-256. Every entry carries the case's ``generated_at`` as timestamp: the
same case, members and ``created_at`` give the same bytes. Members are
streamed; only their hashes are kept, and custody lines are spooled to disk.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import socket
import struct
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NamedTuple, NoReturn

import msgspec

from pollwatch import __version__
from pollwatch.analyze.record import Analysis
from pollwatch.errors import UsageError
from pollwatch.export.case import Case, Member

SCHEMA = "pollwatch.evidence/1"
MANIFEST = "manifest.json"
SEAL_PREFIX = b"pollwatch-evidence manifest-sha256="
ORDER = (
    "campaign.json; then for each member, in the order given: messages/<sha256>.eml and "
    "analysis/<sha256>.json; dns/; custody.jsonl; manifest.json last"
)
CHUNK = 1 << 20
_SAFE_DNS_NAME = re.compile(r"[^A-Za-z0-9._-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_JSON = msgspec.json.Encoder()


class ManifestFile(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    sha256: str
    size: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    schema: str
    campaign_id: str
    created_at: datetime
    tool_version: str
    case_generated_at: datetime
    case_tool_version: str
    order: str
    messages: int
    analyses: int
    custody_events: int
    missing_members: tuple[str, ...]  # listed in campaign.json, not given to the writer
    problems: tuple[str, ...]  # what the writer noticed (e.g. bytes not matching their key)
    files: tuple[ManifestFile, ...]


class PackageCreated(msgspec.Struct, frozen=True, kw_only=True):
    """The last line of ``custody.jsonl``: who made this package, when, with what."""

    command: str
    campaign_id: str
    messages: int
    operator: str
    host: str
    version: str
    created_at: datetime


class EvidenceSummary(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    campaign_id: str
    messages: int
    analyses: int
    custody_events: int
    dns_files: int
    missing_members: int
    problems: tuple[str, ...]
    size: int  # bytes of the zip
    sha256: str  # of the whole zip: record it outside the package
    manifest_sha256: str
    created_at: datetime


@dataclass
class _Tally:
    seen: set[str] = field(default_factory=set)  # content hashes packaged so far
    analyses: int = 0
    custody: int = 0
    problems: list[str] = field(default_factory=list)
    dns_modes: Counter[str] = field(default_factory=Counter)  # verified verdicts by DNS source


def write_evidence(
    case: Case,
    members: Iterable[Member],
    out: Path,
    *,
    dns_snapshots: Sequence[Path] = (),
    operator: str | None = None,
    created_at: datetime | None = None,
) -> EvidenceSummary:
    """Write the evidence package of ``case`` to ``out`` (atomically: a partial file never stays).

    ``dns_snapshots`` defaults to the case's own; ``operator`` to the login name;
    ``created_at`` to now. Raises :class:`UsageError` for a missing snapshot file or folder.
    """
    if not out.parent.is_dir() or out.is_dir():
        raise UsageError(f"cannot write the evidence package to {out}: no such folder, or a folder")
    snapshots = _dns_entries(dns_snapshots or [Path(p) for p in case.dns_snapshots])
    created = created_at or datetime.now(UTC)
    partial = out.with_name(f".{out.name}.part")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            writer = _Writer(archive, _zip_time(case.generated_at))
            manifest = _write_entries(writer, case, members, snapshots, created, operator)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return _summary(out, manifest, writer.sealed, len(snapshots))


def _write_entries(
    writer: _Writer,
    case: Case,
    members: Iterable[Member],
    snapshots: dict[str, Path],
    created: datetime,
    operator: str | None,
) -> Manifest:
    campaign = case.campaign
    writer.add("campaign.json", msgspec.json.format(_JSON.encode(campaign), indent=2))
    with tempfile.TemporaryFile() as spool:
        tally = _write_members(writer, members, spool)
        _write_dns(writer, snapshots, tally.dns_modes)
        line = PackageCreated(
            command="evidence", campaign_id=campaign.campaign_id, messages=len(tally.seen),
            operator=operator or _login(), host=socket.gethostname(), version=__version__,
            created_at=created,
        )  # fmt: skip
        spool.write(_JSON.encode(line) + b"\n")
        size = spool.tell()
        spool.seek(0)
        writer.add_stream("custody.jsonl", spool, size)
    listed = frozenset(campaign.members)
    outside = sum(1 for sha in tally.seen if sha not in listed)
    if outside:
        tally.problems.append(f"{outside} packaged message(s) are not listed in campaign.json")
    manifest = Manifest(
        schema=SCHEMA, campaign_id=campaign.campaign_id, created_at=created,
        tool_version=__version__, case_generated_at=case.generated_at,
        case_tool_version=case.tool_version, order=ORDER, messages=len(tally.seen),
        analyses=tally.analyses, custody_events=tally.custody,
        missing_members=tuple(sha for sha in campaign.members if sha not in tally.seen),
        problems=tuple(tally.problems), files=tuple(writer.files),
    )  # fmt: skip
    writer.seal(msgspec.json.format(_JSON.encode(manifest), indent=2))
    return manifest


def _write_members(writer: _Writer, members: Iterable[Member], spool: IO[bytes]) -> _Tally:
    tally = _Tally()
    for member in members:
        digest = hashlib.sha256(member.raw).hexdigest()
        if digest != member.sha256:
            tally.problems.append(
                f"member {member.sha256[:80]!r}: its stored bytes hash to {digest}; "
                "packaged under the content hash"
            )
        for event in member.custody:
            spool.write(_JSON.encode(event) + b"\n")
            tally.custody += 1
        if digest in tally.seen:
            continue
        tally.seen.add(digest)
        writer.add(f"messages/{digest}.eml", member.raw)
        if member.analysis is not None:
            _write_analysis(writer, digest, member.analysis, tally)
    return tally


def _write_analysis(writer: _Writer, digest: str, analysis: Analysis, tally: _Tally) -> None:
    if analysis.message.sha256 != digest:
        tally.problems.append(
            f"analysis/{digest}.json describes message {analysis.message.sha256[:80]!r}"
        )
    writer.add(f"analysis/{digest}.json", msgspec.json.format(_JSON.encode(analysis), indent=2))
    tally.analyses += 1
    auth = analysis.auth
    for result in (*auth.spf, *auth.dkim, *auth.dmarc, *auth.arc):
        if result.source == "verified":
            tally.dns_modes[result.dns or "unrecorded"] += 1


def _write_dns(writer: _Writer, snapshots: dict[str, Path], modes: Counter[str]) -> None:
    for name, path in snapshots.items():
        with path.open("rb") as handle:
            writer.add_stream(f"dns/{name}", handle, path.stat().st_size)
    if not snapshots:
        writer.add("dns/README.txt", _dns_readme(modes).encode())


def _dns_readme(modes: Counter[str]) -> str:
    lines = ["No DNS snapshot is part of this package."]
    if not modes:
        lines.append(
            "The authentication verdicts (SPF, DKIM, DMARC, ARC) in the analysis records are "
            "the ones the receiving mail systems recorded in the messages' own headers; "
            "pollwatch queried no DNS for them."
        )
    else:
        shown = ", ".join(f"{mode}: {count}" for mode, count in sorted(modes.items()))
        lines.append(
            "Besides the verdicts recorded in the messages' headers, some verdicts were "
            f"re-verified by pollwatch ({shown}). No snapshot of the DNS answers was kept, so "
            "those re-verifications cannot be replayed exactly; the recorded header verdicts "
            "can be checked from the raw messages."
        )
    return "\n\n".join(lines) + "\n"


def _dns_entries(paths: Sequence[Path]) -> dict[str, Path]:
    entries: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise UsageError(f"DNS snapshot not found: {path}")
        name = _SAFE_DNS_NAME.sub("_", path.name).lstrip(".") or "snapshot"
        if name == "README.txt" or name in entries:
            raise UsageError(f"two DNS snapshots would share the name dns/{name}: rename one")
        entries[name] = path
    return entries


class _Writer:
    """Adds entries with fixed metadata and remembers each one's hash and size."""

    def __init__(self, archive: zipfile.ZipFile, stamp: tuple[int, int, int, int, int, int]):
        self.archive = archive
        self.stamp = stamp
        self.files: list[ManifestFile] = []
        self.sealed = ""  # the manifest's SHA-256, once written

    def _info(self, name: str, size: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, whatever the platform, for identical bytes
        info.external_attr = 0o100644 << 16
        info.file_size = size  # lets zipfile choose zip64 before streaming
        return info

    def add(self, name: str, data: bytes) -> None:
        self.archive.writestr(self._info(name, len(data)), data)
        self.files.append(
            ManifestFile(path=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        )

    def add_stream(self, name: str, handle: IO[bytes], size: int) -> None:
        digest = hashlib.sha256()
        written = 0
        with self.archive.open(self._info(name, size), "w") as entry:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                entry.write(chunk)
                written += len(chunk)
        self.files.append(ManifestFile(path=name, sha256=digest.hexdigest(), size=written))

    def seal(self, manifest: bytes) -> None:
        self.archive.writestr(self._info(MANIFEST, len(manifest)), manifest)
        self.sealed = hashlib.sha256(manifest).hexdigest()
        self.archive.comment = SEAL_PREFIX + self.sealed.encode()


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip timestamp (UTC, 1980..2107, even seconds as the format stores them)."""
    moment = when.astimezone(UTC) if when.tzinfo else when
    moment = min(max(moment.replace(tzinfo=None), datetime(1980, 1, 1)), datetime(2107, 12, 31))
    return (
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second - moment.second % 2,
    )


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _summary(out: Path, manifest: Manifest, sealed: str, dns_files: int) -> EvidenceSummary:
    return EvidenceSummary(
        path=str(out), campaign_id=manifest.campaign_id, messages=manifest.messages,
        analyses=manifest.analyses, custody_events=manifest.custody_events, dns_files=dns_files,
        missing_members=len(manifest.missing_members), problems=manifest.problems,
        size=out.stat().st_size, sha256=file_sha256(out), manifest_sha256=sealed,
        created_at=manifest.created_at,
    )  # fmt: skip


# ------------------------------------------------------------------ verification

_SHA_NAME = re.compile(r"^(messages/[0-9a-f]{64}\.eml|analysis/[0-9a-f]{64}\.json)$")
_FIXED_NAMES = frozenset({"campaign.json", "custody.jsonl", MANIFEST, "dns/README.txt"})
MAX_PROBLEMS = 1_000
_ZIP_ERRORS = (  # what zipfile raises on damaged or hostile input
    zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError, struct.error,
    zlib.error,
)  # fmt: skip


class VerifyLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds on what ``verify_evidence`` reads from an untrusted zip."""

    max_entries: int = 3_000_000
    max_entry_bytes: int = 8 << 30  # uncompressed, one entry
    max_total_bytes: int = 256 << 30  # uncompressed, all entries
    max_ratio: int = 200  # uncompressed / compressed, per entry beyond its first MiB
    max_manifest_bytes: int = 1 << 30
    max_record_bytes: int = 64 << 20  # an analysis record or campaign.json, decoded in memory


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # not_a_zip, missing, extra, hash_mismatch, size_mismatch, message_name, ...
    path: str | None
    detail: str


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    path: str
    campaign_id: str | None
    entries: int  # in the zip
    listed: int  # files the manifest lists
    verified: int  # listed files present with the listed hash and size
    messages: int
    analyses: int
    bytes_read: int
    package_sha256: str | None
    manifest_sha256: str | None
    problems: tuple[Problem, ...]
    problems_dropped: int = 0  # beyond MAX_PROBLEMS


class _MessageHead(msgspec.Struct):
    sha256: str


class _AnalysisHead(msgspec.Struct):
    message: _MessageHead


class _CampaignHead(msgspec.Struct):
    campaign_id: str


class _Read(NamedTuple):
    sha256: str
    size: int
    data: bytes  # empty unless kept


class _RefusedError(Exception):
    """An entry that is not read further; its problem is already recorded."""


def verify_evidence(path: Path, *, limits: VerifyLimits | None = None) -> VerifyReport:
    """Re-read an evidence zip and re-check every hash; problems are returned, never raised."""
    check = _Check(path, limits or VerifyLimits())
    try:
        archive = zipfile.ZipFile(path)
    except OSError as exc:
        check.problem("unreadable", None, f"cannot open {path}: {exc.strerror or exc}")
        return check.report(None)
    except _ZIP_ERRORS as exc:
        check.problem("not_a_zip", None, f"not a readable zip archive ({exc})")
        return check.report(None)
    with archive:
        check.run(archive)
    return check.report(_package_sha256(path))


def _package_sha256(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def unsafe_name(name: str) -> str | None:
    """Why an entry name may not be trusted as a package path, or ``None``."""
    if not name or name != name.strip() or _CONTROL.search(name):
        return "empty, padded or with control characters"
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "absolute, or with backslashes or a drive letter"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "with an empty, '.' or '..' path segment"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a path of the package layout (unsafe names never are), or ``None``."""
    if name in _FIXED_NAMES or _SHA_NAME.match(name):
        return None
    if (unsafe := unsafe_name(name)) is not None:
        return unsafe
    if name.startswith("dns/") and name.count("/") == 1 and not _SAFE_DNS_NAME.search(name[4:]):
        return None
    return "not a path of the evidence package layout"


class _Check:
    def __init__(self, path: Path, limits: VerifyLimits) -> None:
        self.path = path
        self.limits = limits
        self.problems: list[Problem] = []
        self.dropped = 0
        self.manifest: Manifest | None = None
        self.manifest_sha: str | None = None
        self.entries = 0
        self.verified = 0
        self.messages = 0
        self.analyses = 0
        self.total = 0

    def problem(self, kind: str, name: str | None, detail: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind=kind, path=name, detail=detail))
        else:
            self.dropped += 1

    def report(self, package_sha: str | None) -> VerifyReport:
        manifest = self.manifest
        return VerifyReport(
            ok=not self.problems and not self.dropped, path=str(self.path),
            campaign_id=manifest.campaign_id if manifest else None, entries=self.entries,
            listed=len(manifest.files) if manifest else 0, verified=self.verified,
            messages=self.messages, analyses=self.analyses, bytes_read=self.total,
            package_sha256=package_sha, manifest_sha256=self.manifest_sha,
            problems=tuple(self.problems), problems_dropped=self.dropped,
        )  # fmt: skip

    def run(self, archive: zipfile.ZipFile) -> None:
        infos = archive.infolist()
        self.entries = len(infos)
        if len(infos) > self.limits.max_entries:
            self.problem(
                "too_many_entries",
                None,
                f"{len(infos):,} entries (limit {self.limits.max_entries:,}); not read",
            )
            return
        entries = self._usable(infos)
        listed = self._read_manifest(archive, entries.pop(MANIFEST, None))
        for name, info in entries.items():
            try:
                self._check_entry(archive, info, listed.pop(name, None))
            except _RefusedError:
                if self.total > self.limits.max_total_bytes:
                    return
        for name in listed:
            self.problem("missing", name, "listed in the manifest, absent from the zip")

    def _usable(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        usable: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            why = name_problem(name)
            if why is not None:
                self.problem(
                    "unsafe_name" if unsafe_name(name) else "extra",
                    name[:300],
                    f"entry name {why}; not accepted",
                )
            elif name in usable:
                self.problem("duplicate_entry", name, "the zip holds two entries of this name")
            elif info.flag_bits & 0x1:
                self.problem("encrypted", name, "encrypted entry; no password is tried")
            else:
                usable[name] = info
        return usable

    def _read_manifest(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo | None
    ) -> dict[str, ManifestFile]:
        if info is None:
            self.problem(
                "manifest_missing", MANIFEST, "no manifest.json: nothing to verify against"
            )
            return {}
        try:
            read = self._read(archive, info, self.limits.max_manifest_bytes)
        except _RefusedError:
            return {}
        self.manifest_sha = read.sha256
        self._check_seal(archive.comment)
        try:
            self.manifest = msgspec.json.decode(read.data, type=Manifest)
        except msgspec.DecodeError as exc:
            self.problem("manifest_invalid", MANIFEST, f"manifest.json does not decode: {exc}")
            return {}
        return self._listed(self.manifest)

    def _check_seal(self, comment: bytes) -> None:
        if not comment.startswith(SEAL_PREFIX):
            self.problem("manifest_unsealed", MANIFEST, "the zip comment holds no manifest hash")
        elif comment.removeprefix(SEAL_PREFIX).decode("ascii", "replace") != self.manifest_sha:
            self.problem(
                "hash_mismatch",
                MANIFEST,
                "manifest.json does not match the hash sealed in the zip comment",
            )

    def _listed(self, manifest: Manifest) -> dict[str, ManifestFile]:
        listed: dict[str, ManifestFile] = {}
        for item in manifest.files:
            why = name_problem(item.path)
            if why is not None or item.path == MANIFEST:
                self.problem(
                    "manifest_invalid",
                    item.path[:300],
                    f"manifest lists a path {why or 'that is the manifest itself'}",
                )
            elif item.path in listed:
                self.problem("manifest_invalid", item.path, "manifest lists this path twice")
            else:
                listed[item.path] = item
        return listed

    def _check_entry(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, expected: ManifestFile | None
    ) -> None:
        name = info.filename
        keep = name.startswith("analysis/") or name == "campaign.json"
        read = self._read(archive, info, self.limits.max_record_bytes if keep else None)
        if expected is None:
            if self.manifest is not None:  # without one, everything would be "extra"
                self.problem("extra", name, "in the zip but not in the manifest")
        elif expected.size != read.size:
            self.problem(
                "size_mismatch", name, f"{read.size:,} bytes; the manifest says {expected.size:,}"
            )
        elif expected.sha256 != read.sha256:
            self.problem(
                "hash_mismatch",
                name,
                f"SHA-256 {read.sha256}; the manifest says {expected.sha256[:64]}",
            )
        else:
            self.verified += 1
        self._check_content(name, read.sha256, read.data)

    def _check_content(self, name: str, digest: str, data: bytes) -> None:
        if name.startswith("messages/"):
            self.messages += 1
            if name != f"messages/{digest}.eml":
                self.problem("message_name", name, f"content hashes to {digest}")
        elif name.startswith("analysis/"):
            self.analyses += 1
            self._check_analysis(name, data)
        elif name == "campaign.json":
            self._check_campaign(data)

    def _check_analysis(self, name: str, data: bytes) -> None:
        try:
            head = msgspec.json.decode(data, type=_AnalysisHead)
        except msgspec.DecodeError as exc:
            self.problem("analysis_invalid", name, f"not an analysis record: {exc}")
            return
        if name != f"analysis/{head.message.sha256}.json":
            self.problem(
                "analysis_mismatch", name, f"record describes message {head.message.sha256[:80]!r}"
            )

    def _check_campaign(self, data: bytes) -> None:
        try:
            head = msgspec.json.decode(data, type=_CampaignHead)
        except msgspec.DecodeError as exc:
            self.problem("campaign_invalid", "campaign.json", f"not a campaign record: {exc}")
            return
        if self.manifest is not None and head.campaign_id != self.manifest.campaign_id:
            self.problem(
                "campaign_mismatch",
                "campaign.json",
                f"campaign {head.campaign_id[:80]!r}, the manifest says "
                f"{self.manifest.campaign_id[:80]!r}",
            )

    def _read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, keep: int | None) -> _Read:
        """Hash one entry in chunks within the limits; keep its bytes if ``keep`` (a bound)."""
        name = info.filename
        cap = min(self.limits.max_entry_bytes, info.compress_size * self.limits.max_ratio + CHUNK)
        if keep is not None:
            cap = min(cap, keep)
        if info.file_size > cap:
            self._refuse("too_large", name, f"declares {info.file_size:,} bytes (limit {cap:,})")
        digest = hashlib.sha256()
        kept: list[bytes] = []
        read = 0
        try:
            with archive.open(info) as entry:
                while chunk := entry.read(CHUNK):
                    read += len(chunk)
                    self.total += len(chunk)
                    self._bound(name, read, cap, info.compress_size)
                    digest.update(chunk)
                    if keep is not None:
                        kept.append(chunk)
        except (OSError, *_ZIP_ERRORS) as exc:
            self._refuse("corrupt_entry", name, f"entry unreadable: {exc}")
        return _Read(digest.hexdigest(), read, b"".join(kept))

    def _bound(self, name: str, read: int, cap: int, compressed: int) -> None:
        if self.total > self.limits.max_total_bytes:
            self._refuse(
                "too_large",
                name,
                "the archive expands beyond the total size limit; verification stopped",
            )
        if read > cap:
            self._refuse(
                "bomb",
                name,
                f"expands beyond {cap:,} bytes from {compressed:,} "
                "compressed: refused as a decompression bomb",
            )

    def _refuse(self, kind: str, name: str, detail: str) -> NoReturn:
        self.problem(kind, name, detail)
        raise _RefusedError(detail)
