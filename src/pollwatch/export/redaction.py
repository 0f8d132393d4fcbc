"""Recipient data out of a case before it leaves the building.

``redact_case(case, mode="mask"|"hash", key=...)`` returns a copy of a
:class:`~pollwatch.export.case.Case` in which every recipient name, mailbox,
street address, phone number and voter id is replaced by the content stage's
token (:func:`pollwatch.analyze.redact.redact`): ``[REDACTED:<field>]``, or a
keyed hash ``[<field>:<12 hex>]`` that links records without revealing them.

What counts as recipient data is collected from the case itself: the To
addresses and display names, personalization spans of the fields in
:data:`PII_FIELDS`, the envelope recipients of the hops (``envelope_for`` and
the ``for <...>`` clause of the raw ``Received`` lines), the reporter and the
recovered ``To`` of forwards, template slot examples and indicators whose role
names a victim. Those values (and the words of names, case-sensitively) are then
replaced in *every* string of the case, so a name quoted in a subject, an
evidence span or a recovered body goes too. Sender-side data (the claimed
From, IPs, URLs, domains) is kept unless it repeats a recipient's value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from email.utils import getaddresses
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import msgspec

from pollwatch.analyze.record import Analysis, Evidence, Finding, Personalization
from pollwatch.analyze.redact import Mode, redact, token
from pollwatch.cluster.record import CampaignRecord, Indicator, SlotStat
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.models import Address

PII_FIELDS = frozenset({"name", "address", "email", "phone", "voter_id"})
VICTIM_ROLES = frozenset({"to", "recipient", "reporter"})  # indicators naming victims, not IOCs
_ENVELOPE_FOR = re.compile(r"\bfor\s+<?([^\s<>;]+@[^\s<>;]+)", re.I)
_NAME_WORD = re.compile(r"[^\W\d_]{3,}")
_WORD = re.compile(r"\w+")

Values = dict[str, tuple[str, str]]  # casefolded value -> (value, field it is labelled with)
T = TypeVar("T")


class Redactor:
    """Replaces the collected values wherever they occur, as whole words.

    Values are indexed by their first word, so a string is matched only against
    the few values whose first word it contains: linear in the text, whatever
    the number of values.
    """

    def __init__(self, values: Values, name_words: Iterable[str], mode: Mode, key: bytes | None):
        self.mode, self.key = mode, key
        self.fields = {folded: field for folded, (_, field) in values.items()}
        self.words = {w for w in name_words if w.casefold() not in values}
        self.index: dict[str, set[tuple[str, bool]]] = {}
        self.memo: dict[str, str] = {}
        for value, _ in values.values():
            self._index(value, True)
        for word in self.words:
            self._index(word, False)  # a lone first or last name: only as written

    def _index(self, value: str, fold: bool) -> None:
        first = _WORD.search(value.casefold())
        self.index.setdefault(first.group(0) if first else "", set()).add((value, fold))

    def token(self, value: str, field: str) -> str:
        return token(value, field, self.mode, self.key)

    def text(self, text: str, spans: Iterable[tuple[int, int, str]] = ()) -> str:
        found = list(spans)
        if not found and text in self.memo:  # field names and boilerplate repeat a lot
            return self.memo[text]
        out = self._replace(text, found)
        if not found:
            self.memo[text] = out
        return out

    def _replace(self, text: str, found: list[tuple[int, int, str]]) -> str:
        words = {*_WORD.findall(text.casefold()), ""}
        candidates = frozenset(v for w in words & self.index.keys() for v in self.index[w])
        if candidates:
            found += [(m.start(), m.end(), self._field(m.group(0)))
                      for m in _pattern(candidates).finditer(text)]  # fmt: skip
        return redact(text, found, self.mode, self.key) if found else text

    def _field(self, matched: str) -> str:
        return self.fields.get(matched.casefold(), "name" if matched in self.words else "pii")


@functools.lru_cache(maxsize=4096)
def _pattern(candidates: frozenset[tuple[str, bool]]) -> re.Pattern[str]:
    """Longest first, so a full name wins over its first word."""
    ordered = sorted(candidates, key=lambda c: (-len(c[0]), c))
    options = "|".join(f"(?i:{re.escape(v)})" if fold else re.escape(v) for v, fold in ordered)
    return re.compile(rf"(?<!\w)(?:{options})(?!\w)")


def redact_case(case: Case, *, mode: Mode = "mask", key: bytes | None = None) -> Case:
    """A copy of ``case`` with every recipient's name, mailbox and address replaced."""
    if mode not in ("mask", "hash"):
        raise UsageError(f"unknown redaction mode {mode!r}; use mask or hash")
    if mode == "hash" and not key:
        raise UsageError("hash redaction needs a secret key")
    values: Values = {}
    for analysis in case.sample:
        _collect_analysis(analysis, values)
    _collect_campaign(case.campaign, values)
    names = [value for value, field in values.values() if field == "name"]
    redactor = Redactor(_variants(values), _name_words(names), mode, key)
    sample = tuple(_redact_analysis(a, redactor) for a in case.sample)
    return msgspec.structs.replace(
        case, sample=sample, campaign=_redact_campaign(case.campaign, redactor)
    )


def redact_cases(
    cases: Iterable[Case], redact: bool, mode: Mode = "mask", key: bytes | None = None
) -> list[Case]:
    """The exporters' entry: ``cases`` as given, or each one redacted."""
    return [redact_case(c, mode=mode, key=key) if redact else c for c in cases]


def mailbox(address: Address) -> str:
    """An address as an exchange format accepts it: a redacted one keeps its domain."""
    if "@" in address.address or not address.domain:
        return address.address
    return f"{address.address}@{address.domain}"


def personal_data(analysis: Analysis) -> str:
    """What of the recipient the message quoted: the fingerprint of a voter-file source."""
    return "; ".join(f"{p.field} ({p.where}): {p.text}" for p in analysis.personalization)


# -- what to look for ---------------------------------------------------------------


def _add(values: Values, value: str | None, field: str) -> None:
    value = (value or "").strip().strip("<>").strip()
    if value:
        values.setdefault(value.casefold(), (value, field))


def _add_addresses(values: Values, header: str | None) -> None:
    for display, address in getaddresses([header or ""]):
        _add(values, display, "name")
        _add(values, address, "email")


def _collect_analysis(analysis: Analysis, values: Values) -> None:
    for person in analysis.personalization:
        if person.field in PII_FIELDS:
            _add(values, person.text, person.field)
    for to in analysis.message.to:
        _add(values, to.display, "name")
        _add(values, to.address, "email")
    for hop in analysis.path.hops:
        _add(values, hop.envelope_for, "email")
        for match in _ENVELOPE_FOR.finditer(hop.raw):
            _add(values, match.group(1), "email")
    _add_addresses(values, analysis.report.reporter)
    recovered = analysis.report.recovered
    _add_addresses(values, recovered.to if recovered else None)


def _collect_campaign(campaign: CampaignRecord, values: Values) -> None:
    for slot in campaign.template.slots:
        if slot.name in PII_FIELDS:
            for example in slot.examples:
                _add(values, example, slot.name)
    for indicator in campaign.indicators:
        if indicator.role in VICTIM_ROLES:
            _add(values, indicator.value, "email" if indicator.type == "email" else "pii")


def _variants(values: Values) -> Values:
    """Values as they also appear inside URLs (``%40`` for ``@``, ``+`` for spaces)."""
    out = dict(values)
    for value, field in values.values():
        for variant in (quote(value, safe=""), quote_plus(value, safe="")):
            out.setdefault(variant.casefold(), (variant, field))
    return out


def _name_words(names: Iterable[str]) -> set[str]:
    """First and last names on their own ("Mr. Iturrioz"), matched case-sensitively."""
    return {w for name in names for w in _NAME_WORD.findall(name)}


# -- replacing ----------------------------------------------------------------------


def _scrub(node: Any, redactor: Redactor) -> Any:
    """Every string in a builtin tree (dict keys included) with the values replaced."""
    if isinstance(node, str):
        return redactor.text(node)
    if isinstance(node, list | tuple):
        return [_scrub(item, redactor) for item in node]
    if isinstance(node, dict):
        return {_scrub(k, redactor): _scrub(v, redactor) for k, v in node.items()}
    return node


def _scrubbed(record: T, kind: type[T], redactor: Redactor) -> T:
    tree = msgspec.to_builtins(record, builtin_types=(datetime,))
    return msgspec.convert(_scrub(tree, redactor), kind, builtin_types=(datetime,))


def _redact_analysis(analysis: Analysis, r: Redactor) -> Analysis:
    hidden = {(p.where, p.start, p.end, p.field) for p in analysis.personalization
              if p.field in PII_FIELDS}  # fmt: skip
    message = analysis.message
    to = tuple(msgspec.structs.replace(
        a, display=r.token(a.display, "name") if a.display else "",
        address=r.token(a.address, "email")) for a in message.to)  # fmt: skip
    hops = tuple(msgspec.structs.replace(
        h, envelope_for=r.token(h.envelope_for, "email") if h.envelope_for else None)
        for h in analysis.path.hops)  # fmt: skip
    report = analysis.report
    reporter = r.token(report.reporter, "email") if report.reporter else None
    recovered = report.recovered
    if recovered is not None and recovered.to:
        recovered = msgspec.structs.replace(recovered, to=r.token(recovered.to, "email"))
    explicit = msgspec.structs.replace(
        analysis,
        message=msgspec.structs.replace(message, to=to),
        path=msgspec.structs.replace(analysis.path, hops=hops),
        report=msgspec.structs.replace(report, reporter=reporter, recovered=recovered),
        personalization=tuple(_person(p, r) for p in analysis.personalization),
        findings=tuple(_finding(f, hidden, r) for f in analysis.findings),
    )
    return _scrubbed(explicit, Analysis, r)


def _person(person: Personalization, r: Redactor) -> Personalization:
    if person.field not in PII_FIELDS:
        return person
    return msgspec.structs.replace(person, text=r.token(person.text, person.field))


def _finding(finding: Finding, hidden: set[tuple[str, int, int, str]], r: Redactor) -> Finding:
    """Evidence spans that overlap a personal-data span lose the overlapping part."""
    evidence = tuple(_evidence(e, hidden, r) for e in finding.evidence)
    return msgspec.structs.replace(finding, evidence=evidence)


def _evidence(ev: Evidence, hidden: set[tuple[str, int, int, str]], r: Redactor) -> Evidence:
    spans = [(max(s, ev.start) - ev.start, min(e, ev.end) - ev.start, field)
             for where, s, e, field in hidden
             if where == ev.field and s < ev.end and e > ev.start]  # fmt: skip
    return msgspec.structs.replace(ev, text=r.text(ev.text, spans))


def _redact_campaign(campaign: CampaignRecord, r: Redactor) -> CampaignRecord:
    providers: dict[str, int] = {}
    for recipient, count in campaign.recipients_by_provider.items():
        domain = recipient.rsplit("@", 1)[-1]
        providers[domain] = providers.get(domain, 0) + count
    slots = tuple(_slot(s, r) for s in campaign.template.slots)
    explicit = msgspec.structs.replace(
        campaign,
        recipients_by_provider=providers,
        template=msgspec.structs.replace(campaign.template, slots=slots),
        indicators=tuple(_indicator(i, r) for i in campaign.indicators),
    )
    out = _scrubbed(explicit, CampaignRecord, r)
    return msgspec.structs.replace(out, recipients_by_provider=providers)  # domains only


def _slot(slot: SlotStat, r: Redactor) -> SlotStat:
    if slot.name not in PII_FIELDS:
        return slot
    return msgspec.structs.replace(slot, examples=tuple(r.token(e, slot.name)
                                                        for e in slot.examples))  # fmt: skip


def _indicator(indicator: Indicator, r: Redactor) -> Indicator:
    if indicator.role not in VICTIM_ROLES:
        return indicator
    field = "email" if indicator.type == "email" else indicator.type
    return msgspec.structs.replace(indicator, value=r.token(indicator.value, field))
