"""Case files from the catalogue: the campaign record, a sample of analyses, provenance.

The sample starts with the representative message: a member with a full
delivery path that makes the most claims and quotes the most personal data.
The rest of the sample is spread over the waves, so a report shows each one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from pollwatch import __version__
from pollwatch.analyze.record import Analysis
from pollwatch.cluster.campaigns import MIN_SIZE, Campaigns
from pollwatch.cluster.record import CampaignRecord
from pollwatch.export.case import Case, Member
from pollwatch.store import Catalogue

SAMPLE = 20
CANDIDATES_PER_WAVE = 12


def load_cases(
    catalogue: Catalogue, campaign_id: str | None = None, *, min_size: int = MIN_SIZE,
    sample: int = SAMPLE, limit: int | None = None,
) -> list[Case]:  # fmt: skip
    """The case of one campaign, or of every campaign (largest first, up to ``limit``)."""
    campaigns = Campaigns(catalogue.db)
    if campaign_id is not None:
        records = [campaigns.get(campaign_id)]
    else:
        ids = campaigns.ids(min_size)[:limit]
        records = [campaigns.get(i) for i in ids]
    return [load_case(catalogue, record, sample=sample) for record in records]


def load_case(catalogue: Catalogue, record: CampaignRecord, *, sample: int = SAMPLE) -> Case:
    analyses = _sample(catalogue, record, sample)
    return Case(
        campaign=record,
        sample=tuple(analyses),
        generated_at=datetime.now(UTC),
        tool_version=__version__,
        dns_snapshots=tuple(catalogue.dns_snapshots(record.members[:10_000])),
    )


class CatalogueMembers:
    """Every member of a campaign with its bytes, analysis and custody, streamed."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def members(self, campaign_id: str) -> Iterator[Member]:
        """Members whose bytes are gone from the blob store are left out: the evidence
        writer lists them as ``missing_members`` instead of failing the package."""
        record = Campaigns(self.catalogue.db).get(campaign_id)
        for sha256 in sorted(record.members):
            try:
                raw = self.catalogue.read_blob(sha256)
            except FileNotFoundError:
                continue
            yield Member(
                sha256=sha256,
                raw=raw,
                analysis=self.catalogue.analysis(sha256),
                custody=tuple(self.catalogue.custody(sha256)),
            )


def _sample(catalogue: Catalogue, record: CampaignRecord, size: int) -> list[Analysis]:
    picks: list[str] = []
    for wave in record.waves or ():
        picks.extend(wave.members[:CANDIDATES_PER_WAVE])
    picks.extend(record.members[: CANDIDATES_PER_WAVE * 2])
    analyses = [a for a in _analyses(catalogue, dict.fromkeys(picks)) if not a.errors]
    if not analyses:
        return []
    best = max(analyses, key=_weight)
    rest = _spread([a for a in analyses if a is not best], record, size - 1)
    return [best, *rest]


def _analyses(catalogue: Catalogue, shas: Sequence[str] | dict[str, None]) -> Iterator[Analysis]:
    for sha in shas:
        analysis = catalogue.analysis(sha)
        if analysis is not None:
            yield analysis


def _weight(a: Analysis) -> tuple[int, int, int, int, str]:
    return (
        a.path.edge is not None,
        len(a.findings),
        len(a.personalization),
        any(i.protected for i in a.sender.impersonation),
        a.message.sha256,
    )


def _spread(analyses: list[Analysis], record: CampaignRecord, size: int) -> list[Analysis]:
    """Round-robin over the waves, so every wave is represented."""
    wave_of = {sha: w.wave_id for w in record.waves for sha in w.members}
    queues: dict[int, list[Analysis]] = {}
    for a in analyses:
        queues.setdefault(wave_of.get(a.message.sha256, 0), []).append(a)
    out: list[Analysis] = []
    while len(out) < size and any(queues.values()):
        for wave in sorted(queues):
            if queues[wave] and len(out) < size:
                out.append(queues[wave].pop(0))
    return out
