"""A STIX 2.1 bundle of campaigns, made with the ``stix2`` library.

``stix_bundle(cases, tlp="amber")`` maps each :class:`~pollwatch.export.case.Case`
to: a ``campaign``; an ``indicator`` (STIX pattern) per observable, linked to
the campaign by an ``indicates`` relationship and counted by a ``sighting``;
an ``observed-data`` per sampled message holding an ``email-message`` (From,
To, subject, date, Message-ID and the ``received_lines`` of its delivery path)
with its ``email-addr`` and ``ipv4-addr``/``ipv6-addr`` objects, and a ``note``
on it listing the recipient data the message quoted. One
``identity`` (pollwatch) is the producer; every object carries the TLP marking.

The output is deterministic: ids are UUIDv5 of the object's natural key in a
fixed namespace, timestamps come from the case (``created``/``modified`` =
``generated_at``), never from the clock. ``received_lines`` are in path order,
origin first (the reverse of the header order); see ``docs/export.md``.
``stix2`` takes half a second to import, so it is imported on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pollwatch.analyze.record import Analysis
from pollwatch.analyze.redact import Mode
from pollwatch.cluster.record import CampaignRecord, Indicator
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.indicators_csv import iso, role_text, seen
from pollwatch.export.redaction import VICTIM_ROLES, mailbox, personal_data, redact_cases

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pollwatch:export:stix")
TLP = {"white": "TLP_WHITE", "clear": "TLP_WHITE", "green": "TLP_GREEN",
       "amber": "TLP_AMBER", "red": "TLP_RED"}  # fmt: skip
PATTERNS = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "sha256": "file:hashes.'SHA-256'",
}


def stix_bundle(
    cases: Sequence[Case],
    *,
    tlp: str = "amber",
    redact: bool = False,
    redact_mode: Mode = "mask",
    redact_key: bytes | None = None,
) -> str:
    """The cases as one STIX 2.1 bundle (JSON text)."""
    marking = tlp_name(tlp)
    if not cases:
        raise UsageError("no campaign to export")
    prepared = redact_cases(cases, redact, redact_mode, redact_key)
    builder = _Builder(marking, prepared)
    for case in prepared:
        builder.add_case(case)
    return builder.serialize()


def tlp_name(tlp: str) -> str:
    """The ``stix2`` constant for a TLP level (``white``/``clear``, green, amber, red)."""
    level = tlp.lower().removeprefix("tlp:")
    if level not in TLP:
        raise UsageError(f"unknown TLP level {tlp!r}; use one of {', '.join(TLP)}")
    return TLP[level]


def pattern(indicator_type: str, value: str) -> str:
    """``[ipv4-addr:value = '192.0.2.1']``; quotes and backslashes escaped."""
    literal = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{PATTERNS[indicator_type]} = '{literal}']"


def _id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}|{key}')}"


def _present(**fields: Any) -> dict[str, Any]:
    """Optional STIX properties without the empty ones (STIX forbids empty values)."""
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


def _observables(analysis: Analysis) -> set[str]:
    """Every value an indicator of this message could have, casefolded."""
    message, iocs = analysis.message, analysis.iocs
    values = {h.from_ip for h in analysis.path.hops if h.from_ip}
    values.update(x.ip for x in (analysis.path.edge, analysis.path.origin) if x)
    if message.from_:
        values.update((message.from_.address, message.from_.domain))
    values.update(a.address for a in message.reply_to)
    values.update((message.return_path or "", *iocs.ips, *iocs.domains, *iocs.urls))
    values.update((*iocs.emails, *iocs.hashes))
    return {v.casefold() for v in values if v}


def _describe(campaign: CampaignRecord) -> str:
    waves = "; ".join(
        f"{w.wave_id}: {w.size} messages, {iso(w.start)} to {iso(w.end)}, edge "
        + ", ".join(f"{c} {n}" for c, n in w.edge_countries.items())
        for w in campaign.waves
    )
    return (
        f"{campaign.size} messages to {campaign.recipients} distinct recipients in "
        f"{len(campaign.waves)} waves. Categories: {', '.join(campaign.categories) or 'none'}. "
        f"Waves: {waves or 'none'}. Template subject: {campaign.template.subject}"
    )


class _Builder:
    """Collects the bundle's objects by id (each once, in order of creation)."""

    def __init__(self, marking: str, cases: Sequence[Case]) -> None:
        self.stix = importlib.import_module("stix2.v21")
        self.marking = getattr(self.stix, marking)
        self.objects: dict[str, Any] = {self.marking.id: self.marking}
        first = min(c.generated_at for c in cases)
        self.producer = self.add(self.stix.Identity(
            id=_id("identity", "pollwatch"), name="pollwatch", identity_class="system",
            description=f"pollwatch {cases[0].tool_version}: forensics of email aimed at voters",
            created=first, modified=first, object_marking_refs=[self.marking.id],
        ))  # fmt: skip
        self.indicators = self._indicators(cases)

    def add(self, obj: Any) -> str:
        self.objects.setdefault(obj.id, obj)
        return str(obj.id)

    def common(self, when: datetime) -> dict[str, Any]:
        return {"created": when, "modified": when, "created_by_ref": self.producer,
                "object_marking_refs": [self.marking.id]}  # fmt: skip

    def serialize(self) -> str:
        """The bundle, its id a digest of its objects; indented by ``json`` (``stix2``'s
        ``pretty`` key sorting takes seconds on a few hundred objects)."""
        draft = self.stix.Bundle(objects=list(self.objects.values()), id=_id("bundle", ""))
        bundle = json.loads(draft.serialize())
        digest = hashlib.sha256(json.dumps(bundle["objects"]).encode()).hexdigest()
        bundle["id"] = _id("bundle", digest)
        return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"

    def _indicators(self, cases: Sequence[Case]) -> dict[tuple[str, str], str]:
        """One indicator per observable across all cases; its description lists every use."""
        uses: dict[tuple[str, str], list[tuple[Case, Indicator]]] = {}
        for case in cases:
            for ind in case.campaign.indicators:
                if ind.type in PATTERNS and ind.role not in VICTIM_ROLES:
                    uses.setdefault((ind.type, ind.value), []).append((case, ind))
        return {key: self._indicator(key, found) for key, found in uses.items()}

    def _indicator(self, key: tuple[str, str], uses: list[tuple[Case, Indicator]]) -> str:
        kind, value = key
        created = min(case.generated_at for case, _ in uses)
        starts = [seen(ind, case.campaign)[0] for case, ind in uses]
        described = "; ".join(
            f"{role_text(ind.role)} in {ind.count} of {case.campaign.size} messages "
            f"of campaign {case.campaign.campaign_id}"
            for case, ind in uses
        )
        return self.add(self.stix.Indicator(
            id=_id("indicator", f"{kind}|{value}"), name=value, description=described,
            indicator_types=["malicious-activity"], pattern=pattern(kind, value),
            pattern_type="stix", valid_from=min((s for s in starts if s), default=created),
            **self.common(created),
        ))  # fmt: skip

    def add_case(self, case: Case) -> None:
        record, common = case.campaign, self.common(case.generated_at)
        campaign = self.add(self.stix.Campaign(
            id=_id("campaign", record.campaign_id), name=record.label,
            description=_describe(record), aliases=[record.campaign_id, *record.aliases],
            **_present(first_seen=record.first_seen, last_seen=record.last_seen), **common,
        ))  # fmt: skip
        observed = [(self._observation(a, case, campaign), _observables(a)) for a in case.sample]
        for ind in record.indicators:
            target = self.indicators.get((ind.type, ind.value))
            if target is None:
                continue
            self.add(self.stix.Relationship(
                id=_id("relationship", f"{target}|indicates|{campaign}"), source_ref=target,
                relationship_type="indicates", target_ref=campaign, **common,
            ))  # fmt: skip
            refs = [ref for ref, values in observed if ind.value.casefold() in values]
            self._sighting(case, ind, target, refs)

    def _sighting(self, case: Case, ind: Indicator, target: str, refs: list[str]) -> None:
        first, last = seen(ind, case.campaign)
        key = f"{case.campaign.campaign_id}|{ind.type}|{ind.value}|{ind.role}"
        self.add(self.stix.Sighting(
            id=_id("sighting", key), sighting_of_ref=target, count=ind.count,
            description=f"{role_text(ind.role)} in campaign {case.campaign.campaign_id}",
            where_sighted_refs=[self.producer],
            **_present(first_seen=first, last_seen=last, observed_data_refs=refs),
            **self.common(case.generated_at),
        ))  # fmt: skip

    def _address(self, value: str, display: str) -> str:
        return self.add(
            self.stix.EmailAddress(
                value=value, object_marking_refs=[self.marking.id], **_present(display_name=display)
            )
        )

    def _ip(self, ip: str) -> str:
        kind = self.stix.IPv6Address if ":" in ip else self.stix.IPv4Address
        return self.add(kind(value=ip, object_marking_refs=[self.marking.id]))

    def _email(self, analysis: Analysis) -> list[str]:
        """The message and the addresses and IPs it names: the observed-data's refs."""
        message, hops = analysis.message, analysis.path.hops
        sender = self._address(mailbox(message.from_), message.from_.display) \
            if message.from_ else None  # fmt: skip
        to = [self._address(mailbox(a), a.display) for a in message.to]
        ips = [self._ip(h.from_ip) for h in hops if h.from_ip]
        reply_to = ", ".join(mailbox(a) for a in message.reply_to)
        headers = {k: v for k, v in (("Return-Path", message.return_path),
                                     ("Reply-To", reply_to)) if v}  # fmt: skip
        email = self.add(self.stix.EmailMessage(
            id=_id("email-message", message.sha256), is_multipart=bool(analysis.iocs.hashes),
            object_marking_refs=[self.marking.id],
            **_present(date=message.date, from_ref=sender, to_refs=to, subject=message.subject,
                       message_id=message.message_id, received_lines=[h.raw for h in hops],
                       additional_header_fields=headers),
        ))  # fmt: skip
        return list(dict.fromkeys([email, *([sender] if sender else []), *to, *ips]))

    def _observation(self, analysis: Analysis, case: Case, campaign: str) -> str:
        message, common = analysis.message, self.common(case.generated_at)
        when = message.date or case.campaign.first_seen or case.generated_at
        observed = self.add(self.stix.ObservedData(
            id=_id("observed-data", message.sha256), first_observed=when, last_observed=when,
            number_observed=1, object_refs=self._email(analysis), **common,
        ))  # fmt: skip
        self.add(self.stix.Relationship(
            id=_id("relationship", f"{observed}|related-to|{campaign}"), source_ref=observed,
            relationship_type="related-to", target_ref=campaign, **common,
        ))  # fmt: skip
        if analysis.personalization:
            self.add(self.stix.Note(
                id=_id("note", message.sha256), abstract="Recipient data quoted by the message",
                content=personal_data(analysis), object_refs=[observed], **common,
            ))  # fmt: skip
        return observed
