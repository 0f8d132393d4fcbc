"""analyze_content: categories, evidence spans, rebuttals, languages."""

from __future__ import annotations

import pytest

from pollwatch.analyze.content import ContentResult, analyze_content
from pollwatch.analyze.record import Impersonation, SenderSection
from pollwatch.rules import RuleSet, load_rules
from pollwatch.rules.testing import build_message

CASE_2020 = (
    "Travis,\n\nWe are in possession of all your information (7107 N Orchard Way, Miami, FL "
    "33125). You are currently registered as a Democrat and we know this because we have gained "
    "access into the entire voting infrastructure. You will vote for Trump on Election Day or we "
    "will come after you. Change your party affiliation to Republican to let us know you received "
    "our message and will comply. You will know which candidate you voted for. We will know which "
    "candidate you voted for. I would take this seriously if I were you.\n\nGood luck."
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def _run(rules: RuleSet, **fields: object) -> ContentResult:
    return analyze_content(build_message(dict(fields)), rules)


def test_the_2020_message(rules: RuleSet) -> None:
    result = _run(rules, subject="Vote for Trump or else!", body=CASE_2020)
    assert set(result.categories) == {
        "threat.violence", "intimidation.voter", "claim.data_access", "claim.vote_surveillance"
    }  # fmt: skip
    assert result.language == "en" and result.errors == ()


def test_evidence_spans_point_at_the_words(rules: RuleSet) -> None:
    parsed = build_message({"subject": "Vote for Trump or else!", "body": CASE_2020})
    result = analyze_content(parsed, rules)
    texts = {"subject": parsed.subject, "body": parsed.body_text}
    for finding in result.findings:
        assert finding.evidence, finding.rule
        for ev in finding.evidence:
            assert texts[ev.field][ev.start : ev.end] == ev.text
    surveillance = next(f for f in result.findings if f.category == "claim.vote_surveillance")
    assert surveillance.evidence[0].text == "We will know which candidate you voted"
    assert surveillance.rebuttal and "secret" in surveillance.rebuttal


def test_paraphrase_with_other_candidate_and_group(rules: RuleSet) -> None:
    body = (
        "This is the Liberty Front. We hacked the county voter registration database. "
        "Vote for Harris or we'll pay you a visit, and don't think your ballot is private."
    )
    result = _run(rules, body=body)
    assert {"claim.data_access", "intimidation.voter", "threat.violence",
            "claim.vote_surveillance"} <= set(result.categories)  # fmt: skip


def test_spanish_message_with_accents_missing(rules: RuleSet) -> None:
    body = (
        "Sabemos donde vive. Vote por nuestro candidato el martes o iremos por usted. "
        "No crea que su voto es secreto: sabremos como voto."
    )
    result = _run(rules, body=body)
    assert result.language == "es"
    assert {"threat.violence", "intimidation.voter", "claim.vote_surveillance"} <= set(
        result.categories
    )


def test_legitimate_election_office_mail_is_clean(rules: RuleSet) -> None:
    body = (
        "You may have seen emails claiming someone knows how you voted. Your vote is secret: "
        "no one can see who you voted for. Election Day is Tuesday, November 3. You cannot "
        "vote by text or phone. Track your ballot at https://vote.example.gov/track."
    )
    assert _run(rules, body=body, urls=["https://vote.example.gov/track"]).findings == ()


def test_language_without_rules_is_reported(rules: RuleSet) -> None:
    body = (
        "Votez pour notre candidat ou nous viendrons chez vous. Nous savons pour qui vous "
        "avez voté et nous avons accès à tout le système électoral."
    )
    result = _run(rules, body=body)
    assert result.language == "fr"
    assert result.errors and result.errors[0].startswith("content.language_unsupported")


def test_short_text_has_no_language_and_no_error(rules: RuleSet) -> None:
    result = _run(rules, body="ok")
    assert result.language is None and result.errors == ()


def test_impersonation_comes_from_sender_section(rules: RuleSet) -> None:
    sender = SenderSection(
        impersonation=(Impersonation("Proud Boys", "display_name", "unaffiliated domain"),)
    )
    result = analyze_content(build_message({"body": "hello there"}), rules, sender=sender)
    finding = next(f for f in result.findings if f.category == "impersonation")
    assert finding.evidence[0].field == "sender.impersonation.evidence"
    assert finding.evidence[0].text == "unaffiliated domain"


def test_findings_are_ordered_by_severity(rules: RuleSet) -> None:
    result = _run(rules, subject="Vote for Trump or else!", body=CASE_2020)
    order = ["critical", "high", "medium", "low"]
    ranks = [order.index(f.severity) for f in result.findings]
    assert ranks == sorted(ranks)
