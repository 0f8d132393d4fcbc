"""Protected identities, lookalike domains and sender divergence."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollwatch.analyze.record import AuthResult, AuthSection
from pollwatch.analyze.sender import (
    IdentityRegistry,
    display_name_match,
    find_impersonation,
    find_lookalike,
    load_identities,
)
from pollwatch.errors import ConfigError
from pollwatch.parse import parse_message


@pytest.fixture(scope="module")
def registry() -> IdentityRegistry:
    return load_identities()


def _message(from_: str, extra: str = "", mid: str = "<1@x.example>") -> bytes:
    return (f"From: {from_}\r\n{extra}Message-ID: {mid}\r\nSubject: s\r\n\r\nbody\r\n").encode()


def test_starter_registry_covers_the_2020_case(registry: IdentityRegistry) -> None:
    owner = registry.owner("officialproudboys.com")
    assert owner is not None and owner.kind == "group"
    assert registry.owner("mail.eac.gov") is registry.owner("eac.gov")
    assert len(registry) >= 30


@pytest.mark.parametrize(
    ("domain", "target", "technique"),
    [
        ("eac.com", "eac.gov", "tld_swap"),
        ("eac-vote.gov", "eac.gov", "affix"),
        ("officialproudboys-vote.com", "officialproudboys.com", "affix"),
        ("offcialproudboys.com", "officialproudboys.com", "typo"),
        ("actb1ue.com", "actblue.com", "homoglyph"),
        ("xn--ec-7kc.gov", "eac.gov", "idn_confusable"),
        ("dos-fl.com", "dos.fl.gov", "hyphen"),
        ("fec.gov.verify-ballot.com", "fec.gov", "embedded"),
    ],
)
def test_lookalike_domains_name_the_target_and_technique(
    registry: IdentityRegistry, domain: str, target: str, technique: str
) -> None:
    hit = find_lookalike(domain, registry)
    assert hit is not None and hit[1:] == (target, technique)


@pytest.mark.parametrize(
    "domain",
    [
        "eac.gov",
        "mail.cisa.gov",
        "vote.org",
        "gmail.com",
        "mike.com",
        "example.com",
        "lp.com",
        "grace.org",
        "election.com",
    ],
)
def test_legitimate_and_generic_domains_do_not_fire(
    registry: IdentityRegistry, domain: str
) -> None:
    assert find_lookalike(domain, registry) is None


@pytest.mark.parametrize(
    "display",
    [
        "Mike",
        "Grace",
        "Vote Team",
        "Election Office",
        "eac",
        "Dnc Fan",
        "Official Support",
        "Democrats Abroad member Karen",
    ],
)
def test_first_names_and_generic_words_never_name_an_identity(
    registry: IdentityRegistry, display: str
) -> None:
    assert [i.name for i in registry.identities if display_name_match(display, i)] == []


def test_display_name_impersonation_outside_the_identity_domains(
    registry: IdentityRegistry,
) -> None:
    parsed = parse_message(_message('"EAC Voter Services" <help@ballot-check.example>'))
    found = find_impersonation(parsed, registry)
    assert (found[0].target, found[0].kind) == (
        "U.S. Election Assistance Commission",
        "display_name",
    )
    assert "help@ballot-check.example" in found[0].evidence


def test_confusable_display_name_is_caught(registry: IdentityRegistry) -> None:
    parsed = parse_message(_message('"Proud Воуs" <info@mailer.example>'))  # Cyrillic В о у
    assert any(
        f.kind == "display_name" and f.target == "Proud Boys"
        for f in find_impersonation(parsed, registry)
    )


def test_the_2020_spoof_fires_when_dmarc_fails(registry: IdentityRegistry) -> None:
    parsed = parse_message(
        _message(
            "Proud Boys <info@officialproudboys.com>",
            "Return-Path: <bounce@mail.sa-relay.example>\r\n",
            "<x@WIN-1A2B3C>",
        )
    )
    dmarc = AuthResult(
        "fail",
        domain="officialproudboys.com",
        source="verified",
        trusted=True,
        dns="snapshot:case.json",
    )
    found = find_impersonation(parsed, registry, auth=AuthSection(dmarc=(dmarc,)))
    kinds = {f.kind: f for f in found}
    assert kinds["unauthenticated_domain"].target == "Proud Boys"
    assert "snapshot:case.json" in kinds["unauthenticated_domain"].evidence
    assert "display_name" not in kinds  # its own domain: the name is not the lie
    assert kinds["return_path_divergence"].target == "Proud Boys"
    assert "bare machine name" in kinds["message_id_host"].evidence


def test_reply_to_divergence_without_an_identity_targets_the_from_domain(
    registry: IdentityRegistry,
) -> None:
    parsed = parse_message(
        _message(
            "Shop <news@shop.example>", "Reply-To: <x@collector.example>\r\n", "<1@shop.example>"
        )
    )
    (found,) = find_impersonation(parsed, registry)
    assert (found.kind, found.target, found.protected) == (
        "reply_to_divergence",
        "shop.example",
        False,
    )


def test_same_organisation_and_known_mailers_are_not_divergence(registry: IdentityRegistry) -> None:
    parsed = parse_message(
        _message("A <a@eac.gov>", "Reply-To: <b@news.eac.gov>\r\n", "<abc@mail.gmail.com>")
    )
    assert find_impersonation(parsed, registry) == ()


def test_user_identities_extend_the_registry_and_bad_files_name_the_field(tmp_path: Path) -> None:
    ours = tmp_path / "ours.yml"
    ours.write_text(
        "identities:\n  - name: Example County Elections\n    kind: election_authority\n"
        "    domains: [elections.example-county.gov]\n"
    )
    registry = load_identities([ours])
    assert registry.owner("elections.example-county.gov") is not None
    assert registry.owner("eac.gov") is not None
    bad = tmp_path / "bad.yml"
    bad.write_text("identities:\n  - name: X\n    kind: party\n    domain: [x.org]\n")
    with pytest.raises(ConfigError, match=r"bad\.yml.*domain"):
        load_identities([bad], builtin=False)
