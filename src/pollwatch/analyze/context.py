"""The side effects and settings every analysis stage receives, in one frozen object.

Stages never reach for globals: geolocation data, the clock, settings and
(later) DNS come in through :class:`AnalysisContext`, so a run is offline and
deterministic under test. New stages add fields with defaults; nothing here
is positional beyond ``geo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from pollwatch.analyze.dns import DnsSource
from pollwatch.analyze.geo import GeoLabel, GeoLookup
from pollwatch.analyze.sender import IdentityRegistry, load_identities
from pollwatch.config import PathSettings
from pollwatch.rules.engine import RuleSet
from pollwatch.rules.loader import load_rules

__all__ = ["AnalysisContext", "NoGeo", "shipped_identities", "shipped_rules", "system_clock"]


def system_clock() -> datetime:
    return datetime.now(UTC)


@cache
def shipped_rules() -> RuleSet:
    """The shipped rules, loaded once per process (rule sets are read-only)."""
    return load_rules()


@cache
def shipped_identities() -> IdentityRegistry:
    """The shipped identity registry, loaded once per process."""
    return load_identities()


class NoGeo:
    """A geo lookup that knows nothing: every address is unlabelled."""

    def lookup(self, ip: str) -> GeoLabel | None:
        return None


@dataclass(frozen=True, kw_only=True)
class AnalysisContext:
    """What ``analyze_message`` may use besides the message itself.

    * ``geo`` labels IP addresses (a :class:`~pollwatch.analyze.geo.GeoResolver`
      or any object with ``lookup(ip) -> GeoLabel | None``);
    * ``path`` holds the trust-boundary settings (trusted relays, MX hosts,
      home country, tolerances);
    * ``now`` is the clock, called at most once per message;
    * ``dns`` is the authentication stage's resolver (live, snapshot record or
      replay, offline); ``None`` means headers only;
    * ``identities`` are the protected identities for impersonation;
    * ``rules`` are the content rules.
    """

    geo: GeoLookup = field(default_factory=NoGeo)
    path: PathSettings = field(default_factory=PathSettings)
    now: Callable[[], datetime] = system_clock
    dns: DnsSource | None = None
    identities: IdentityRegistry = field(default_factory=shipped_identities)
    rules: RuleSet = field(default_factory=shipped_rules)
