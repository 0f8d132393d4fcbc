"""The lookalike index and the display-name shortcut give the verdicts of a full scan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollwatch.analyze.sender import (
    Identity,
    IdentityRegistry,
    _AliasMatcher,
    _display,
    _find_lookalike,
    _within,
    distance,
    load_identities,
    lookalike,
)

REGISTRY = load_identities()
PROTECTED = sorted({d.lower() for i in REGISTRY.identities for d in i.domains})
# Real domains that must stay quiet or fire, and shapes of each technique
REAL = [
    "gmail.com", "yahoo.com", "outlook.com", "amazonses.com", "sendgrid.net", "mail.eac.gov",
    "eac.com", "eac-vote.gov", "actb1ue.com", "xn--ec-7kc.gov", "dos-fl.com",
    "fec.gov.verify-ballot.com", "offcialproudboys.com", "officialproudboys-vote.com",
    "democrats.org.secure-login.net", "my-gop-vote.com", "vote.org", "election.com",
]  # fmt: skip
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-.іаеорс"


def _scan(name: str, registry: IdentityRegistry) -> tuple[str, str, str] | None:
    """Every protected domain in registry order: the definition the index must match."""
    if registry.owner(name) is not None:
        return None
    for ident in registry.identities:
        if any(name == u or name.endswith("." + u) for u in ident.unrelated_domains):
            continue
        for protected in ident.domains:
            technique = lookalike(name, protected.lower())
            if technique:
                return ident.name, protected, technique
    return None


def _indexed(name: str, registry: IdentityRegistry) -> tuple[str, str, str] | None:
    hit = _find_lookalike(name, registry)
    return (hit[0].name, hit[1], hit[2]) if hit else None


@st.composite
def _near_protected(draw: st.DrawFn) -> str:
    """A protected domain with a few characters inserted, deleted, replaced or swapped,
    and maybe an affix word or another suffix."""
    chars = list(draw(st.sampled_from(PROTECTED)))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(chars)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "swap"]))
        c = draw(st.sampled_from(ALPHABET))
        if op == "insert":
            chars.insert(i, c)
        elif op == "delete" and i < len(chars):
            del chars[i]
        elif op == "replace" and i < len(chars):
            chars[i] = c
        elif op == "swap" and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    name = "".join(chars)
    if draw(st.booleans()):
        name = draw(st.sampled_from(["", "my", "vote-", "secure.", "the-"])) + name
        name += draw(st.sampled_from(["", ".com", "-gov.net", ".info", "-help.org", "2024.us"]))
    return name.strip(".") or "x.com"


@pytest.mark.parametrize("name", REAL + PROTECTED)
def test_index_agrees_with_a_full_scan_on_real_domains(name: str) -> None:
    assert _indexed(name, REGISTRY) == _scan(name, REGISTRY)


@settings(max_examples=400, deadline=None)
@given(_near_protected())
def test_index_agrees_with_a_full_scan_near_protected_domains(name: str) -> None:
    assert _indexed(name, REGISTRY) == _scan(name, REGISTRY)


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=30))
def test_index_agrees_with_a_full_scan_on_arbitrary_names(name: str) -> None:
    assert _indexed(name, REGISTRY) == _scan(name, REGISTRY)


def test_first_identity_in_registry_order_wins() -> None:
    registry = IdentityRegistry(
        [
            Identity("First", "other", domains=("longexample.org",)),
            Identity("Second", "other", domains=("longexample.net", "longexampel.org")),
        ]
    )
    assert _indexed("longexample.com", registry) == ("First", "longexample.org", "tld_swap")
    assert _indexed("longexampel.com", registry) == _scan("longexampel.com", registry)


@settings(max_examples=400, deadline=None)
@given(
    st.text("abc de", max_size=16), st.text("abc de", min_size=8, max_size=16), st.integers(1, 2)
)
def test_character_counts_never_rule_out_a_close_display_name(
    display: str, alias: str, limit: int
) -> None:
    shown, named = _display(display), _display(alias)
    matcher = _AliasMatcher(alias, None, None, named.shape, limit, named.counts)
    assert _within(shown, matcher) == (distance(shown.shape, named.shape, limit) <= limit)
