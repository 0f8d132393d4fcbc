"""A MISP event of campaigns, made with ``pymisp``.

``misp_event(cases, tlp="amber")`` builds one :class:`pymisp.MISPEvent`:

* tags ``tlp:<level>``, ``pollwatch:campaign="<id>"`` and
  ``pollwatch:category="<category>"`` (plain tags, no galaxy clusters);
* a ``text`` attribute per campaign summarising it (size, recipients, waves);
* an attribute per indicator (``ip-src``, ``domain``, ``url``, ``email-src``,
  ``email-reply-to``, ``sha256``) with ``to_ids``, first/last seen and a
  comment giving its role and count in each campaign;
* an ``email`` object per sampled message: from, to, subject, message-id,
  send-date, return-path, reply-to, the hop IPs in path order
  (``received-header-ip``, origin first) and the ``Received`` lines in header
  order (``header``); its comment names the campaign, the edge and the
  recipient data the message quoted.

Uuids are UUIDv5 in a fixed namespace and nothing reads the clock, so the same
cases give the same text. ``pymisp`` takes a second to import (it brings
``requests``), so it is imported on first use.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from pollwatch.analyze.record import Analysis
from pollwatch.analyze.redact import Mode
from pollwatch.cluster.record import CampaignRecord, Indicator
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.indicators_csv import iso, role_text, seen
from pollwatch.export.redaction import VICTIM_ROLES, mailbox, personal_data, redact_cases

if TYPE_CHECKING:
    from pymisp import MISPEvent, MISPObject

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pollwatch:export:misp")
TLP_TAGS = {"white": "tlp:white", "clear": "tlp:clear", "green": "tlp:green",
            "amber": "tlp:amber", "red": "tlp:red"}  # fmt: skip
TYPES = {"ipv4": "ip-src", "ipv6": "ip-src", "domain": "domain", "url": "url",
         "sha256": "sha256"}  # fmt: skip
EMAIL_TYPES = {"from": "email-src", "return_path": "email-src", "reply_to": "email-reply-to"}
HIGH = frozenset({"threat.violence", "intimidation.voter", "extortion"})
THREAT_HIGH, THREAT_MEDIUM, THREAT_LOW = 1, 2, 3
ANALYSIS_COMPLETED = 2


def misp_event(
    cases: Sequence[Case],
    *,
    tlp: str = "amber",
    redact: bool = False,
    redact_mode: Mode = "mask",
    redact_key: bytes | None = None,
) -> str:
    """The cases as one MISP event (JSON text, as ``MISPEvent.to_json``)."""
    from pymisp import MISPEvent

    tag = tlp_tag(tlp)
    if not cases:
        raise UsageError("no campaign to export")
    prepared = redact_cases(cases, redact, redact_mode, redact_key)
    ids = [c.campaign.campaign_id for c in prepared]
    event = MISPEvent()
    event.uuid = _uuid("event", "|".join(ids))
    event.info = _info(prepared)
    event.date = _event_date(prepared)
    categories = sorted({c for case in prepared for c in case.campaign.categories})
    event.threat_level_id = _threat_level(categories)
    event.analysis = ANALYSIS_COMPLETED
    for name in (tag, *map(_campaign_tag, ids), *(f'pollwatch:category="{c}"' for c in categories)):
        event.add_tag(name)
    for case in prepared:
        _add_summary(event, case.campaign)
    _add_indicators(event, prepared)
    for case in prepared:
        for analysis in case.sample:
            event.add_object(_email_object(analysis, case.campaign.campaign_id))
    return event.to_json(indent=2) + "\n"


def tlp_tag(tlp: str) -> str:
    level = tlp.lower().removeprefix("tlp:")
    if level not in TLP_TAGS:
        raise UsageError(f"unknown TLP level {tlp!r}; use one of {', '.join(TLP_TAGS)}")
    return TLP_TAGS[level]


def attribute_type(indicator: Indicator) -> str | None:
    """The MISP type of an indicator, or None when it is not exported (victims, unknown)."""
    if indicator.role in VICTIM_ROLES:
        return None
    if indicator.type == "email":
        return EMAIL_TYPES.get(indicator.role, "email")
    return TYPES.get(indicator.type)


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}|{key}"))


def _campaign_tag(campaign_id: str) -> str:
    return f'pollwatch:campaign="{campaign_id}"'


def _info(cases: Sequence[Case]) -> str:
    if len(cases) == 1:
        return f"pollwatch {cases[0].campaign.campaign_id}: {cases[0].campaign.label}"
    ids = ", ".join(c.campaign.campaign_id for c in cases)
    return f"pollwatch: {len(cases)} campaigns ({ids})"


def _event_date(cases: Sequence[Case]) -> date:
    starts = [c.campaign.first_seen or c.generated_at for c in cases]
    return min(starts).date()


def _threat_level(categories: Sequence[str]) -> int:
    if HIGH.intersection(categories):
        return THREAT_HIGH
    return THREAT_MEDIUM if categories else THREAT_LOW


def _add_summary(event: MISPEvent, campaign: CampaignRecord) -> None:
    waves = "; ".join(f"wave {w.wave_id}: {w.size} messages {iso(w.start)} to {iso(w.end)}"
                      for w in campaign.waves)  # fmt: skip
    text = (f"{campaign.label}\n{campaign.size} messages to {campaign.recipients} distinct "
            f"recipients, {iso(campaign.first_seen)} to {iso(campaign.last_seen)}. {waves}. "
            f"Categories: {', '.join(campaign.categories) or 'none'}.")  # fmt: skip
    summary = event.add_attribute(
        "text", text, uuid=_uuid("summary", campaign.campaign_id), to_ids=False,
        comment=f"pollwatch campaign {campaign.campaign_id}",
    )  # fmt: skip
    summary.add_tag(_campaign_tag(campaign.campaign_id))  # type: ignore[union-attr]


def _add_indicators(event: MISPEvent, cases: Sequence[Case]) -> None:
    """One attribute per (type, value) across campaigns; its comment lists every use."""
    uses: dict[tuple[str, str], list[tuple[CampaignRecord, Indicator]]] = {}
    for case in cases:
        for ind in case.campaign.indicators:
            kind = attribute_type(ind)
            if kind is not None:
                uses.setdefault((kind, ind.value), []).append((case.campaign, ind))
    for (kind, value), found in uses.items():
        windows = [seen(ind, campaign) for campaign, ind in found]
        firsts = [f for f, _ in windows if f]
        lasts = [last for _, last in windows if last]
        comment = "; ".join(f"{c.campaign_id}: {role_text(i.role)}, {i.count} of {c.size} messages"
                            for c, i in found)  # fmt: skip
        attribute = event.add_attribute(
            kind, value, uuid=_uuid("attribute", f"{kind}|{value}"), to_ids=True,
            comment=comment, **({"first_seen": min(firsts)} if firsts else {}),
            **({"last_seen": max(lasts)} if lasts else {}),
        )  # fmt: skip
        for campaign_id in dict.fromkeys(c.campaign_id for c, _ in found):
            attribute.add_tag(_campaign_tag(campaign_id))  # type: ignore[union-attr]


def _email_object(analysis: Analysis, campaign_id: str) -> MISPObject:
    from pymisp import MISPObject

    message, path = analysis.message, analysis.path
    obj = MISPObject("email", standalone=False)
    obj.uuid = _uuid("email", message.sha256)
    edge = f"; edge {path.edge.ip} ({path.edge.country or '??'}, AS{path.edge.asn})" \
        if path.edge else ""  # fmt: skip
    quoted = f"; recipient data quoted: {personal_data(analysis)}" if analysis.personalization \
        else ""  # fmt: skip
    obj.comment = f"member of pollwatch campaign {campaign_id}{edge}{quoted}"
    if message.date:
        obj.first_seen = message.date
    fields: list[tuple[str, object]] = []
    if message.from_:
        fields += [("from", mailbox(message.from_)), ("from-display-name", message.from_.display)]
    for to in message.to:
        fields += [("to", mailbox(to)), ("to-display-name", to.display)]
    fields += [("subject", message.subject), ("message-id", message.message_id),
               ("send-date", message.date), ("return-path", message.return_path)]  # fmt: skip
    fields += [("reply-to", mailbox(a)) for a in message.reply_to]
    fields += [("received-header-ip", h.from_ip) for h in path.hops if h.from_ip]
    fields += [("ip-src", path.origin.ip if path.origin else None)]
    fields += [("header", "\n".join(f"Received: {h.raw}" for h in reversed(path.hops)))]
    for index, (relation, value) in enumerate(fields):
        if value not in (None, ""):  # context, not detection: the indicators carry to_ids
            key = _uuid("email-attribute", f"{message.sha256}|{index}")
            obj.add_attribute(relation, value=value, to_ids=False, uuid=key)
    return obj
