"""Delivery-path forensics: the ``path`` section of the analysis record.

Entry point: :func:`analyze_path`. From a parsed message's Received headers
it builds the hops (ordered origin -> recipient, each with its zone and
network labels), decides the recipient's trust boundary and the **edge**
(:mod:`pollwatch.analyze.trust`), estimates the **origin** with a confidence
and a basis in words, and lists the **anomalies**
(:mod:`pollwatch.analyze.anomalies`). The sending side's signatures
(:mod:`pollwatch.analyze.signatures`) come back with it because the origin
uses them. See ``docs/path.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from pollwatch.analyze.anomalies import PathFacts, find_anomalies
from pollwatch.analyze.context import AnalysisContext
from pollwatch.analyze.geo import GeoLabel, GeoLookup
from pollwatch.analyze.headerindex import HeaderIndex
from pollwatch.analyze.hosts import is_public_ip, literal_ip
from pollwatch.analyze.record import Edge, Hop, Origin, PathSection, Zone
from pollwatch.analyze.signatures import Signatures, find_signatures
from pollwatch.analyze.trust import Boundary, TrustPolicy, authserv_ids, find_boundary
from pollwatch.config import PathSettings
from pollwatch.models import ParsedMessage
from pollwatch.parse.received import ChainHop, parse_received_chain

__all__ = ["PathResult", "analyze_path", "received_positions"]

_ORIGIN_HEADERS = ("x-originating-ip", "x-client-ip", "x-source-ip", "x-yahoo-post-ip")


@dataclass(frozen=True)
class PathResult:
    path: PathSection
    signatures: Signatures
    boundary: Boundary


def analyze_path(parsed: ParsedMessage, context: AnalysisContext) -> PathResult:
    """Hops, zones, edge, origin and anomalies of one message."""
    chain = parse_received_chain(parsed.received)
    index = HeaderIndex.of(parsed)
    positions = index.received_positions()
    boundary = find_boundary(chain, positions, authserv_ids(index), _policy(context.path))
    hops = tuple(_hop(c, boundary.zones[c.index], context.geo) for c in chain)
    signatures = find_signatures(parsed, index, chain, boundary.zones)
    edge = _edge(hops, boundary.edge)
    planted = _below_originator(index, positions)
    origin = _origin(index, planted, hops, positions, boundary, signatures, context.geo)
    facts = PathFacts(
        parsed, index, chain, hops, positions, edge, origin, context.path, context.now()
    )
    section = PathSection(hops=hops, edge=edge, origin=origin, anomalies=find_anomalies(facts))
    return PathResult(section, signatures, boundary)


@functools.lru_cache(maxsize=32)
def _policy(settings: PathSettings) -> TrustPolicy:
    return TrustPolicy.from_settings(settings)


def received_positions(parsed: ParsedMessage) -> tuple[int, ...]:
    """Header position of each Received, in chain order (origin-most first)."""
    return HeaderIndex.of(parsed).received_positions()


# --------------------------------------------------------------- hops


def _geo_source(label: GeoLabel | None) -> str | None:
    if label is None:
        return None
    if label.country_source == label.source or label.country_source is None:
        return label.source
    if label.source is None:
        return label.country_source
    return f"country: {label.country_source}; AS: {label.source}"


def _hop(item: ChainHop, zone: Zone, geo: GeoLookup) -> Hop:
    hop = item.hop
    label = geo.lookup(hop.from_ip) if hop.from_ip else None
    return Hop(
        index=item.index,
        from_helo=hop.from_helo,
        from_rdns=hop.from_rdns,
        from_ip=hop.from_ip,
        by=hop.by,
        protocol=hop.protocol,
        id=hop.id,
        timestamp=hop.timestamp,
        delay_s=item.delay_s,
        zone=zone,
        country=label.country if label else None,
        asn=label.asn if label else None,
        as_org=label.as_org if label else None,
        raw=hop.raw,
        geo_source=_geo_source(label),
        envelope_for=hop.envelope_for,
        local_reason=hop.local_reason,
    )


def _edge(hops: Sequence[Hop], index: int | None) -> Edge | None:
    if index is None or hops[index].from_ip is None:
        return None
    hop = hops[index]
    return Edge(
        ip=hop.from_ip or "",
        country=hop.country,
        asn=hop.asn,
        as_org=hop.as_org,
        rdns=hop.from_rdns,
        helo=hop.from_helo,
        hop_index=hop.index,
        geo_source=hop.geo_source,
    )


# --------------------------------------------------------------- origin


@dataclass(frozen=True)
class _Candidate:
    ip: str
    confidence: float
    basis: str
    script: bool = False  # the web client that ran a sending script
    local: bool = False  # the edge itself, whose earlier hop is a local program


def _below_originator(index: HeaderIndex, positions: Sequence[int]) -> frozenset[int]:
    """Hops whose Received sits below the Date and From headers: written by the sender."""
    dates, froms = index.positions("date"), index.positions("from")
    if not dates or not froms:
        return frozenset()
    block = max(dates[0], froms[0])
    return frozenset(i for i, position in enumerate(positions) if position > block)


def _origin(
    index: HeaderIndex,
    planted: frozenset[int],
    hops: Sequence[Hop],
    positions: Sequence[int],
    boundary: Boundary,
    signatures: Signatures,
    geo: GeoLookup,
) -> Origin | None:
    edge = boundary.edge
    below = positions[edge] if edge is not None else -1
    header = _header_candidate(index, below, signatures)
    usable = [h for h in hops if h.index not in planted]
    found = _hop_candidate(usable, hops[edge]) if edge is not None else None
    best = _combine(found, header)
    if best is None:
        return None
    label = geo.lookup(best.ip)
    return Origin(
        ip=best.ip,
        country=label.country if label else None,
        asn=label.asn if label else None,
        as_org=label.as_org if label else None,
        confidence=round(best.confidence, 2),
        basis=best.basis,
        geo_source=_geo_source(label),
    )


def _combine(found: _Candidate | None, header: _Candidate | None) -> _Candidate | None:
    if header is None:
        return found
    if found is None:
        return header
    if found.ip == header.ip:
        confidence = min(0.9, found.confidence + 0.15)
        return _Candidate(found.ip, confidence, f"{found.basis}; {header.basis}")
    if header.script and found.local:  # the web host ran a script a web client triggered
        return _Candidate(header.ip, 0.7, f"{header.basis}, on {found.ip} ({found.basis})")
    return found if found.confidence >= header.confidence else header


def _header_candidate(
    index: HeaderIndex, below: int, signatures: Signatures
) -> _Candidate | None:
    """X-Originating-IP and the like, written by the sending side (below the edge)."""
    client = signatures.script_client_ip
    if client:
        basis = f"the PHP script was run by a web client at {client}"
        return _Candidate(client, 0.6, basis, script=True)
    for name in _ORIGIN_HEADERS:
        for position, value in index.get(name):
            words = value.replace("[", " ").replace("]", " ").split()
            ip = literal_ip(words[0]) if words and position > below else None
            if ip and is_public_ip(ip):
                return _Candidate(ip, 0.55, f"{name} names {ip} (written by the sending side)")
    return None


def _hop_candidate(hops: Sequence[Hop], edge: Hop) -> _Candidate:
    """The earliest public peer linked to the edge, an authenticated client first."""
    before = [h for h in hops if h.index < edge.index]
    linked = [h for h in before if h.zone == "sender"]
    for hop in linked:  # origin-most first
        if hop.from_ip and is_public_ip(hop.from_ip) and _authenticated(hop):
            return _Candidate(
                hop.from_ip, 0.75,
                f"{hop.by} recorded an authenticated submission (hop {hop.index}, "
                f"{hop.protocol}) from {hop.from_ip}: the client that logged in to send",
            )  # fmt: skip
    for hop in linked:
        if hop.from_ip and is_public_ip(hop.from_ip):
            return _Candidate(
                hop.from_ip, 0.5,
                f"earliest hop linked to the edge: {hop.by} received it from {hop.from_ip} "
                f"(hop {hop.index}; claimed by the sending side, unverifiable)",
            )  # fmt: skip
    unlinked = [h for h in before if h.zone == "internet" and is_public_ip(h.from_ip)]
    if unlinked and not linked:
        hop = unlinked[0]
        return _Candidate(
            hop.from_ip or "", 0.25,
            f"hop {hop.index} names {hop.from_ip} but does not link to the edge: may be forged",
        )  # fmt: skip
    return _edge_itself(before, edge)


def _authenticated(hop: Hop) -> bool:
    protocol = (hop.protocol or "").lower()
    return (protocol.endswith("a") and "smtp" in protocol) or "authenticated" in hop.raw.lower()


def _edge_itself(before: Sequence[Hop], edge: Hop) -> _Candidate:
    ip = edge.from_ip or ""
    reasons = {h.local_reason for h in before if h.zone == "local"}
    if reasons & {"local-submission", "local"}:
        basis = f"the edge {ip} injected it: its earlier hop is a program on that host"
        return _Candidate(ip, 0.8, basis, local=True)
    if any(h.zone == "sender" and h.from_ip is None for h in before):
        return _Candidate(ip, 0.7, f"the edge {ip} injected it: earlier hops record no address")
    if any(h.zone == "sender" for h in before):
        return _Candidate(ip, 0.6, f"the edge {ip}: earlier hops name only internal addresses")
    return _Candidate(ip, 0.5, f"the edge {ip}: no earlier hop can be relied on")
