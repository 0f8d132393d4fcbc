"""A realistic :class:`~pollwatch.export.case.Case` for report and export tests.

Built from generated mail (every person invented): the messages of one labelled
synthetic campaign are analysed for real, and the campaign record is assembled
from their analyses and labels, as the cluster stage would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache

from pollwatch import __version__
from pollwatch.analyze import AnalysisContext
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.record import Analysis
from pollwatch.cluster.record import (
    CampaignRecord,
    Indicator,
    LinkRecord,
    SlotStat,
    TemplateRecord,
    WaveRecord,
)
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.export.case import Case, CustodyEvent, Member
from pollwatch.intake.containers import RawItem
from pollwatch.intake.unwrap import peel_reports
from pollwatch.models import SourceRef
from pollwatch.pipeline.analyze import analyze_item
from pollwatch.synth import Label, SynthConfig, generate

CAMPAIGN = "intim-01"


@cache
def campaign_messages(count: int = 160, seed: int = 2020) -> tuple[tuple[bytes, Label, Analysis], ...]:
    """(raw, label, analysis) of every message of ``intim-01`` in a generated sample."""
    context = AnalysisContext(geo=open_resolver())
    out = []
    for message in generate(SynthConfig(count=count, seed=seed)):
        if message.label.campaign != CAMPAIGN:
            continue
        source = SourceRef("sample.mbox", "mbox", str(message.label.index))
        analysis = analyze_item(RawItem(message.raw, source), context, DEFAULT_LIMITS)
        out.append((message.raw, message.label, analysis))
    return tuple(out)


def make_case(count: int = 160, seed: int = 2020) -> Case:
    rows = campaign_messages(count, seed)
    analyses = [a for _, _, a in rows]
    waves = _waves(rows)
    edge = Counter(a.path.edge.country or "??" for a in analyses if a.path.edge)
    asns = Counter(f"AS{a.path.edge.asn} {a.path.edge.as_org or ''}".strip()
                   for a in analyses if a.path.edge)  # fmt: skip
    times = [_when(label) for _, label, _ in rows]
    record = CampaignRecord(
        campaign_id="C-test0001",
        label=f"{analyses[0].message.from_.address if analyses[0].message.from_ else '?'}: "
        f"{analyses[0].message.subject}",
        size=len(rows),
        recipients=len({label.recipient for _, label, _ in rows}),
        first_seen=min(times),
        last_seen=max(times),
        members=tuple(a.message.sha256 for a in analyses),
        waves=waves,
        template=TemplateRecord(
            subject=analyses[0].message.subject,
            body="{name},\nWe are in possession of all your information ({address}).\n"
            "You are currently registered as a {party}.\nVote for Trump or else!",
            slots=(
                SlotStat(name="name", filled=len(rows), distinct=len(rows)),
                SlotStat(name="address", filled=len(rows), distinct=len(rows)),
                SlotStat(name="party", filled=len(rows), distinct=1, examples=("Democrat",)),
            ),
            variants=len(waves),
            language="en",
        ),
        categories=tuple(sorted({c for a in analyses for c in a.categories})),
        links=(
            LinkRecord(kind="template", value=None, joins=len(rows) - len(waves),
                       detail="same wording after masking personal data"),
            LinkRecord(kind="sender_address", value="info@officialproudboys.com",
                       joins=len(waves) - 1, detail="waves share the claimed sender"),
        ),
        senders=dict(Counter(a.message.from_.address for a in analyses if a.message.from_)),
        edge_countries=dict(edge),
        edge_asns=dict(asns),
        recipients_by_provider=dict(Counter(label.recipient.split("@")[1]
                                            for _, label, _ in rows)),
        recipients_by_state={"FL": 3, "AK": 2},
        reports=sum(1 for _, label, _ in rows if label.report_kind),
        indicators=tuple(_indicators(analyses)),
    )
    return Case(
        campaign=record,
        sample=tuple(analyses[:20]),
        generated_at=datetime(2020, 11, 1, tzinfo=UTC),
        tool_version=__version__,
    )


def make_members(count: int = 160, seed: int = 2020) -> Iterator[Member]:
    for raw, label, analysis in campaign_messages(count, seed):
        custody = CustodyEvent(
            message_sha256=analysis.message.sha256, source_path="sample.mbox",
            source_sha256="0" * 64, container="mbox", position=str(label.index),
            item_sha256=label.sha256, report_kind=label.report_kind, reporter=label.reporter,
            reported_at=None, run_id=1, operator="analyst", host="workstation",
            command="ingest", version=__version__,
            ingested_at=datetime(2020, 11, 1, tzinfo=UTC),
        )  # fmt: skip
        stored = peel_reports(raw, DEFAULT_LIMITS).raw  # the original, as the store keeps it
        yield Member(sha256=analysis.message.sha256, raw=stored, analysis=analysis,
                     custody=(custody,))  # fmt: skip


def _when(label: Label) -> datetime:
    return label.sent_at


def _waves(rows: tuple[tuple[bytes, Label, Analysis], ...]) -> tuple[WaveRecord, ...]:
    by_wave: dict[int, list[tuple[Label, Analysis]]] = {}
    for _, label, analysis in rows:
        by_wave.setdefault(label.wave or 0, []).append((label, analysis))
    waves = []
    for number in sorted(by_wave):
        members = by_wave[number]
        times = [label.sent_at for label, _ in members]
        edges = [a.path.edge for _, a in members if a.path.edge]
        waves.append(WaveRecord(
            wave_id=number, start=min(times), end=max(times), size=len(members),
            members=tuple(a.message.sha256 for _, a in members),
            edge_countries=dict(Counter(e.country or "??" for e in edges)),
            edge_asns=dict(Counter(f"AS{e.asn} {e.as_org or ''}".strip() for e in edges)),
            relays=tuple(ip for ip, _ in Counter(e.ip for e in edges).most_common()),
        ))  # fmt: skip
    return tuple(waves)


def _indicators(analyses: list[Analysis]) -> Iterator[Indicator]:
    edges = Counter(a.path.edge.ip for a in analyses if a.path.edge)
    for ip, count in edges.most_common():
        yield Indicator(type="ipv6" if ":" in ip else "ipv4", value=ip, count=count, role="edge")
    senders = Counter(a.message.from_.address.lower() for a in analyses if a.message.from_)
    for address, count in senders.most_common():
        yield Indicator(type="email", value=address, count=count, role="from")
        yield Indicator(type="domain", value=address.rsplit("@", 1)[1], count=count, role="from")
    urls = Counter(u for a in analyses for u in a.iocs.urls)
    for url, count in urls.most_common():
        yield Indicator(type="url", value=url, count=count, role="url")
