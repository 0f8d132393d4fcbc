"""A campaign's case file: what reports, exports, evidence packages and advisories read.

:class:`Case` bundles a :class:`~pollwatch.cluster.record.CampaignRecord` with a
sample of its members' analysis records (the representative first) and the
provenance of the run. Writers take a ``Case`` and never open the store;
``load_case`` (in :mod:`pollwatch.export.load`) builds one from the catalogue.
Evidence packages need every member's bytes, so they read :class:`MemberSource`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

import msgspec

from pollwatch.analyze.record import Analysis
from pollwatch.cluster.record import CampaignRecord


class CustodyEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One sighting of a message: who ingested it, when, from which file and position."""

    message_sha256: str
    source_path: str
    source_sha256: str | None  # the whole file as received, when it was a file
    container: str
    position: str
    item_sha256: str  # the bytes found at that position (the outermost forward)
    report_kind: str | None
    reporter: str | None
    reported_at: datetime | None
    run_id: int
    operator: str
    host: str
    command: str
    version: str
    ingested_at: datetime


class Case(msgspec.Struct, frozen=True, kw_only=True):
    campaign: CampaignRecord
    sample: tuple[Analysis, ...]  # members' records, the representative message first
    generated_at: datetime
    tool_version: str
    dns_snapshots: tuple[str, ...] = ()  # snapshot files behind the verdicts, if any

    @property
    def representative(self) -> Analysis | None:
        return self.sample[0] if self.sample else None


class Member(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    raw: bytes  # exactly as stored (as received, or cut byte-exact from a forward)
    analysis: Analysis | None
    custody: tuple[CustodyEvent, ...]


class MemberSource(Protocol):
    """Every member of one campaign, streamed (a campaign can have a million members)."""

    def members(self, campaign_id: str) -> Iterator[Member]: ...
