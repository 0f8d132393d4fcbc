"""Cases -> :class:`~pollwatch.report.view.ReportView`: the executive summary and the campaigns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.report import words
from pollwatch.report.campaign import campaign_view
from pollwatch.report.text import asn_label, country, day, join_words, plural, when
from pollwatch.report.view import ReportView, Stat, Summary

DEFAULT_TITLE = "Threatening e-mail to voters: campaign report"


def build_report(cases: Sequence[Case], title: str | None = None) -> ReportView:
    if not cases:
        raise UsageError("nothing to report: no campaign was given")
    return ReportView(
        title=title or DEFAULT_TITLE,
        generated=when(max(case.generated_at for case in cases)),
        tool_version=cases[0].tool_version,
        summary=summary(cases),
        campaigns=tuple(campaign_view(case, n) for n, case in enumerate(cases, 1)),
        geo_sources=_geo_sources(cases),
    )


def summary(cases: Sequence[Case]) -> Summary:
    records = [case.campaign for case in cases]
    categories = words.ordered(c for record in records for c in record.categories)
    impersonated = _impersonated(cases)
    entry: Counter[str] = Counter()
    for record in records:
        entry.update(record.edge_countries)
    return Summary(
        stats=(
            Stat(f"{len(records):,}", "campaigns" if len(records) != 1 else "campaign"),
            Stat(f"{sum(r.size for r in records):,}", "messages"),
            Stat(f"{sum(r.recipients for r in records):,}", "recipients"),
            Stat(f"{sum(len(r.waves) for r in records):,}", "waves"),
            Stat(f"{len(entry):,}", "entry countries"),
        ),
        headline=_headline(cases),
        threats=tuple(words.category_phrase(c) for c in categories),
        origins=_origins(cases, entry),
        impersonated=_impersonation_words(cases, impersonated),
        actions=words.actions(categories, impersonated),
        facts=words.facts(categories),
    )


def _headline(cases: Sequence[Case]) -> str:
    records = [case.campaign for case in cases]
    firsts = [r.first_seen for r in records if r.first_seen]
    lasts = [r.last_seen for r in records if r.last_seen]
    span = f" between {day(min(firsts))} and {day(max(lasts))}" if firsts and lasts else ""
    messages = sum(r.size for r in records)
    recipients = sum(r.recipients for r in records)
    return (
        f"{plural(messages, 'message')} reached {plural(recipients, 'recipient')}"
        f"{span}, in {plural(len(records), 'campaign')} sent in "
        f"{plural(sum(len(r.waves) for r in records), 'wave')}."
    )


def _origins(cases: Sequence[Case], entry: Counter[str]) -> str:
    if not entry:
        return "Where the messages entered the recipients' mail systems is not known."
    places = [
        f"{country(code)}: {n}" for code, n in sorted(entry.items(), key=lambda i: (-i[1], i[0]))
    ]
    networks: Counter[str] = Counter()
    for case in cases:
        networks.update(case.campaign.edge_asns)
    top = [name for name, _ in networks.most_common(3)]
    text = (
        f"They entered the recipients' mail systems from servers in "
        f"{join_words(places)} (messages per country), on networks such as "
        f"{join_words(top, sep='; ')}. These are the addresses the recipients' own servers "
        "recorded, which senders cannot forge."
    )
    injected: Counter[str] = Counter()
    for case in cases:
        injected.update(
            f"{country(a.path.origin.country)} on "
            f"{asn_label(a.path.origin.asn, a.path.origin.as_org)}"
            for a in case.sample
            if a.path.origin
        )
    if injected:
        likely = join_words([name for name, _ in injected.most_common(3)], "or", "; ")
        text += f" Deeper in the headers, the most likely injection point is {likely}."
    return text


def _impersonated(cases: Sequence[Case]) -> list[str]:
    targets: Counter[str] = Counter()
    for case in cases:
        targets.update(
            {item.target for a in case.sample for item in a.sender.impersonation if item.protected}
        )
    return [name for name, _ in targets.most_common()]


def _impersonation_words(cases: Sequence[Case], impersonated: list[str]) -> str:
    senders: Counter[str] = Counter()
    for case in cases:
        senders.update(case.campaign.senders)
    claimed = join_words([s for s, _ in senders.most_common(3)])
    if not impersonated:
        return (
            f"They were sent in the name of {claimed}."
            if claimed
            else "No impersonated sender was found."
        )
    via = f" (sender address {claimed})" if claimed else ""
    return (
        f"They pretend to come from {join_words(impersonated)}{via}. The sender analysis "
        "found this claim false (see each campaign's impersonation and authentication "
        "sections)."
    )


def _geo_sources(cases: Sequence[Case]) -> tuple[str, ...]:
    sources = {
        hop.geo_source
        for case in cases
        for a in case.sample[:1]
        for hop in a.path.hops
        if hop.geo_source
    }
    return tuple(sorted(sources))
