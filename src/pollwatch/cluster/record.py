"""The campaign record: the public contract of ``pollwatch campaigns``.

Field names follow ``../shared/DESIGN.md`` (``campaign_id, label, size,
recipients, first_seen, last_seen, members[], waves[], template, categories[],
links[]``); more fields are added, none renamed. Versioned by ``schema``.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

SCHEMA = "pollwatch.campaign/1"


class WaveRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One burst of a campaign: a run of arrivals without a long gap or a change of relays."""

    wave_id: int  # 1-based, in time order
    start: datetime
    end: datetime
    size: int
    members: tuple[str, ...]  # message SHA-256s
    edge_countries: dict[str, int]  # country code -> messages ("??" when unknown)
    edge_asns: dict[str, int]  # "AS<number> <org>" -> messages
    relays: tuple[str, ...] = ()  # edge IPs, most frequent first
    origin_countries: dict[str, int] = {}
    mailers: dict[str, int] = {}


class SlotStat(msgspec.Struct, frozen=True, kw_only=True):
    """A named slot of the template and how it was filled across members."""

    name: str  # "name", "address", "phone", "party", "url", "number", "var1", ...
    filled: int  # members whose text has this slot
    distinct: int  # distinct values seen
    examples: tuple[str, ...] = ()  # a few values (redact before publishing)


class TemplateRecord(msgspec.Struct, frozen=True, kw_only=True):
    subject: str  # with {slots}
    body: str  # with {slots}
    slots: tuple[SlotStat, ...] = ()
    variants: int = 1  # distinct masked texts among members (paraphrases, dropped lines)
    language: str | None = None


class LinkRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Why members were joined: one kind of evidence and how much of it there is."""

    kind: str  # "template", "sender_address", "display_name", "url_domain", "reply_to", ...
    value: str | None  # the shared value, when there is one
    joins: int  # links of this kind inside the campaign graph
    detail: str  # in words


class Indicator(msgspec.Struct, frozen=True, kw_only=True):
    """An observable seen in the campaign's members, with how often."""

    type: str  # "ipv4", "ipv6", "domain", "url", "email", "sha256"
    value: str
    count: int
    role: str  # "edge", "origin", "relay", "from", "reply_to", "return_path", "url", "attachment"
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class CampaignRecord(msgspec.Struct, frozen=True, kw_only=True):
    campaign_id: str
    label: str  # a readable name: claimed sender and subject
    size: int
    recipients: int  # distinct recipient mailboxes
    first_seen: datetime | None
    last_seen: datetime | None
    members: tuple[str, ...]
    waves: tuple[WaveRecord, ...]
    template: TemplateRecord
    categories: tuple[str, ...]
    links: tuple[LinkRecord, ...]
    senders: dict[str, int] = {}  # claimed From address -> messages
    edge_countries: dict[str, int] = {}
    edge_asns: dict[str, int] = {}
    recipients_by_provider: dict[str, int] = {}  # recipient domain -> distinct recipients
    recipients_by_state: dict[str, int] = {}  # US state from the quoted address, where known
    reports: int = 0  # members that reached the store as a user's report
    indicators: tuple[Indicator, ...] = ()
    aliases: tuple[str, ...] = ()  # ids of campaigns merged into this one
    schema: str = SCHEMA
