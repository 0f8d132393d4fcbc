"""Campaign records from the catalogue: members, waves, template, links, indicators.

:class:`Campaigns` reads the campaign graph that ingest maintains. A record is
built when first asked for after its campaign changed, and cached in the
catalogue (``campaigns.record``) until the campaign changes again.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec

from pollwatch.cluster.record import CampaignRecord, Indicator, LinkRecord
from pollwatch.cluster.template import Variant, recover_template
from pollwatch.cluster.waves import Arrival, split_waves
from pollwatch.errors import UsageError

MIN_SIZE = 2
CATEGORY_SHARE = 0.1  # a category names the campaign when this share of members has it
SLOT_SAMPLE = 20_000
LINK_DETAIL = {
    "same_text": (
        "identical text from the same sender once personal data, numbers and URL paths are masked"
    ),
    "template": "near-duplicate wording (MinHash of word 3-shingles)",
    "from": "the same claimed sender address, with related wording or claims",
    "reply": "the same Reply-To address, with related wording or claims",
    "url": "links to the same host, with related wording or claims",
    "wallet": "the same cryptocurrency wallet, with related wording or claims",
    "display": "the same sender display name, with related wording",
    "edge24": "delivered from the same /24 network, with related wording",
    "msgid": "the same Message-ID host pattern, with related wording",
    "text": "the same masked text under another sender address",
    "org": "sender addresses of the same organisation's domain, with related wording or claims",
    "mailer": "the same mailer (X-Mailer), with related wording",
    "script": "the same sending script (a compromised web server), with related wording",
    "html": "the same HTML structure (tag skeleton), with related wording",
    "phrase": "the same long sentence, with overlapping claims",
}

_MEMBERS = (
    "SELECT f.sha256, f.arrival, f.recipient, f.sender, f.edge_ip, f.edge_country, f.edge_asn,"
    " f.edge_org, f.origin_country, f.mailer, f.report, f.state, f.categories, f.indicators"
    " FROM features f JOIN templates t ON t.fingerprint = f.fingerprint"
    " WHERE t.campaign = ? ORDER BY f.arrival IS NULL, f.arrival, f.sha256"
)


class Member(msgspec.Struct, frozen=True):
    sha256: str
    arrival: float | None
    recipient: str | None
    sender: str | None
    edge_ip: str | None
    edge_country: str | None
    edge_asn: int | None
    edge_org: str | None
    origin_country: str | None
    mailer: str | None
    report: str | None
    state: str | None
    categories: tuple[str, ...]
    indicators: tuple[tuple[str, str, str], ...]


class Campaigns:
    """Campaigns over an open catalogue connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def resolve(self, campaign_id: str) -> str:
        """The current id of a campaign (following merges); UsageError if unknown."""
        seen = campaign_id
        for _ in range(64):
            row = self.db.execute(
                "SELECT merged_into FROM campaigns WHERE id = ?", (seen,)
            ).fetchone()
            if row is None:
                raise UsageError(f"no campaign {campaign_id!r} in this catalogue")
            if row[0] is None:
                return seen
            seen = row[0]
        raise UsageError(f"campaign {campaign_id!r}: merge chain too long")

    def ids(self, min_size: int = MIN_SIZE) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM campaigns WHERE merged_into IS NULL AND size >= ?"
            " ORDER BY size DESC, id",
            (min_size,),
        )
        return [row[0] for row in rows]

    def records(self, min_size: int = MIN_SIZE) -> Iterator[CampaignRecord]:
        for campaign_id in self.ids(min_size):
            yield self.get(campaign_id)

    def get(self, campaign_id: str) -> CampaignRecord:
        current = self.resolve(campaign_id)
        row = self.db.execute(
            "SELECT dirty, record FROM campaigns WHERE id = ?", (current,)
        ).fetchone()
        if not row[0] and row[1] is not None:
            return _DECODER.decode(zlib.decompress(row[1]))
        record = self.build(current)
        blob = zlib.compress(msgspec.json.encode(record), 6)
        self.db.execute("UPDATE campaigns SET dirty = 0, record = ? WHERE id = ?", (blob, current))
        return record

    def members(self, campaign_id: str) -> list[Member]:
        rows = self.db.execute(_MEMBERS, (self.resolve(campaign_id),))
        return [_member(row) for row in rows]

    def build(self, campaign_id: str) -> CampaignRecord:
        members = self.members(campaign_id)
        waves = split_waves([_arrival(m) for m in members if m.arrival is not None])
        times = [m.arrival for m in members if m.arrival is not None]
        senders = Counter(m.sender for m in members if m.sender)
        template = recover_template(self._variants(campaign_id), self._slots(campaign_id),
                                    len(members))  # fmt: skip
        return CampaignRecord(
            campaign_id=campaign_id,
            label=_label(senders, template.subject),
            size=len(members),
            recipients=len({m.recipient for m in members if m.recipient}),
            first_seen=_time(min(times)) if times else None,
            last_seen=_time(max(times)) if times else None,
            members=tuple(m.sha256 for m in members),
            waves=waves,
            template=template,
            categories=_categories(members),
            links=tuple(self._links(campaign_id, len(members))),
            senders=dict(senders.most_common()),
            edge_countries=_counts(m.edge_country or "??" for m in members if m.edge_ip),
            edge_asns=_counts(_network(m) for m in members if m.edge_ip),
            recipients_by_provider=_by_provider(members),
            recipients_by_state=_by_state(members),
            reports=sum(1 for m in members if m.report),
            indicators=tuple(_indicators(members)),
            aliases=tuple(self._aliases(campaign_id)),
        )

    def _variants(self, campaign_id: str) -> list[Variant]:
        rows = self.db.execute(
            "SELECT subject, body, size, language FROM templates WHERE campaign = ?"
            " ORDER BY size DESC, fingerprint LIMIT 200",
            (campaign_id,),
        )
        return [Variant(*row) for row in rows]

    def _slots(self, campaign_id: str) -> list[tuple[tuple[str, str], ...]]:
        rows = self.db.execute(
            "SELECT f.slots FROM features f JOIN templates t ON t.fingerprint = f.fingerprint"
            " WHERE t.campaign = ? ORDER BY f.sha256 LIMIT ?",
            (campaign_id, SLOT_SAMPLE),
        )
        return [tuple(tuple(pair) for pair in msgspec.json.decode(row[0])) for row in rows]

    def _links(self, campaign_id: str, size: int) -> Iterator[LinkRecord]:
        templates = self.db.execute(
            "SELECT count(*) FROM templates WHERE campaign = ?", (campaign_id,)
        ).fetchone()[0]
        if size > templates:
            yield LinkRecord(kind="same_text", value=None, joins=size - templates,
                             detail=LINK_DETAIL["same_text"])  # fmt: skip
        rows = self.db.execute(
            "SELECT l.kind, l.value, count(*), round(avg(l.score), 3) FROM template_links l"
            " JOIN templates t ON t.fingerprint = l.a WHERE t.campaign = ?"
            " GROUP BY l.kind, l.value ORDER BY count(*) DESC, l.kind, l.value LIMIT 50",
            (campaign_id,),
        )
        for kind, value, joins, score in rows:
            detail = f"{LINK_DETAIL.get(kind, kind)}; mean similarity {score}"
            yield LinkRecord(kind=kind, value=value or None, joins=joins, detail=detail)

    def _aliases(self, campaign_id: str) -> Iterator[str]:
        rows = self.db.execute(
            "SELECT id FROM campaigns WHERE merged_into = ? ORDER BY id", (campaign_id,)
        )
        for row in rows:
            yield row[0]


def _member(row: tuple[Any, ...]) -> Member:
    values = list(row)
    values[12] = tuple(msgspec.json.decode(values[12]))
    values[13] = tuple(tuple(item) for item in msgspec.json.decode(values[13]))
    return Member(*values)


def _arrival(m: Member) -> Arrival:
    assert m.arrival is not None
    return Arrival(m.sha256, m.arrival, m.edge_ip, m.edge_country, m.edge_asn, m.edge_org,
                   m.origin_country, m.mailer)  # fmt: skip


def _label(senders: Counter[str], subject: str) -> str:
    sender = senders.most_common(1)[0][0] if senders else "unknown sender"
    return f"{sender}: {subject}" if subject else sender


def _categories(members: list[Member]) -> tuple[str, ...]:
    counts = Counter(c for m in members for c in m.categories)
    floor = CATEGORY_SHARE * len(members)
    return tuple(sorted(c for c, n in counts.items() if n >= floor))


def _network(m: Member) -> str:
    return f"AS{m.edge_asn} {m.edge_org or ''}".strip() if m.edge_asn else "unknown"


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _by_provider(members: list[Member]) -> dict[str, int]:
    recipients = {m.recipient for m in members if m.recipient and "@" in m.recipient}
    return _counts(r.rsplit("@", 1)[1] for r in recipients)


def _by_state(members: list[Member]) -> dict[str, int]:
    seen = {(m.recipient, m.state) for m in members if m.state}
    return _counts(state for _, state in seen if state)


def _indicators(members: list[Member]) -> Iterator[Indicator]:
    counts: Counter[tuple[str, str, str]] = Counter()
    first: dict[tuple[str, str, str], float] = {}
    last: dict[tuple[str, str, str], float] = {}
    for m in members:
        for key in set(m.indicators):
            counts[key] += 1
            if m.arrival is not None:
                first[key] = min(first.get(key, m.arrival), m.arrival)
                last[key] = max(last.get(key, m.arrival), m.arrival)
    for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        kind, value, role = key
        yield Indicator(
            type=kind, value=value, count=count, role=role,
            first_seen=_time(first[key]) if key in first else None,
            last_seen=_time(last[key]) if key in last else None,
        )  # fmt: skip


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


_DECODER = msgspec.json.Decoder(CampaignRecord)
