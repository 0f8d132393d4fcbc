"""The analysis record: the public output contract ``pollwatch.analysis/1``.

Field names follow ``DESIGN.md`` and are fixed; fields may be added, never
renamed. Each analysis stage fills one section:

* ``path``      — :mod:`pollwatch.analyze.path`  (hops, edge, origin, anomalies)
* ``auth``      — :mod:`pollwatch.analyze.auth`  (SPF, DKIM, DMARC, ARC)
* ``sender``    — :mod:`pollwatch.analyze.sender` (impersonation, mailer, script)
* ``findings``, ``categories`` — :mod:`pollwatch.analyze.content` and ``rules``
* ``personalization`` — :mod:`pollwatch.analyze.personal`
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from pollwatch.models import Address, RecoveredFields, SourceRef

SCHEMA = "pollwatch.analysis/1"

Zone = Literal["recipient", "internet", "sender", "local"]


class MessageSection(msgspec.Struct, frozen=True):
    sha256: str
    message_id: str | None
    date: datetime | None
    subject: str
    from_: Address | None = msgspec.field(name="from")
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    return_path: str | None = None


class ReportSection(msgspec.Struct, frozen=True):
    kind: Literal["attachment", "inline"] | None = None
    reporter: str | None = None
    reported_at: datetime | None = None
    headers_available: bool = True
    recovered: RecoveredFields | None = None


class Hop(msgspec.Struct, frozen=True):
    """One Received hop, ordered origin -> recipient, with its network labels."""

    index: int
    from_helo: str | None
    from_rdns: str | None
    from_ip: str | None
    by: str | None
    protocol: str | None
    id: str | None
    timestamp: datetime | None
    delay_s: float | None
    zone: Zone
    country: str | None
    asn: int | None
    as_org: str | None
    raw: str
    geo_source: str | None = None  # which data produced country/asn (always recorded)
    envelope_for: str | None = None
    local_reason: str | None = None


class Edge(msgspec.Struct, frozen=True):
    """Where the message entered the recipient's trusted infrastructure."""

    ip: str
    country: str | None
    asn: int | None
    as_org: str | None
    rdns: str | None
    helo: str | None
    hop_index: int
    geo_source: str | None = None


class Origin(msgspec.Struct, frozen=True):
    """The best estimate of where the message was injected."""

    ip: str
    country: str | None
    asn: int | None
    as_org: str | None
    confidence: float  # 0..1
    basis: str  # in words: why this IP
    geo_source: str | None = None


class Anomaly(msgspec.Struct, frozen=True):
    kind: str  # dotted code, e.g. "path.time_backwards"
    detail: str
    hop_index: int | None = None


class PathSection(msgspec.Struct, frozen=True):
    hops: tuple[Hop, ...] = ()
    edge: Edge | None = None
    origin: Origin | None = None
    anomalies: tuple[Anomaly, ...] = ()


class AuthResult(msgspec.Struct, frozen=True):
    """One authentication verdict and where it came from."""

    result: str  # pass, fail, softfail, neutral, none, temperror, permerror, policy
    domain: str | None = None
    source: Literal["header", "verified"] = "header"
    trusted: bool = False  # header written inside the recipient zone, or our own verification
    detail: str | None = None
    selector: str | None = None  # DKIM
    dns: str | None = None  # "live", "snapshot:<file>", "offline", "injected"
    authserv_id: str | None = None
    header: str | None = None  # which trace header (source == "header")
    position: int | None = None  # its index in the message's headers, top = 0
    instance: int | None = None  # ARC i=
    trust_reason: str | None = None  # why the header is or is not believed
    identity: str | None = None  # SPF MAIL FROM / HELO, DKIM i=
    ip: str | None = None  # the client IP the SPF result is about
    policy: str | None = None  # DMARC disposition (reject/quarantine/none), action=, reason=


class AuthSection(msgspec.Struct, frozen=True):
    spf: tuple[AuthResult, ...] = ()
    dkim: tuple[AuthResult, ...] = ()
    dmarc: tuple[AuthResult, ...] = ()
    arc: tuple[AuthResult, ...] = ()
    compauth: tuple[AuthResult, ...] = ()  # Microsoft's composite authentication


class Impersonation(msgspec.Struct, frozen=True):
    target: str  # the protected identity's name
    kind: str  # display_name, lookalike_domain, reply_to_divergence, ...
    evidence: str
    field: str | None = None  # the header the evidence is in: from, reply-to, ...
    value: str | None = None  # the offending value (address, domain, display name)
    technique: str | None = None  # lookalike: homoglyph, tld_swap, typo, affix, ...
    protected: bool = True  # target is a registry identity (False: the claimed From domain)


class SenderSection(msgspec.Struct, frozen=True):
    impersonation: tuple[Impersonation, ...] = ()
    mailer: str | None = None  # X-Mailer / User-Agent and what it implies
    script: str | None = None  # X-PHP-Originating-Script and the like
    web_server_evidence: tuple[str, ...] = ()


class Evidence(msgspec.Struct, frozen=True):
    field: str
    start: int
    end: int
    text: str


class Finding(msgspec.Struct, frozen=True):
    rule: str
    category: str
    severity: str
    title: str
    evidence: tuple[Evidence, ...] = ()
    rebuttal: str | None = None


class Personalization(msgspec.Struct, frozen=True):
    field: str  # name, address, phone, email, party, precinct, voter_id
    text: str
    start: int
    end: int
    where: str = "body"


class Iocs(msgspec.Struct, frozen=True):
    ips: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()


class Analysis(msgspec.Struct, frozen=True):
    """Everything pollwatch concluded about one message."""

    source: SourceRef
    message: MessageSection
    report: ReportSection
    path: PathSection
    auth: AuthSection
    sender: SenderSection
    findings: tuple[Finding, ...] = ()
    categories: tuple[str, ...] = ()
    personalization: tuple[Personalization, ...] = ()
    iocs: Iocs = Iocs()
    errors: tuple[str, ...] = ()
    language: str | None = None
    schema: str = SCHEMA
