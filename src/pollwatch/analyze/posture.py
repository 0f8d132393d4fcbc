"""Can a domain be spoofed? What an election office needs to stop impersonation.

:func:`check_posture` looks up, through a :class:`DnsSource` (so a posture check
can be recorded and replayed like any other evidence):

* SPF: the record, its DNS-lookup count against RFC 7208's limit of 10 (includes
  and redirects followed), its ``all`` qualifier;
* DMARC: the policy at the domain or its organisational domain, ``sp``, ``pct``,
  aggregate (``rua``) and failure (``ruf``) reporting;
* MX, including RFC 7505 null MX for domains that send and receive no mail;
* DKIM keys at common selectors (a domain's own selectors cannot be listed
  through DNS; ``selectors=`` adds them).

It gives a verdict (``protected`` / ``partly_protected`` / ``spoofable`` /
``unknown``) with reasons and concrete fixes. DNS failures give partial
results with the failure recorded in ``errors``, never an exception.

checkdmarc was measured for this and not used: it brings ~20 packages (HTTP
clients among them, for MTA-STS and BIMI fetches pollwatch must not make),
and it does not go through :class:`DnsSource`, so its answers could not be
recorded into or replayed from a snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import msgspec

from pollwatch.analyze.auth import DmarcPolicy, parse_dmarc
from pollwatch.analyze.dns import DnsSource, DnsTempError, normalise_name, organisational_domain

T = TypeVar("T")
Verdict = Literal["protected", "partly_protected", "spoofable", "unknown"]

COMMON_SELECTORS = (
    "default", "selector1", "selector2", "google", "k1", "k2", "s1", "s2", "dkim", "mail",
    "smtp", "mx", "everlytickey1", "mandrill", "mxvault", "zoho", "protonmail", "fm1", "fm2",
    "fm3", "sig1", "smtpapi", "cm", "scph0122", "dk",
)  # fmt: skip
SPF_LOOKUP_LIMIT = 10
_LOOKUP_TERMS = re.compile(r"^[+?~-]?(include|a|mx|ptr|exists)(?=$|[:/])|^redirect=", re.I)


class SpfPosture(msgspec.Struct, frozen=True):
    record: str | None = None
    records_found: int = 0
    lookups: int = 0  # DNS-querying terms, includes and redirects followed
    all_qualifier: str | None = None  # "-all", "~all", "?all", "+all", or None
    problems: tuple[str, ...] = ()


class DmarcPosture(msgspec.Struct, frozen=True):
    record: str | None = None
    found_at: str | None = None
    policy: str | None = None
    subdomain_policy: str | None = None
    pct: int | None = None
    rua: str | None = None
    ruf: str | None = None


class MxPosture(msgspec.Struct, frozen=True):
    hosts: tuple[str, ...] = ()
    null_mx: bool = False


class DomainPosture(msgspec.Struct, frozen=True):
    domain: str
    verdict: Verdict
    spf: SpfPosture
    dmarc: DmarcPosture
    mx: MxPosture
    dkim_selectors: tuple[str, ...] = ()  # selectors where a key was found
    reasons: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # DNS questions that failed: the result is partial
    dns: str = "live"


# ------------------------------------------------------------------ SPF


def _spf_records(domain: str, dns: DnsSource) -> list[str]:
    return [
        r.decode("utf-8", "replace")
        for r in dns.txt(domain)
        if r.lower() == b"v=spf1" or r[:7].lower() == b"v=spf1 "
    ]


def _count_lookups(record: str, dns: DnsSource, depth: int, seen: set[str]) -> int:
    count = 0
    for term in record.split()[1:]:
        if not _LOOKUP_TERMS.match(term):
            continue
        count += 1
        target = term.split(":", 1)[1] if ":" in term else term.partition("=")[2]
        kind = term.lstrip("+?~-").split(":")[0].split("=")[0].lower()
        if kind in ("include", "redirect") and target and depth < 10 and target not in seen:
            seen.add(target)
            nested = _spf_records(target, dns)
            if len(nested) == 1:
                count += _count_lookups(nested[0], dns, depth + 1, seen)
    return count


def check_spf(domain: str, dns: DnsSource) -> SpfPosture:
    records = _spf_records(domain, dns)
    if not records:
        return SpfPosture(problems=("no SPF record",))
    if len(records) > 1:
        return SpfPosture(
            records_found=len(records),
            problems=("several SPF records: receivers treat that as permerror",),
        )
    record = records[0]
    lookups = _count_lookups(record, dns, 0, {domain})
    terms = [t.lower() for t in record.split()[1:]]
    qualifier = next(
        (t if t[0] in "+-~?" else "+" + t for t in terms if t.lstrip("+-~?") == "all"), None
    )
    problems: list[str] = []
    if lookups > SPF_LOOKUP_LIMIT:
        problems.append(f"{lookups} DNS lookups: over the limit of {SPF_LOOKUP_LIMIT} (permerror)")
    if qualifier in ("+all", "?all") or (
        qualifier is None and not any(t.startswith("redirect=") for t in terms)
    ):
        problems.append(f"ends in {qualifier or 'no all'}: any server may claim the domain")
    if any(t.lstrip("+-~?").startswith("ptr") for t in terms):
        problems.append("uses ptr (deprecated, slow, unreliable)")
    return SpfPosture(record, 1, lookups, qualifier, tuple(problems))


# ------------------------------------------------------------------ DMARC, MX, DKIM


def check_dmarc(domain: str, dns: DnsSource) -> DmarcPosture:
    policy: DmarcPolicy | None = None
    for candidate in dict.fromkeys((domain, organisational_domain(domain))):
        records = [
            r.decode("utf-8", "replace")
            for r in dns.txt(f"_dmarc.{candidate}")
            if r[:8].upper() == b"V=DMARC1"
        ]
        if records:
            policy = parse_dmarc(records[0], candidate)
            break
    if policy is None:
        return DmarcPosture()
    tags = dict(
        (k.strip().lower(), v.strip())
        for k, _, v in (p.partition("=") for p in policy.record.split(";"))
        if _
    )
    return DmarcPosture(
        policy.record, policy.at, policy.p, policy.sp, policy.pct, policy.rua, tags.get("ruf")
    )


def check_mx(domain: str, dns: DnsSource) -> MxPosture:
    answer = dns.lookup(domain, "MX")
    if answer.status in ("error", "offline", "missing"):
        raise DnsTempError(f"{domain}/MX: {answer.detail or answer.status}")
    hosts = []
    for record in answer.records:
        pref, _, host = record.partition(" ")
        hosts.append((int(pref) if pref.isdigit() else 0, host.strip().rstrip(".")))
    hosts.sort()
    null = len(hosts) == 1 and hosts[0][1] == ""
    return MxPosture(tuple(h for _, h in hosts if h), null)


def check_dkim(domain: str, dns: DnsSource, selectors: Sequence[str]) -> tuple[str, ...]:
    found: list[str] = []
    for selector in selectors:
        try:
            records = dns.txt(f"{selector}._domainkey.{domain}")
        except DnsTempError:
            continue
        if any(b"p=" in r for r in records):
            found.append(selector)
    return tuple(found)


# ------------------------------------------------------------------ verdict


def _judge(
    spf: SpfPosture, dmarc: DmarcPosture, mx: MxPosture
) -> tuple[Verdict, list[str], list[str]]:
    reasons: list[str] = []
    fixes: list[str] = []
    enforced = dmarc.policy in ("quarantine", "reject") and (dmarc.pct or 100) == 100
    if dmarc.policy is None:
        reasons.append("no DMARC policy: receivers have no instruction to reject forgeries")
        fixes.append(
            'publish "_dmarc TXT v=DMARC1; p=none; rua=mailto:dmarc@<domain>", '
            "read the reports, then move to p=reject"
        )
    elif dmarc.policy == "none":
        reasons.append("DMARC p=none: forgeries are reported, not stopped")
        fixes.append("raise the DMARC policy to p=quarantine, then p=reject")
    elif not enforced:
        reasons.append(f"DMARC pct={dmarc.pct}: only part of failing mail gets the policy")
        fixes.append("set pct=100 (or remove pct)")
    if dmarc.policy and dmarc.subdomain_policy == "none":
        reasons.append("DMARC sp=none: subdomains can be spoofed")
        fixes.append("remove sp=none or set sp=reject")
    if dmarc.policy and not dmarc.rua:
        fixes.append("add rua=mailto:... to receive aggregate reports of who sends as you")
    reasons.extend(f"SPF: {p}" for p in spf.problems)
    if spf.record is None:
        fixes.append('publish an SPF record; a domain that sends no mail: "v=spf1 -all"')
    elif spf.problems:
        fixes.append(
            "fix SPF: end with -all (or ~all while DMARC enforces), stay within "
            f"{SPF_LOOKUP_LIMIT} lookups, avoid ptr"
        )
    if not mx.hosts and not mx.null_mx:
        fixes.append('a domain that receives no mail should publish a null MX ("0 .")')
    if enforced and spf.record and not spf.problems:
        return "protected", reasons, fixes
    if dmarc.policy in ("quarantine", "reject") or (
        dmarc.policy == "none" and spf.record and not spf.problems
    ):
        return "partly_protected", reasons, fixes
    return "spoofable", reasons, fixes


def _guarded(what: str, fn: Callable[[], T], default: T, errors: list[str]) -> T:
    try:
        return fn()
    except DnsTempError as exc:
        errors.append(f"{what}: {exc}")
        return default


def check_posture(
    domain: str, dns: DnsSource, selectors: Sequence[str] = COMMON_SELECTORS
) -> DomainPosture:
    """One domain's anti-spoofing posture; DNS failures give partial results, never raise."""
    name = normalise_name(domain)
    errors: list[str] = []

    spf = _guarded(
        "SPF", lambda: check_spf(name, dns), SpfPosture(problems=("SPF unknown",)), errors
    )
    dmarc = _guarded("DMARC", lambda: check_dmarc(name, dns), DmarcPosture(), errors)
    mx = _guarded("MX", lambda: check_mx(name, dns), MxPosture(), errors)
    none_found: tuple[str, ...] = ()
    dkim = _guarded("DKIM", lambda: check_dkim(name, dns, selectors), none_found, errors)
    verdict, reasons, fixes = _judge(spf, dmarc, mx)
    if errors and verdict != "protected":
        verdict = "unknown"
        reasons.insert(0, "DNS failed for part of the check: the verdict is incomplete")
    return DomainPosture(
        name, verdict, spf, dmarc, mx, dkim, tuple(reasons), tuple(fixes), tuple(errors), dns.label
    )
