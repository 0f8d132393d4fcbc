"""One campaign's section of the report, built from its :class:`~pollwatch.export.case.Case`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from pollwatch.analyze.record import Analysis, AuthResult, Evidence, Finding, Hop, PathSection
from pollwatch.cluster.record import CampaignRecord, Indicator, SlotStat, WaveRecord
from pollwatch.export.case import Case
from pollwatch.report import words
from pollwatch.report.charts import campaign_charts
from pollwatch.report.text import (
    ZONE_LABELS,
    Segment,
    asn_label,
    country,
    day,
    defang,
    field_label,
    fragments,
    highlight,
    join_words,
    plural,
    span_words,
    template_segments,
    when,
)
from pollwatch.report.view import (
    AuthRow,
    CampaignView,
    ClaimView,
    Count,
    Excerpt,
    HopView,
    ImpersonationRow,
    IndicatorRow,
    LinkRow,
    PathView,
    SlotRow,
    Stat,
    WaveRow,
)
from pollwatch.rules.taxonomy import CATEGORIES

# evidence fields that hold a machine code rather than text (``sender.impersonation.kind[0]``)
CODE_FIELD = re.compile(r"\.kind\[\d+\]$")


def campaign_view(case: Case, number: int) -> CampaignView:
    record = case.campaign
    representative = case.representative
    return CampaignView(
        anchor=f"campaign-{number}",
        campaign_id=record.campaign_id,
        label=record.label,
        stats=_stats(record),
        overview=_overview(record),
        senders=counts(record.senders),
        providers=counts(record.recipients_by_provider, record.recipients),
        states=counts(record.recipients_by_state),
        waves=tuple(_wave_row(w) for w in record.waves),
        countries=counts({country(c): n for c, n in record.edge_countries.items()}, record.size),
        networks=counts(record.edge_asns, record.size),
        charts=campaign_charts(record),
        path=path_view(representative) if representative else None,
        auth_summary=auth_summary(case.sample),
        auth=auth_rows(representative) if representative else (),
        impersonation=tuple(_impersonation(case.sample)),
        claims=claims(case.sample),
        personal=_personal(case.sample),
        template_subject=_template(record.template.subject, record.template.slots),
        template_body=_template(record.template.body, record.template.slots),
        template_note=_template_note(record),
        slots=tuple(_slot_row(s, record.size) for s in record.template.slots),
        indicators=tuple(_indicator_row(i) for i in record.indicators),
        links=tuple(
            _link_row(link.kind, link.value, link.joins, link.detail) for link in record.links
        ),
        sampled=len(case.sample),
    )


def counts(values: Mapping[str, int], total: int | None = None) -> tuple[Count, ...]:
    """Rows largest first; ``share`` of ``total`` (or of their sum)."""
    whole = total or sum(values.values()) or 1
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Count(label, n, n / whole) for label, n in ranked)


def path_view(analysis: Analysis) -> PathView:
    path = analysis.path
    return PathView(
        hops=tuple(_hop_view(hop, path) for hop in path.hops),
        sender=_claimed_sender(analysis),
        subject=analysis.message.subject,
        date=when(analysis.message.date),
        edge=_edge_words(path),
        origin=_origin_words(path),
        anomalies=tuple(_anomaly(a.kind, a.detail, a.hop_index) for a in path.anomalies),
    )


def auth_rows(analysis: Analysis) -> tuple[AuthRow, ...]:
    auth = analysis.auth
    groups = {
        "spf": auth.spf,
        "dkim": auth.dkim,
        "dmarc": auth.dmarc,
        "arc": auth.arc,
        "compauth": auth.compauth,
    }
    return tuple(
        _auth_row(words.CHECK_NAMES[name], result)
        for name, results in groups.items()
        for result in results
    )


def auth_summary(sample: Sequence[Analysis]) -> str:
    """Whether the claimed sender domain is authentic, in one sentence or two."""
    if not sample:
        return "No analysed message is available for this campaign."
    failed = [a for a in sample if _dmarc(a, {"fail"})]
    passed = [a for a in sample if _dmarc(a, {"pass"})]
    domains = sorted({a.message.from_.domain for a in sample if a.message.from_})
    claimed = join_words(domains) or "the claimed sender domain"
    of = f"of the {plural(len(sample), 'sampled message')}"
    if failed:
        return (
            f"{len(failed)} {of} failed DMARC for {claimed}, as recorded by trusted "
            f"servers or verified by pollwatch: they were not sent by {claimed}'s "
            "authorised mail servers: the sender address is forged."
        )
    if passed:
        return (
            f"{len(passed)} {of} passed DMARC for {claimed}: they really came from "
            f"{claimed}'s mail servers (which says nothing about whether the content is "
            "true)."
        )
    return (
        f"No trusted DMARC verdict for {claimed}: the sender address can be neither "
        "confirmed nor ruled out from the authentication results."
    )


def claims(sample: Sequence[Analysis]) -> tuple[ClaimView, ...]:
    """One entry per rule, with the evidence of its first message (the representative first)."""
    first: dict[str, tuple[Finding, str]] = {}
    seen: Counter[str] = Counter()
    for analysis in sample:
        for finding in {f.rule: f for f in analysis.findings}.values():
            seen[finding.rule] += 1
            first.setdefault(finding.rule, (finding, analysis.message.subject))
    rank = {name: i for i, name in enumerate(words.CATEGORY_ORDER)}
    severity = {name: i for i, name in enumerate(("critical", "high", "medium", "low"))}
    ordered = sorted(
        first.values(),
        key=lambda item: (
            severity.get(item[0].severity, 9),
            rank.get(item[0].category, 99),
            item[0].rule,
        ),
    )
    return tuple(_claim(finding, subject, seen[finding.rule]) for finding, subject in ordered)


def excerpts(evidence: Sequence[Evidence], subject: str) -> tuple[Excerpt, ...]:
    """The evidence grouped by field: the subject in full, other texts as marked fragments."""
    by_field: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_field.setdefault(item.field, []).append(item)
    out = []
    for field, items in by_field.items():
        if field == "subject":
            segments = highlight(subject, items) or fragments(items)
            out.append(Excerpt(field_label(field), segments))
        elif field == "body":
            out.append(Excerpt(field_label(field), fragments(items)))
        elif not CODE_FIELD.search(field):
            out.extend(Excerpt(field_label(field), (Segment(i.text, "mark"),)) for i in items)
    return tuple(out)


def _stats(record: CampaignRecord) -> tuple[Stat, ...]:
    stats = [
        Stat(f"{record.size:,}", "messages"),
        Stat(f"{record.recipients:,}", "recipients"),
        Stat(f"{len(record.waves):,}", "waves"),
        Stat(f"{len(record.edge_countries):,}", "entry countries"),
    ]
    if record.reports:
        stats.append(Stat(f"{record.reports:,}", "reported by users"))
    return tuple(stats)


def _overview(record: CampaignRecord) -> str:
    senders = join_words(sorted(record.senders, key=lambda s: -record.senders[s])[:3])
    text = (
        f"{plural(record.size, 'message')} to {plural(record.recipients, 'distinct recipient')}"
        f" in {plural(len(record.waves), 'wave')}, from {day(record.first_seen)} to "
        f"{day(record.last_seen)}"
    )
    if senders:
        text += f", sent in the name of {senders}"
    if record.reports:
        text += f". {plural(record.reports, 'message')} reached us as users' reports"
    return text + "."


def _wave_row(wave: WaveRecord) -> WaveRow:
    return WaveRow(
        wave_id=wave.wave_id,
        start=when(wave.start),
        end=when(wave.end),
        duration=span_words((wave.end - wave.start).total_seconds()),
        size=wave.size,
        countries=_tally({country(c): n for c, n in wave.edge_countries.items()}),
        networks=_tally(wave.edge_asns),
        relays=", ".join(wave.relays[:4]) + (" …" if len(wave.relays) > 4 else ""),
    )


def _tally(values: Mapping[str, int]) -> str:
    return "; ".join(f"{c.label} ({c.count})" for c in counts(values)) or "—"


def _hop_view(hop: Hop, path: PathSection) -> HopView:
    return HopView(
        number=hop.index + 1,
        sender=hop.from_rdns or hop.from_helo or "—",
        receiver=hop.by or "—",
        ip=hop.from_ip or "—",
        country=country(hop.country) if hop.country else "—",
        network=asn_label(hop.asn, hop.as_org) if hop.asn or hop.as_org else "—",
        time=when(hop.timestamp),
        delay="—" if hop.delay_s is None else span_words(max(hop.delay_s, 0.0)),
        zone=hop.zone,
        zone_label=ZONE_LABELS.get(hop.zone, hop.zone),
        protocol=hop.protocol or "—",
        edge=path.edge is not None and path.edge.hop_index == hop.index,
        origin=path.origin is not None and path.origin.ip == hop.from_ip,
    )


def _claimed_sender(analysis: Analysis) -> str:
    sender = analysis.message.from_
    if sender is None:
        return "no sender"
    return f"\u201c{sender.display}\u201d <{sender.address}>" if sender.display else sender.address


def _edge_words(path: PathSection) -> str:
    edge = path.edge
    if edge is None:
        return (
            "The entry point into the recipient's mail system could not be determined "
            "from the headers."
        )
    return (
        f"The message entered the recipient's mail system at hop {edge.hop_index + 1}, "
        f"handed over by {edge.ip} ({country(edge.country)}, "
        f"{asn_label(edge.asn, edge.as_org)}). The recipient's own server recorded this "
        "address, so the sender cannot have forged it."
    )


def _origin_words(path: PathSection) -> str:
    origin = path.origin
    if origin is None:
        return "No earlier origin than the entry point can be told from the headers."
    return (
        f"Most likely injected from {origin.ip} ({country(origin.country)}, "
        f"{asn_label(origin.asn, origin.as_org)}), confidence {origin.confidence:.0%}: "
        f"{origin.basis}."
    )


def _anomaly(kind: str, detail: str, hop: int | None) -> str:
    where = f" (hop {hop + 1})" if hop is not None else ""
    return f"{kind}{where}: {detail}"


def _auth_row(check: str, result: AuthResult) -> AuthRow:
    if result.source == "verified":
        source = f"verified by pollwatch ({result.dns or 'DNS'})"
    else:
        source = f"recorded by {result.authserv_id or result.header or 'a server'}"
    return AuthRow(
        check=check,
        result=result.result,
        tone=words.tone(result.result),
        domain=result.domain or "—",
        source=source,
        trusted=result.trusted,
        reason=result.trust_reason or result.detail or "",
    )


def _dmarc(analysis: Analysis, results: set[str]) -> bool:
    return any(r.trusted and r.result in results for r in analysis.auth.dmarc)


def _impersonation(sample: Sequence[Analysis]) -> Iterator[ImpersonationRow]:
    """One row per (target, kind), in order of first appearance, with its values tallied."""
    values: dict[tuple[str, str], Counter[str]] = {}
    evidence: dict[tuple[str, str], str] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for analysis in sample:
        keys = set()
        for item in analysis.sender.impersonation:
            key = (item.target, item.kind)
            keys.add(key)
            values.setdefault(key, Counter())[item.value or "—"] += 1
            evidence.setdefault(key, item.evidence)
        seen.update(keys)
    for key, tally in values.items():
        shown = [value for value, _ in tally.most_common(3)]
        more = len(tally) - len(shown)
        yield ImpersonationRow(
            target=key[0],
            kind=words.IMPERSONATION_LABELS.get(key[1], key[1]),
            values=", ".join(shown) + (f" and {more} more" if more else ""),
            evidence=evidence[key],
            seen=seen[key],
        )


def _claim(finding: Finding, subject: str, seen: int) -> ClaimView:
    category = CATEGORIES.get(finding.category)
    rebuttal = finding.rebuttal or (category.rebuttal if category else None)
    references = tuple(f"{r.title} ({r.url})" for r in category.references) if category else ()
    return ClaimView(
        title=finding.title,
        rule=finding.rule,
        category=finding.category,
        category_label=words.category_label(finding.category),
        severity=finding.severity,
        excerpts=excerpts(finding.evidence, subject),
        rebuttal=rebuttal,
        references=references,
        seen=seen,
    )


def _personal(sample: Sequence[Analysis]) -> tuple[Count, ...]:
    seen: Counter[str] = Counter()
    for analysis in sample:
        seen.update({p.field for p in analysis.personalization})
    return counts({words.PERSONAL_LABELS.get(f, f): n for f, n in seen.items()}, len(sample))


def _template(text: str, slots: Sequence[SlotStat]) -> tuple[Segment, ...]:
    return template_segments(text, (s.name for s in slots))


def _template_note(record: CampaignRecord) -> str:
    template = record.template
    variants = plural(template.variants, "wording variant")
    language = f", language {template.language}" if template.language else ""
    return f"{variants} among the {plural(record.size, 'message')}{language}."


def _slot_row(slot: SlotStat, size: int) -> SlotRow:
    if slot.distinct <= 1:
        variation = "the same in every message"
    elif slot.distinct >= slot.filled:
        variation = "different in every message"
    else:
        variation = f"{slot.distinct:,} different values"
    if slot.filled < size:
        variation += f" (present in {slot.filled:,} of {size:,})"
    if slot.name in words.PERSONAL_SLOTS:
        examples = "withheld: personal data"
    else:
        examples = ", ".join(slot.examples) or "—"
    return SlotRow(slot.name, slot.filled, slot.distinct, variation, examples)


def _indicator_row(indicator: Indicator) -> IndicatorRow:
    value = defang(indicator.value) if indicator.type == "url" else indicator.value
    return IndicatorRow(
        type=indicator.type,
        value=value,
        role=words.ROLE_LABELS.get(indicator.role, indicator.role),
        count=indicator.count,
        first_seen=when(indicator.first_seen),
        last_seen=when(indicator.last_seen),
    )


def _link_row(kind: str, value: str | None, joins: int, detail: str) -> LinkRow:
    return LinkRow(words.LINK_LABELS.get(kind, kind), value or "—", joins, detail)
