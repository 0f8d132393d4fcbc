"""The typed context the report template renders: one :class:`ReportView`.

Built from cases by :mod:`pollwatch.report.build`; every string in it is plain
text (message-derived text included) and is escaped by the template.
"""

from __future__ import annotations

import msgspec

from pollwatch.report.text import Segment


class Count(msgspec.Struct, frozen=True):
    label: str
    count: int
    share: float = 0.0  # of the total the table is about, 0..1


class Chart(msgspec.Struct, frozen=True):
    title: str
    alt: str  # the chart in words
    uri: str  # data: URI of the image


class Stat(msgspec.Struct, frozen=True):
    value: str
    label: str


class WaveRow(msgspec.Struct, frozen=True):
    wave_id: int
    start: str
    end: str
    duration: str
    size: int
    countries: str
    networks: str
    relays: str


class HopView(msgspec.Struct, frozen=True):
    number: int  # 1-based, origin first
    sender: str  # the host that handed the message on (HELO / reverse DNS)
    receiver: str  # the host that wrote the Received line
    ip: str
    country: str
    network: str
    time: str
    delay: str
    zone: str
    zone_label: str
    protocol: str
    edge: bool
    origin: bool


class AuthRow(msgspec.Struct, frozen=True):
    check: str  # SPF, DKIM, DMARC, ARC, compauth
    result: str
    tone: str  # good, bad, neutral
    domain: str
    source: str  # recorded by <host> / verified by pollwatch
    trusted: bool
    reason: str


class ImpersonationRow(msgspec.Struct, frozen=True):
    target: str
    kind: str
    values: str  # the offending values, most frequent first
    evidence: str  # from the first message that showed it
    seen: int  # sampled messages showing it


class Excerpt(msgspec.Struct, frozen=True):
    field: str
    segments: tuple[Segment, ...]


class ClaimView(msgspec.Struct, frozen=True):
    title: str
    rule: str
    category: str
    category_label: str
    severity: str
    excerpts: tuple[Excerpt, ...]
    rebuttal: str | None
    references: tuple[str, ...]
    seen: int  # sampled messages with this finding


class SlotRow(msgspec.Struct, frozen=True):
    name: str
    filled: int
    distinct: int
    variation: str
    examples: str


class IndicatorRow(msgspec.Struct, frozen=True):
    type: str
    value: str
    role: str
    count: int
    first_seen: str
    last_seen: str


class LinkRow(msgspec.Struct, frozen=True):
    kind: str
    value: str
    joins: int
    detail: str


class PathView(msgspec.Struct, frozen=True):
    hops: tuple[HopView, ...]
    sender: str  # the From header as claimed: display name and address
    subject: str
    date: str
    edge: str  # in words
    origin: str  # in words
    anomalies: tuple[str, ...]


class CampaignView(msgspec.Struct, frozen=True, kw_only=True):
    anchor: str
    campaign_id: str
    label: str
    stats: tuple[Stat, ...]
    overview: str
    senders: tuple[Count, ...]
    providers: tuple[Count, ...]
    states: tuple[Count, ...]
    waves: tuple[WaveRow, ...]
    countries: tuple[Count, ...]
    networks: tuple[Count, ...]
    charts: tuple[Chart, ...]
    path: PathView | None
    auth_summary: str
    auth: tuple[AuthRow, ...]
    impersonation: tuple[ImpersonationRow, ...]
    claims: tuple[ClaimView, ...]
    personal: tuple[Count, ...]  # kinds of recipient data quoted (values withheld)
    template_subject: tuple[Segment, ...]
    template_body: tuple[Segment, ...]
    template_note: str
    slots: tuple[SlotRow, ...]
    indicators: tuple[IndicatorRow, ...]
    links: tuple[LinkRow, ...]
    sampled: int


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    stats: tuple[Stat, ...]
    headline: str
    threats: tuple[str, ...]
    origins: str
    impersonated: str
    actions: tuple[str, ...]
    facts: tuple[str, ...]  # what to tell voters (the rebuttals)


class ReportView(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    generated: str
    tool_version: str
    summary: Summary
    campaigns: tuple[CampaignView, ...]
    geo_sources: tuple[str, ...]
