"""Impossible, inconsistent or suspicious things in a delivery path.

Each check is one function over the finished hops; every anomaly has a dotted
code (listed in ``docs/path.md``), a sentence, and the hop it concerns.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pollwatch.analyze.headerindex import HeaderIndex
from pollwatch.analyze.hosts import host_of, ip_scope, literal_ip, looks_like_name, org_domain
from pollwatch.analyze.hosts import same_host as _same_host
from pollwatch.analyze.record import Anomaly, Edge, Hop, Origin
from pollwatch.config import PathSettings
from pollwatch.models import ParsedMessage
from pollwatch.parse.received import ChainHop

__all__ = ["CODES", "PathFacts", "find_anomalies"]

CODES = {
    "path.by_from_mismatch": "a hop's receiving host is not the peer named by the next hop",
    "path.time_backwards": "a hop is older than the hop before it, beyond clock skew",
    "path.date_far": "a hop's time is far from the Date header",
    "path.hop_in_future": "a hop's time is later than the analysis clock",
    "path.private_in_internet": "a private or reserved address outside both organisations",
    "path.edge_private": "the edge address is not a public address",
    "path.helo_ip_mismatch": "the HELO is an address literal other than the connecting address",
    "path.rdns_helo_mismatch": "the peer's reverse DNS and HELO name different organisations",
    "path.received_below_originator": "a Received header sits below the Date and From headers",
    "path.may_be_forged": "the receiving MTA marked the peer 'may be forged'",
    "path.hop_unparsed": "a Received header could not be read",
    "path.foreign_edge": "a domestic sender's mail entered the recipient from abroad",
    "path.foreign_origin": "a domestic sender's mail was injected abroad",
}

_US_DOMESTIC = (".gov", ".mil", ".us", ".edu")
_CC_TLD = {"GB": ".uk"}


@dataclass(frozen=True)
class PathFacts:
    """What the checks look at: the message, the chain, the finished hops."""

    parsed: ParsedMessage
    index: HeaderIndex
    chain: Sequence[ChainHop]
    hops: Sequence[Hop]
    positions: Sequence[int]  # header position of each hop's Received
    edge: Edge | None
    origin: Origin | None
    settings: PathSettings
    now: datetime


def find_anomalies(facts: PathFacts) -> tuple[Anomaly, ...]:
    found: list[Anomaly] = []
    for check in _CHECKS:
        found.extend(check(facts))
    return tuple(found)


def _network(facts: PathFacts) -> list[Hop]:
    return [h for h in facts.hops if h.zone != "local" and facts.chain[h.index].hop.parsed]


def _by_from(facts: PathFacts) -> list[Anomaly]:
    found = []
    network = _network(facts)
    for older, newer in itertools.pairwise(network):
        raw = facts.chain[older.index].hop
        if _same_host(raw.by, raw.by_ip, newer.from_helo, newer.from_rdns, newer.from_ip) is False:
            peer = newer.from_rdns or newer.from_helo or newer.from_ip
            detail = f"hop {older.index} was received by {raw.by}, hop {newer.index} names {peer}"
            found.append(Anomaly("path.by_from_mismatch", detail, newer.index))
    return found


def _time_backwards(facts: PathFacts) -> list[Anomaly]:
    found = []
    previous: Hop | None = None
    skew = facts.settings.clock_skew_s
    for hop in facts.hops:
        if hop.timestamp is None:
            continue
        if previous is not None and previous.timestamp is not None:
            delta = (hop.timestamp - previous.timestamp).total_seconds()
            if delta < -skew:
                detail = f"hop {hop.index} is {-delta:.0f} s older than hop {previous.index}"
                found.append(Anomaly("path.time_backwards", detail, hop.index))
        previous = hop
    return found


def _dates(facts: PathFacts) -> list[Anomaly]:
    found = []
    date = facts.parsed.date
    for hop in facts.hops:
        if hop.timestamp is None or hop.zone == "local":
            continue
        if date is not None:
            drift = (hop.timestamp - date).total_seconds()
            if abs(drift) > facts.settings.date_drift_s:
                way = "after" if drift > 0 else "before"
                detail = f"hop {hop.index} is {_span(drift)} {way} the Date header"
                found.append(Anomaly("path.date_far", detail, hop.index))
        if (hop.timestamp - facts.now).total_seconds() > facts.settings.clock_skew_s:
            detail = f"hop {hop.index} is dated {hop.timestamp.isoformat()}, in the future"
            found.append(Anomaly("path.hop_in_future", detail, hop.index))
    return found


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    return f"{seconds / 3600:.1f} hours"


def _addresses(facts: PathFacts) -> list[Anomaly]:
    found = []
    for hop in facts.hops:
        scope = ip_scope(hop.from_ip)
        if hop.zone == "internet" and scope not in (None, "public"):
            detail = f"hop {hop.index}, outside both organisations, names {scope} {hop.from_ip}"
            found.append(Anomaly("path.private_in_internet", detail, hop.index))
    edge = facts.edge
    if edge is not None and ip_scope(edge.ip) != "public":
        detail = f"the edge {edge.ip} is {ip_scope(edge.ip)}: a trusted relay may be missing"
        found.append(Anomaly("path.edge_private", detail, edge.hop_index))
    return found


def _helo(facts: PathFacts) -> list[Anomaly]:
    found = []
    for hop in facts.hops:
        if hop.zone == "local" or not hop.from_ip:
            continue
        claimed = literal_ip(hop.from_helo)
        if claimed and claimed != hop.from_ip and ip_scope(claimed) == "public":
            detail = f"hop {hop.index}: HELO {hop.from_helo} but connected from {hop.from_ip}"
            found.append(Anomaly("path.helo_ip_mismatch", detail, hop.index))
        if hop.zone == "recipient" and _rdns_contradicts(hop):
            detail = (
                f"hop {hop.index}: reverse DNS {hop.from_rdns} but HELO {hop.from_helo}"
            )
            found.append(Anomaly("path.rdns_helo_mismatch", detail, hop.index))
    return found


def _rdns_contradicts(hop: Hop) -> bool:
    rdns, helo = host_of(hop.from_rdns), host_of(hop.from_helo)
    if not rdns or not helo or not looks_like_name(helo) or "." not in helo:
        return False
    return org_domain(rdns) != org_domain(helo)


def _placement(facts: PathFacts) -> list[Anomaly]:
    dates, froms = facts.index.positions("date"), facts.index.positions("from")
    if not dates or not froms:
        return []
    below = max(dates[0], froms[0])
    return [
        Anomaly(
            "path.received_below_originator",
            f"hop {hop.index}'s Received header is below the Date and From headers",
            hop.index,
        )
        for hop in facts.hops
        if facts.positions[hop.index] > below
    ]


def _flags(facts: PathFacts) -> list[Anomaly]:
    found = []
    for hop in facts.hops:
        raw = facts.chain[hop.index].hop
        if hop.zone == "recipient" and "may_be_forged" in raw.flags:
            detail = f"hop {hop.index}: {raw.by} noted the peer's name may be forged"
            found.append(Anomaly("path.may_be_forged", detail, hop.index))
        if not raw.parsed:
            detail = f"hop {hop.index}: {raw.raw[:80]}"
            found.append(Anomaly("path.hop_unparsed", detail, hop.index))
    return found


def _abroad(facts: PathFacts) -> list[Anomaly]:
    home = (facts.settings.home_country or "").upper()
    sender = facts.parsed.from_
    if not home or sender is None or not _domestic(sender.domain, home, facts.settings):
        return []
    found = []
    edge, origin = facts.edge, facts.origin
    if edge is not None and edge.country and edge.country != home:
        detail = f"{sender.domain} is domestic ({home}) but the edge {edge.ip} is in {edge.country}"
        found.append(Anomaly("path.foreign_edge", detail, edge.hop_index))
    elsewhere = origin is not None and (edge is None or origin.ip != edge.ip)
    if origin is not None and elsewhere and origin.country and origin.country != home:
        detail = f"{sender.domain} is domestic ({home}) but it was injected in {origin.country}"
        found.append(Anomaly("path.foreign_origin", detail))
    return found


def _domestic(domain: str, home: str, settings: PathSettings) -> bool:
    domain = domain.lower()
    suffixes = [d.lower().lstrip(".") for d in settings.domestic_domains]
    if any(domain == s or domain.endswith("." + s) for s in suffixes):
        return True
    national = _US_DOMESTIC if home == "US" else (_CC_TLD.get(home, "." + home.lower()),)
    return domain.endswith(national)


_CHECKS = (_by_from, _time_backwards, _dates, _addresses, _helo, _placement, _flags, _abroad)
