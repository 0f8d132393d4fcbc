"""Waves: a campaign's members split into bursts of arrivals.

Members are ordered by arrival. A new wave starts at a gap that is long for
this campaign (more than ``GAP_FACTOR`` times its typical gap between
arrivals, and at least ``MIN_GAP``), or at a shorter pause (``MIN_SWITCH_GAP``)
where the relays change country: in 2020 each wave came through another
country's servers. Only members with a trusted arrival time (an edge hop)
draw the boundaries; members known only by a claimed date (inline reports,
mail without a trusted hop) join the wave nearest in time.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import msgspec

from pollwatch.cluster.record import WaveRecord

GAP_FACTOR = 10.0
MIN_GAP = 2 * 3600.0
MIN_SWITCH_GAP = 30 * 60.0


class Arrival(msgspec.Struct, frozen=True):
    sha256: str
    at: float  # epoch seconds
    edge_ip: str | None
    edge_country: str | None
    edge_asn: int | None
    edge_org: str | None
    origin_country: str | None
    mailer: str | None


def split_waves(arrivals: Sequence[Arrival]) -> tuple[WaveRecord, ...]:
    """``arrivals`` sorted by time -> waves, numbered from 1."""
    timed = [a for a in arrivals if a.edge_ip]
    if not timed:
        return (_wave(1, list(arrivals)),) if arrivals else ()
    waves = _segment(timed)
    for other in (a for a in arrivals if not a.edge_ip):
        _nearest(waves, other.at).append(other)
    return tuple(_wave(number, sorted(members, key=_order))
                 for number, members in enumerate(waves, 1))  # fmt: skip


def _order(a: Arrival) -> tuple[float, str]:
    return a.at, a.sha256


def _nearest(waves: list[list[Arrival]], at: float) -> list[Arrival]:
    def distance(wave: list[Arrival]) -> float:
        return max(wave[0].at - at, at - wave[-1].at, 0.0)

    return min(waves, key=distance)


def _segment(arrivals: Sequence[Arrival]) -> list[list[Arrival]]:
    threshold = _gap_threshold([b.at - a.at for a, b in itertools.pairwise(arrivals)])
    waves: list[list[Arrival]] = [[arrivals[0]]]
    country = arrivals[0].edge_country
    for previous, current in itertools.pairwise(arrivals):
        gap = current.at - previous.at
        switched = bool(country and current.edge_country and current.edge_country != country)
        if gap > threshold or (switched and gap > MIN_SWITCH_GAP):
            waves.append([])
        waves[-1].append(current)
        country = current.edge_country or country
    return waves


def _gap_threshold(gaps: list[float]) -> float:
    positive = [g for g in gaps if g > 0]
    typical = statistics.median(positive) if positive else 0.0
    return max(MIN_GAP, GAP_FACTOR * typical)


def _wave(number: int, members: list[Arrival]) -> WaveRecord:
    edges = [m for m in members if m.edge_ip]
    return WaveRecord(
        wave_id=number,
        start=_time(members[0].at),
        end=_time(members[-1].at),
        size=len(members),
        members=tuple(m.sha256 for m in members),
        edge_countries=_counts(m.edge_country or "??" for m in edges),
        edge_asns=_counts(_network(m) for m in edges),
        relays=tuple(ip for ip, _ in Counter(m.edge_ip for m in edges if m.edge_ip).most_common()),
        origin_countries=_counts(m.origin_country for m in members if m.origin_country),
        mailers=_counts(m.mailer for m in members if m.mailer),
    )


def _network(m: Arrival) -> str:
    return f"AS{m.edge_asn} {m.edge_org or ''}".strip() if m.edge_asn else "unknown"


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
