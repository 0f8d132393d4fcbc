"""The recipient's trust boundary: which hops are its own infrastructure, and the edge.

The walk starts at the newest network hop (written by the server that
delivered the message, so trusted by definition) and moves toward the origin
while the peer each trusted server recorded is itself inside the recipient's
infrastructure. The first peer that is not is the **edge**: its address was
recorded by the recipient's own server and no sender can forge it.

A peer is inside when, in this order of precedence:

1. it is a configured trusted relay or MX host (names or CIDRs);
2. the receiving host is a known provider's inbound MX (``mx.google.com``,
   ``*.mail.protection.outlook.com``, Comcast ``resimta-*``...) — its peer is
   then *outside*, whatever it claims;
3. the receiving host is the authserv-id of an ``Authentication-Results`` (or
   ARC) header the recipient wrote — the server that checked SPF is the edge,
   so a public peer is *outside*;
4. its address is private, loopback, link-local or CGNAT (an internal chain);
5. its name matches the provider's internal host names (Microsoft 365's
   ``*.prod.outlook.com`` front ends and mailbox servers);
6. its reverse DNS (recorded by the trusted receiver, not claimed by the peer)
   is in the receiving host's own domain, or is a trusted authserv-id.

Hops older than the edge are ``sender`` while each one's ``by`` matches the
peer recorded one hop later (a continuous chain back from the edge) and
``internet`` after the first break. Non-network hops are ``local``.
See ``docs/path.md``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pollwatch.analyze.headerindex import HeaderIndex
from pollwatch.analyze.hosts import host_of, ip_scope, org_domain, same_host
from pollwatch.analyze.record import Zone
from pollwatch.config import PathSettings
from pollwatch.parse.received import ChainHop, ReceivedHop

__all__ = ["PROVIDERS", "Boundary", "Provider", "TrustPolicy", "authserv_ids", "find_boundary"]

Verdict = Literal["inside", "outside", "unknown"]
_INTERNAL_SCOPES = frozenset(("private", "loopback", "link-local", "cgnat", "unspecified"))


@dataclass(frozen=True)
class Provider:
    """A large receiver recognised without configuration."""

    name: str
    domains: tuple[str, ...]  # receiving host names end with one of these
    front: re.Pattern[str]  # its inbound MX names: their peer is always outside
    internal: re.Pattern[str] | None = None  # peer names of its own internal servers
    dotted: tuple[str, ...] = field(init=False, repr=False, compare=False)  # ``.domain``

    def __post_init__(self) -> None:
        object.__setattr__(self, "dotted", tuple("." + d for d in self.domains))

    def owns(self, host: str) -> bool:
        return host in self.domains or host.endswith(self.dotted)


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


PROVIDERS: tuple[Provider, ...] = (
    Provider("Google", ("google.com", "gmail.com", "googlemail.com"),
             _p(r"^(?:mx|aspmx)[\w-]*\.(?:l\.)?google\.com$")),
    Provider("Microsoft", ("outlook.com", "office365.com", "exchangelabs.com", "microsoft.com",
                           "hotmail.com", "outlook.cn"),
             _p(r"\.mail\.protection\.(?:outlook\.com|partner\.outlook\.cn)$|\.mx\.microsoft$"),
             _p(r"\.prod\.(?:protection\.)?outlook\.com$|\.outlook\.office365\.com$"
                r"|\.prod\.exchangelabs\.com$")),
    Provider("Yahoo", ("yahoo.com", "yahoo.net", "yahoodns.net", "aol.com"),
             _p(r"^mta[\w-]*\.(?:mail\.)?[\w.-]*yahoo\.com$|^mx[\w.-]*\.aol\.com$")),
    Provider("Comcast", ("comcast.net",),
             _p(r"^(?:resimta|imta|mx)[\w-]*\.(?:sys\.)?comcast\.net$")),
    Provider("Apple", ("icloud.com", "me.com", "apple.com"),
             _p(r"^(?:p\d+-)?mx[\w-]*\.icloud\.com$")),
    Provider("Proton", ("protonmail.ch", "proton.ch"), _p(r"^mail(?:in)?[\w-]*\.protonmail\.ch$")),
    Provider("Zoho", ("zoho.com", "zohomail.com", "zoho.eu"), _p(r"^mx\d*\.zoho(?:mail)?\.\w+$")),
    Provider("GMX/Web.de", ("gmx.net", "gmx.com", "web.de"), _p(r"^mx[\w-]*\.(?:gmx|web)\.")),
    Provider("Yandex", ("yandex.net", "yandex.ru"), _p(r"^mx[\w.-]*\.yandex\.(?:net|ru)$")),
    Provider("Mail.ru", ("mail.ru",), _p(r"^mx[\w.-]*\.mail\.ru$")),
    Provider("Fastmail", ("messagingengine.com",), _p(r"^mx[\w-]*\.messagingengine\.com$")),
    Provider("Proofpoint", ("pphosted.com", "ppe-hosted.com"), _p(r"^mx[\w-]*\.pphosted\.com$")),
    Provider("Mimecast", ("mimecast.com", "mimecast-offshore.com"),
             _p(r"(?:^|\.)(?:relay|\w+-smtp-inbound-\d+)\.mimecast\.com$")),
    Provider("Barracuda", ("barracudanetworks.com",), _p(r"\.ess\.barracudanetworks\.com$")),
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def provider_for(host: str) -> Provider | None:
    """The known provider whose domains hold ``host`` (receiving hosts repeat)."""
    name = host_of(host)
    return next((p for p in PROVIDERS if p.owns(name)), None) if name else None


@dataclass(frozen=True)
class TrustPolicy:
    """Configured trust, parsed once per run from :class:`PathSettings`."""

    names: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_settings(cls, settings: PathSettings) -> TrustPolicy:
        names: set[str] = set()
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in (*settings.trusted_relays, *settings.mx_hosts):
            try:
                nets.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                names.add(host_of(entry))
        return cls(frozenset(names), tuple(nets))

    def trusts(self, hop: ReceivedHop) -> bool:
        if hop.from_ip and self.networks:
            address = ipaddress.ip_address(hop.from_ip)
            if any(address in net for net in self.networks):
                return True
        return bool(self.names) and host_of(hop.from_rdns) in self.names

    def trusts_name(self, host: str) -> bool:
        return host in self.names


@dataclass(frozen=True)
class Boundary:
    """Zones per chain index, the edge's chain index, and why."""

    zones: tuple[Zone, ...]
    edge: int | None
    basis: str
    provider: str | None = None


def authserv_ids(index: HeaderIndex) -> dict[str, int]:
    """authserv-id -> header position of each Authentication-Results / ARC-A-R header."""
    found: dict[str, int] = {}
    for name in ("authentication-results", "arc-authentication-results"):
        for position, value in index.get(name):
            if name == "arc-authentication-results":
                value = value.split(";", 1)[1] if ";" in value else ""
            head = value.split(";", 1)[0].strip().split(" ", 1)[0]
            if head and "=" not in head and "." in head:
                host = host_of(head)
                found[host] = min(position, found.get(host, position))
    return found


@dataclass
class _Walk:
    chain: Sequence[ChainHop]
    positions: Sequence[int]  # header position of each chain hop's Received
    authserv: dict[str, int]
    policy: TrustPolicy
    provider: Provider | None = None

    def accepted_authserv(self, host: str, index: int, older: int | None) -> bool:
        """The authserv-id names ``host`` and its header is newer than the older hop."""
        position = self.authserv.get(host)
        if position is None:
            return False
        return older is None or position < self.positions[older]

    def verdict(self, index: int, older: int | None) -> tuple[Verdict, str]:
        hop = self.chain[index].hop
        by = host_of(hop.by)
        if self.policy.trusts(hop):
            return "inside", "a configured trusted relay"
        provider = provider_for(by) or self.provider
        if provider is not None and provider.front.search(by):
            return "outside", f"{by} is {provider.name}'s inbound MX"
        scope = ip_scope(hop.from_ip)
        public = scope == "public"
        if public and self.accepted_authserv(by, index, older):
            return "outside", f"{by} wrote Authentication-Results for this message"
        if scope in _INTERNAL_SCOPES:
            return "inside", "an internal address"
        return self._named(hop, by, provider, scope)

    def _named(
        self, hop: ReceivedHop, by: str, provider: Provider | None, scope: str | None
    ) -> tuple[Verdict, str]:
        names = [n for n in (host_of(hop.from_rdns), host_of(hop.from_helo)) if n]
        internal = provider.internal if provider is not None else None
        if internal is not None and any(internal.search(n) for n in names):
            return "inside", f"{provider.name if provider else ''} internal server"
        rdns = host_of(hop.from_rdns)
        if rdns and (rdns in self.authserv or self.policy.trusts_name(rdns)):
            return "inside", "an authserv-id of the recipient"
        if rdns and "." in org_domain(by) and org_domain(rdns) == org_domain(by):
            return "inside", f"reverse DNS in the receiver's domain {org_domain(by)}"
        if scope is None:
            return "unknown", "no peer address"
        return "outside", f"{by or 'the receiver'} recorded a public peer"


def find_boundary(
    chain: Sequence[ChainHop],
    positions: Sequence[int],
    authserv: dict[str, int],
    policy: TrustPolicy,
) -> Boundary:
    """Zones and the edge for a chain ordered origin -> recipient."""
    network = [c.index for c in chain if not c.hop.is_local and c.hop.parsed]
    zones: list[Zone] = ["local"] * len(chain)
    if not network:
        return Boundary(tuple(zones), None, "no network hops")
    walk = _Walk(chain, positions, authserv, policy)
    walk.provider = next(
        (p for i in reversed(network) if (p := provider_for(chain[i].hop.by or "")) is not None),
        None,
    )
    edge, basis = _walk_edge(walk, network, zones)
    if edge is not None:
        _mark_sender(chain, network, zones, edge)
    return Boundary(tuple(zones), edge, basis, walk.provider.name if walk.provider else None)


def _walk_edge(walk: _Walk, network: list[int], zones: list[Zone]) -> tuple[int | None, str]:
    for position in range(len(network) - 1, -1, -1):
        index = network[position]
        older = network[position - 1] if position else None
        zones[index] = "recipient"
        verdict, why = walk.verdict(index, older)
        if verdict == "outside":
            return index, why
        if older is None:
            return None, f"every network hop is inside the recipient ({why})"
    return None, "no network hops"


def _mark_sender(
    chain: Sequence[ChainHop], network: list[int], zones: list[Zone], edge: int
) -> None:
    """``sender`` while the chain is continuous back from the edge, then ``internet``."""
    linked = True
    newer = chain[edge].hop
    for index in reversed([i for i in network if i < edge]):
        hop = chain[index].hop
        if linked:
            match = same_host(hop.by, hop.by_ip, newer.from_helo, newer.from_rdns, newer.from_ip)
            linked = match is not False
        zones[index] = "sender" if linked else "internet"
        newer = hop
    for index in range(len(chain)):
        if index not in network and not chain[index].hop.is_local:
            zones[index] = "recipient" if index > edge else "sender"
