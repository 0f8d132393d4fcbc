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
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

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
SAFE_DNS_NAME = re.compile(r"[^A-Za-z0-9._-]")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
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
        name = SAFE_DNS_NAME.sub("_", path.name).lstrip(".") or "snapshot"
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
