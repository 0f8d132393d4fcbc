"""Is the claimed sender genuine? SPF, DKIM, DMARC and ARC, recorded and re-verified.

Two kinds of evidence, always kept apart in the output (``AuthResult.source``):

``header``
    what a receiver wrote (Authentication-Results, ARC-Authentication-Results,
    Received-SPF, Microsoft's variants and ``compauth``). A header is
    *trusted* only when it sits above the edge hop's Received line (so it was
    added inside the recipient's infrastructure, where no sender can write)
    and its writer belongs to that infrastructure: the authserv-id (or, when
    the writer left it out, the ``by`` host of the Received line just below)
    matches a recipient-zone hop or a known mailbox provider. Every other
    header is reported as an untrusted claim, with the reason.
``verified``
    pollwatch's own re-verification through a :class:`DnsSource`: DKIM and ARC
    with dkimpy, SPF for the edge IP with MAIL FROM and HELO with pyspf, and
    DMARC (policy discovery at the organisational domain, strict/relaxed
    alignment, ``sp``, ``pct``) with dnspython. ``AuthResult.dns`` names the
    DNS used: ``live``, ``snapshot:<file>``, ``injected``.

Example::

    section = analyze_auth(parsed, path, DnsSource.offline(), raw=raw)   # headers only
    verdict = recorded_verdict(section, "dmarc")                        # the receiver's word
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Literal

import msgspec

from pollwatch.analyze.auth_headers import (
    Method,
    judge_trust,
    recorded_results,
    recorded_verdict,
    trust_context,
)
from pollwatch.analyze.dns import GLOBAL_DNS_LOCK, DnsSource, DnsTempError, organisational_domain
from pollwatch.analyze.record import AuthResult, AuthSection, PathSection
from pollwatch.models import ParsedMessage
from pollwatch.parse.headers import address_domain

__all__ = [
    "AuthMode",
    "Method",
    "aligned",
    "analyze_auth",
    "evaluate_dmarc",
    "judge_trust",
    "recorded_results",
    "recorded_verdict",
    "spf_verdict",
    "trust_context",
    "verify_arc",
    "verify_dkim",
    "verify_spf",
]

AuthMode = Literal["full", "headers"]

# ------------------------------------------------------------------ verification


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _captured() -> Iterator[tuple[logging.Logger, _Capture]]:
    logger = logging.getLogger(f"pollwatch.auth.dkim.{id(object())}")
    logger.propagate = False
    handler = _Capture()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


@contextmanager
def _dkim_clock(dns: DnsSource) -> Iterator[None]:
    """Judge signature times as of the snapshot (replay), else now."""
    if dns.mode != "replay":
        yield
        return
    import dkim

    with GLOBAL_DNS_LOCK:
        saved = dkim.time
        at = dns.clock()
        dkim.time = SimpleNamespace(time=lambda: at)
        try:
            yield
        finally:
            dkim.time = saved


def _tag(value: str, tag: str) -> str | None:
    match = re.search(rf"(?:^|;)\s*{tag}\s*=\s*([^;]*)", value)
    return "".join(match.group(1).split()) if match else None


_DKIM_FAIL_WORDS = ("body hash mismatch", "verification failed", "expired", "in the future")


def _dkim_failure(lines: Sequence[str], default: str = "fail") -> tuple[str, str]:
    """fail for a signature that does not match, permerror for one that cannot be checked."""
    text = "; ".join(lines[-3:]) or "signature did not verify"
    low = text.lower()
    if any(word in low for word in _DKIM_FAIL_WORDS):
        return "fail", text
    if "key" in low or "missing" in low or "parse" in low or "unsupported" in low:
        return "permerror", text
    return default, text


def verify_dkim(raw: bytes, parsed: ParsedMessage, dns: DnsSource) -> tuple[AuthResult, ...]:
    """Re-verify every DKIM-Signature, top first."""
    import dkim

    signatures = parsed.header_all("DKIM-Signature")
    if not signatures:
        return (
            AuthResult(
                "none", source="verified", trusted=True, dns=dns.label, detail="message not signed"
            ),
        )
    out: list[AuthResult] = []
    with _captured() as (logger, capture), _dkim_clock(dns):
        for idx, sig in enumerate(signatures):
            capture.lines.clear()
            domain, selector = _tag(sig, "d"), _tag(sig, "s")
            try:
                ok = dkim.DKIM(raw, logger=logger).verify(idx=idx, dnsfunc=dns.dnsfunc)
                result, detail = (
                    ("pass", "signature verified") if ok else _dkim_failure(capture.lines)
                )
            except DnsTempError as exc:
                result, detail = "temperror", f"key lookup failed: {exc}"
            except dkim.DKIMException as exc:
                result, detail = _dkim_failure([str(exc)], default="permerror")
            out.append(
                AuthResult(
                    result,
                    domain=(domain or "").lower() or None,
                    source="verified",
                    trusted=True,
                    detail=detail,
                    selector=selector,
                    dns=dns.label,
                    identity=_tag(sig, "i"),
                )
            )
    return tuple(out)


def _raw_header_all(raw: bytes, name: str) -> list[str]:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    return [str(v) for v in BytesHeaderParser(policy=compat32).parsebytes(raw).get_all(name, [])]


def verify_arc(raw: bytes, dns: DnsSource) -> tuple[AuthResult, ...]:
    """Re-verify the ARC chain (cv = pass / fail / none) with dkimpy."""
    import dkim

    seals = _raw_header_all(raw, "ARC-Seal")
    others = _raw_header_all(raw, "ARC-Message-Signature") + _raw_header_all(
        raw, "ARC-Authentication-Results"
    )
    if not seals and not others:
        return (
            AuthResult(
                "none",
                source="verified",
                trusted=True,
                dns=dns.label,
                detail="message has no ARC sets",
            ),
        )
    newest = max(seals or [""], key=lambda s: _instance(_tag(s, "i")))
    with _captured() as (logger, _capture), _dkim_clock(dns):
        try:
            cv, _results, reason = dkim.arc_verify(raw, logger=logger, dnsfunc=dns.dnsfunc)
            result = cv.decode() if isinstance(cv, bytes) else "fail"
        except DnsTempError as exc:
            result, reason = "temperror", f"key lookup failed: {exc}"
        except dkim.DKIMException as exc:
            result, reason = "fail", str(exc)
    return (
        AuthResult(
            result,
            domain=_tag(newest, "d"),
            source="verified",
            trusted=True,
            detail=f"{reason} ({len(seals)} ARC set(s))",
            selector=_tag(newest, "s"),
            dns=dns.label,
            instance=_instance(_tag(newest, "i")) or None,
        ),
    )


def _instance(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def spf_verdict(ip: str, sender: str, helo: str, dns: DnsSource) -> tuple[str, str]:
    """pyspf's (result, explanation) for one identity, asking ``dns``."""
    import spf

    try:
        with dns.pyspf_bound():
            result, _code, explanation = spf.query(
                i=ip, s=sender, h=helo, timeout=dns.timeout * 5, querytime=0
            ).check()
    except (spf.TempError, DnsTempError) as exc:
        return "temperror", str(exc)
    return str(result), str(explanation)


def verify_spf(
    ip: str | None, mail_from: str | None, helo: str | None, dns: DnsSource
) -> tuple[AuthResult, ...]:
    """SPF for the edge IP: the MAIL FROM identity, then the HELO identity."""
    if not ip:
        return (
            AuthResult(
                "none",
                source="verified",
                trusted=True,
                dns=dns.label,
                detail="no edge IP: SPF cannot be checked",
            ),
        )
    out: list[AuthResult] = []
    helo_name = (helo or "").strip("[]")
    sender = (mail_from or "").strip().strip("<>")
    if sender:
        result, why = spf_verdict(ip, sender, helo_name, dns)
        out.append(
            AuthResult(
                result,
                domain=address_domain(sender),
                source="verified",
                trusted=True,
                detail=f"smtp.mailfrom: {why}",
                dns=dns.label,
                identity=sender,
                ip=ip,
            )
        )
    if helo_name and "." in helo_name and not _is_ip(helo_name):
        result, why = spf_verdict(ip, f"postmaster@{helo_name}", helo_name, dns)
        out.append(
            AuthResult(
                result,
                domain=helo_name.lower(),
                source="verified",
                trusted=True,
                detail=f"smtp.helo: {why}",
                dns=dns.label,
                identity=helo_name,
                ip=ip,
            )
        )
    return tuple(out)


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ DMARC


class DmarcPolicy(msgspec.Struct, frozen=True):
    record: str
    at: str  # the domain whose _dmarc record was used
    p: str
    sp: str | None
    pct: int
    adkim: str
    aspf: str
    rua: str | None = None


def parse_dmarc(record: str, at: str) -> DmarcPolicy | None:
    """A DMARC record's tags, or None when it is not one (RFC 7489 section 6.3)."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, eq, value = part.partition("=")
        if eq:
            tags.setdefault(key.strip().lower(), value.strip())
    if tags.get("v") != "DMARC1":
        return None
    p = tags.get("p", "").lower()
    sp = tags.get("sp", "").lower() or None
    try:
        pct = max(0, min(100, int(tags.get("pct", "100"))))
    except ValueError:
        pct = 100
    return DmarcPolicy(
        record=record,
        at=at,
        p=p if p in ("none", "quarantine", "reject") else "none",
        sp=sp if sp in ("none", "quarantine", "reject") else None,
        pct=pct,
        adkim="s" if tags.get("adkim", "r").lower() == "s" else "r",
        aspf="s" if tags.get("aspf", "r").lower() == "s" else "r",
        rua=tags.get("rua"),
    )


def _dmarc_records(domain: str, dns: DnsSource) -> list[str]:
    return [
        r.decode("utf-8", "replace")
        for r in dns.txt(f"_dmarc.{domain}")
        if r[:8].upper() == b"V=DMARC1"
    ]


def discover_policy(from_domain: str, dns: DnsSource) -> DmarcPolicy | None:
    """Policy at the From domain, else at its organisational domain; DnsTempError on failure."""
    org = organisational_domain(from_domain)
    for candidate in dict.fromkeys((from_domain, org)):
        records = _dmarc_records(candidate, dns)
        if len(records) == 1:
            return parse_dmarc(records[0], candidate)
        if len(records) > 1:
            return None  # RFC 7489 6.6.3: several records -> no DMARC
    return None


def aligned(a: str, b: str, mode: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    return a == b if mode == "s" else organisational_domain(a) == organisational_domain(b)


def evaluate_dmarc(
    from_domain: str | None,
    spf: Sequence[AuthResult],
    dkim: Sequence[AuthResult],
    dns: DnsSource,
) -> AuthResult:
    """DMARC for the From domain given verified SPF (MAIL FROM) and DKIM results."""
    if not from_domain:
        return AuthResult(
            "permerror",
            source="verified",
            trusted=True,
            dns=dns.label,
            detail="no single From domain",
        )
    try:
        policy = discover_policy(from_domain, dns)
    except DnsTempError as exc:
        return AuthResult(
            "temperror",
            domain=from_domain,
            source="verified",
            trusted=True,
            dns=dns.label,
            detail=f"policy lookup failed: {exc}",
        )
    if policy is None:
        return AuthResult(
            "none",
            domain=from_domain,
            source="verified",
            trusted=True,
            dns=dns.label,
            detail="no DMARC policy at the domain or its organisation",
        )
    spf_ok = [
        r.domain
        for r in spf[:1]
        if r.result == "pass"
        and r.domain
        and (r.detail or "").startswith("smtp.mailfrom")
        and aligned(r.domain, from_domain, policy.aspf)
    ]
    dkim_ok = [
        r.domain
        for r in dkim
        if r.result == "pass" and r.domain and aligned(r.domain, from_domain, policy.adkim)
    ]
    result = "pass" if spf_ok or dkim_ok else "fail"
    subdomain = policy.at != from_domain
    applied = (policy.sp or policy.p) if subdomain else policy.p
    detail = (
        f"policy at _dmarc.{policy.at}{' (organisational domain)' if subdomain else ''}: "
        f"p={policy.p} sp={policy.sp or '-'} pct={policy.pct} adkim={policy.adkim} "
        f"aspf={policy.aspf}; aligned SPF: {', '.join(spf_ok) or 'none'}; "
        f"aligned DKIM: {', '.join(d for d in dkim_ok if d) or 'none'}"
    )
    if result == "fail" and policy.pct < 100:
        detail += f"; policy applies to {policy.pct}% of failing mail"
    return AuthResult(
        result,
        domain=from_domain,
        source="verified",
        trusted=True,
        dns=dns.label,
        detail=detail,
        policy=applied if result == "fail" else "none",
    )


# ------------------------------------------------------------------ entry point


def envelope_sender(parsed: ParsedMessage, recorded: dict[str, list[AuthResult]]) -> str | None:
    """MAIL FROM: the Return-Path, else what a trusted receiver recorded."""
    if parsed.return_path is not None:
        return parsed.return_path.strip().strip("<>")
    for result in recorded.get("spf", []):
        if result.trusted and result.identity and "@" in result.identity:
            return result.identity
    return None


def analyze_auth(
    parsed: ParsedMessage,
    path: PathSection,
    dns: DnsSource | None = None,
    mode: AuthMode = "full",
    *,
    raw: bytes | None = None,
) -> AuthSection:
    """The auth section: recorded results with trust, plus verification when DNS allows.

    ``mode="headers"`` (or an offline ``dns``) reports recorded results only.
    DKIM and ARC re-verification need the message's exact ``raw`` bytes.
    """
    recorded = recorded_results(parsed, path)
    verified: dict[str, tuple[AuthResult, ...]] = {}
    if dns is not None and dns.can_query and mode == "full":
        verified = _verify_all(parsed, path, dns, raw, recorded)
    return AuthSection(
        spf=(*verified.get("spf", ()), *recorded["spf"]),
        dkim=(*verified.get("dkim", ()), *recorded["dkim"]),
        dmarc=(*verified.get("dmarc", ()), *recorded["dmarc"]),
        arc=(*verified.get("arc", ()), *recorded["arc"]),
        compauth=tuple(recorded["compauth"]),
    )


def _verify_all(
    parsed: ParsedMessage,
    path: PathSection,
    dns: DnsSource,
    raw: bytes | None,
    recorded: dict[str, list[AuthResult]],
) -> dict[str, tuple[AuthResult, ...]]:
    edge = path.edge
    spf = verify_spf(
        edge.ip if edge else None,
        envelope_sender(parsed, recorded),
        edge.helo if edge else None,
        dns,
    )
    if raw is None:
        missing = AuthResult(
            "none",
            source="verified",
            trusted=True,
            dns=dns.label,
            detail="raw bytes not supplied: cannot re-verify",
        )
        dkim: tuple[AuthResult, ...] = (missing,)
        arc: tuple[AuthResult, ...] = (missing,)
    else:
        dkim, arc = verify_dkim(raw, parsed, dns), verify_arc(raw, dns)
    from_domain = parsed.from_.domain if parsed.from_ and parsed.from_.domain else None
    dmarc = evaluate_dmarc(from_domain, spf, dkim if raw is not None else (), dns)
    return {"spf": spf, "dkim": dkim, "dmarc": (dmarc,), "arc": arc}
