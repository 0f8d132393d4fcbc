"""Verifying an evidence package: every hash re-checked, hostile archives refused.

The zip is untrusted: names, sizes, compression ratios and record sizes are
bounded (:class:`VerifyLimits`), nothing is extracted, and every problem is
reported (at most ``MAX_PROBLEMS`` listed), never raised.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple, NoReturn

import msgspec

from pollwatch.export.evidence import (
    CHUNK,
    CONTROL_CHARS,
    MANIFEST,
    SAFE_DNS_NAME,
    SEAL_PREFIX,
    Manifest,
    ManifestFile,
    file_sha256,
)

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
    if not name or name != name.strip() or CONTROL_CHARS.search(name):
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
    if name.startswith("dns/") and name.count("/") == 1 and not SAFE_DNS_NAME.search(name[4:]):
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
