"""Host names and addresses as they appear in trace headers: comparison helpers.

Shared by the trust boundary, the anomaly checks and the sending-side
signatures. Nothing here does DNS: names are compared as written.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from pollwatch.analyze.geo import parse_ip, special_scope

__all__ = [
    "host_of",
    "ip_scope",
    "is_public_ip",
    "literal_ip",
    "looks_like_name",
    "org_domain",
    "same_host",
]

# Second-level labels under which a country code's registrable names sit one
# level deeper (``example.co.uk``, ``example.com.br``). A heuristic, not the
# Public Suffix List: it only has to group a host with its own organisation.
_SECOND_LEVEL = frozenset(
    ("co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "gouv", "mil",
     "ltd", "plc", "sch", "nhs", "nic", "info", "biz", "web", "res", "in")
)  # fmt: skip
_GENERIC_LABELS = frozenset(("mail", "smtp", "mx", "localhost", "www", "relay", "server"))
_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,252})$")


def _clean(name: str | None) -> str:
    if not name:
        return ""
    return name.strip().strip("[]").rstrip(".").lower()


@functools.lru_cache(maxsize=16384)
def org_domain(name: str | None) -> str:
    """The organisation part of a host name (``mx1.mail.example.co.uk`` ->
    ``example.co.uk``); an address or an unqualified name is returned as is."""
    host = _clean(name)
    if not host or "." not in host or parse_ip(host) is not None:
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def host_of(name: str | None) -> str:
    """A comparable host name: lower case, no brackets or trailing dot."""
    return _clean(name)


@functools.lru_cache(maxsize=16384)
def ip_scope(ip: str | None) -> str | None:
    """``public``, a special-purpose scope (``private``, ``loopback``, ...) or None."""
    if not ip:
        return None
    addr = parse_ip(ip)
    if addr is None:
        return None
    return special_scope(addr) or "public"


def is_public_ip(ip: str | None) -> bool:
    return ip_scope(ip) == "public"


def literal_ip(text: str | None) -> str | None:
    """The address in a HELO written as ``[192.0.2.1]`` or ``192.0.2.1``; else None."""
    value = _clean(text)
    if value.startswith("ipv6:"):
        value = value[5:]
    if not value or not (value[0].isdigit() or ":" in value):
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def same_host(
    by: str | None, by_ip: str | None, helo: str | None, rdns: str | None, ip: str | None
) -> bool | None:
    """Whether a receiving host (``by``) is the peer recorded one hop later.

    None when either side names nothing to compare.
    """
    names = [n for n in (_clean(helo), _clean(rdns)) if n]
    target = _clean(by)
    if not (target or by_ip) or not (names or ip):
        return None
    if ip and ip in (by_ip, target):
        return True
    if not target or not names:
        return False if target else None
    if "." not in target:
        return None  # an unqualified name says too little to contradict
    if target in names:
        return True
    first = target.split(".", 1)[0]
    if first not in _GENERIC_LABELS and any(n.split(".", 1)[0] == first for n in names):
        return True
    org = org_domain(target)
    return "." in org and any(org_domain(n) == org for n in names)


def looks_like_name(text: str | None) -> bool:
    """A plausible DNS name (not an address, not free text)."""
    value = _clean(text)
    return bool(value) and bool(_NAME.match(value)) and parse_ip(value) is None
