"""Public advisory drafts: facts from the case, rebuttals of the rules that fired, no PII."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import msgspec
import pytest

from pollwatch.analyze.context import shipped_rules
from pollwatch.errors import UsageError
from pollwatch.export.advisory import ES, render_advisory
from pollwatch.export.case import Case
from pollwatch.rules import RuleSet
from pollwatch.rules.taxonomy import CATEGORIES, Reference
from support.cases import campaign_messages, make_case

PII_FIELDS = {"name", "address", "email", "phone", "voter_id"}


def fired_rebuttals(case: Case) -> dict[str, str]:
    """category -> rebuttal text, for every finding with a rebuttal in the case's sample."""
    return {f.category: f.rebuttal for a in case.sample for f in a.findings if f.rebuttal}


def with_template(case: Case, body: str, subject: str | None = None) -> Case:
    template = msgspec.structs.replace(
        case.campaign.template, body=body, subject=subject or case.campaign.template.subject
    )
    return msgspec.structs.replace(
        case, campaign=msgspec.structs.replace(case.campaign, template=template)
    )


@pytest.fixture(scope="module")
def drafts() -> dict[str, str]:
    return {lang: render_advisory(make_case(), lang=lang) for lang in ("en", "es")}


def test_english_draft_has_the_rebuttals_of_the_rules_that_fired(drafts: dict[str, str]) -> None:
    texts = set(fired_rebuttals(make_case()).values())
    assert len(texts) >= 3
    for text in texts:
        assert text in drafts["en"]
    assert "Your ballot is secret." in drafts["en"]


def test_spanish_draft_has_them_translated(drafts: dict[str, str]) -> None:
    fired = fired_rebuttals(make_case())
    for category, english in fired.items():
        assert ES.rebuttals[category] in drafts["es"]
        assert english not in drafts["es"]
    assert "Su voto es secreto." in drafts["es"]


def test_every_category_rebuttal_has_a_spanish_version() -> None:
    with_rebuttal = {name for name, category in CATEGORIES.items() if category.rebuttal}
    assert set(ES.rebuttals) == with_rebuttal
    assert set(ES.claims) >= with_rebuttal


@pytest.mark.parametrize("lang", ["en", "es"])
def test_draft_names_the_claimed_sender(drafts: dict[str, str], lang: str) -> None:
    assert "`Proud Boys <info@officialproudboys.com>`" in drafts[lang]
    assert "Proud Boys" in drafts[lang].splitlines()[0]  # the headline


@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        ("en", ["We know of {size} copies", "sent to {recipients} different email addresses",
                "{reports} people who received it reported it", "in {waves} waves",
                "Between October 19 and October 23, 2020"]),
        ("es", ["Conocemos {size} copias", "Llegaron a {recipients} direcciones",
                "{reports} personas que lo recibieron nos lo reportaron", "en {waves} oleadas",
                "Entre el 19 de octubre y el 23 de octubre de 2020"]),
    ],
)  # fmt: skip
def test_draft_states_the_counts(drafts: dict[str, str], lang: str, phrases: list[str]) -> None:
    campaign = make_case().campaign
    facts = {"size": campaign.size, "recipients": campaign.recipients,
             "reports": campaign.reports, "waves": len(campaign.waves)}  # fmt: skip
    for phrase in phrases:
        assert phrase.format(**facts) in drafts[lang]


def recipient_data() -> set[str]:
    values: set[str] = set()
    for _, label, _ in campaign_messages():
        values.add(label.recipient)
        values.add(label.recipient.split("@")[0])
        for item in label.personalization:
            if item.field in PII_FIELDS:
                values.add(item.text)
                values.add(item.text.split(",")[0])  # the street line alone
    return {v for v in values if len(v) >= 4}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_draft_holds_no_recipient_data(drafts: dict[str, str], lang: str) -> None:
    values = recipient_data()
    fields = {i.field for _, label, _ in campaign_messages() for i in label.personalization}
    assert {"name", "address"} <= fields and len(values) > 40
    text = drafts[lang].casefold()
    assert [v for v in values if v.casefold() in text] == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_recipient_data_in_the_template_is_masked(lang: str) -> None:
    _, label, _ = campaign_messages()[0]
    street = next(i.text for i in label.personalization if i.field == "address")
    body = f"{label.recipient}, we know you live at {street}.\nVote or else!"
    draft = render_advisory(with_template(make_case(), body), lang=lang)
    assert label.recipient not in draft
    assert street not in draft
    assert "Vote or else!" in draft


def test_template_slots_become_placeholders(drafts: dict[str, str]) -> None:
    assert "> [name]," in drafts["en"]
    assert "> [nombre]," in drafts["es"]
    assert "[home address]" in drafts["en"] and "{address}" not in drafts["en"]


def test_hostile_template_is_inert() -> None:
    body = ("<script>alert(1)</script>\n[Click here](http://evil.example/v?x=1) "
            "or www.evil.example\n# Not a heading\n- not a list")  # fmt: skip
    draft = render_advisory(with_template(make_case(), body, subject="**Urgent** <b>vote</b>"))
    prose = re.sub(r"`[^`]*`|^> ", "", draft.split("## Sources")[0], flags=re.M)
    assert not re.search(r"(?<!\\)[<>]", prose)  # no raw HTML outside code spans
    assert "http://evil.example" not in draft and "www.evil.example" not in draft
    assert "hxxp://evil[.]example" in draft
    assert "> \\# Not a heading" in draft and "> \\- not a list" in draft
    assert "\\*\\*Urgent\\*\\*" in draft


@pytest.mark.parametrize("lang", ["en", "es"])
def test_contact_lines_are_marked_to_fill(drafts: dict[str, str], lang: str) -> None:
    contact = drafts[lang].split("## Conta")[1].split("##")[0]
    lines = [line.strip() for line in contact.splitlines()[1:] if line.strip()]
    assert len(lines) == 5
    assert all(line.startswith("[TO FILL: ") and line.endswith("]") for line in lines)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_reporting_steps(drafts: dict[str, str], lang: str) -> None:
    assert "https://tips.fbi.gov" in drafts[lang] and "https://www.ic3.gov" in drafts[lang]
    assert "911" in drafts[lang]  # the campaign threatens violence


def test_references_come_from_the_rules_that_fired() -> None:
    case = make_case()
    fired = case.sample[0].findings[0].rule
    rule = shipped_rules().get(fired)
    assert rule is not None
    extra = Reference("Guidance written for this test", "https://example.org/guidance")
    rules = RuleSet((dataclasses.replace(rule, references=(*rule.references, extra)),))
    assert "(<https://example.org/guidance>)" in render_advisory(case, rules=rules)
    assert "example.org/guidance" not in render_advisory(case)


def test_only_facts_of_the_case_are_stated() -> None:
    case = make_case()
    one_wave = msgspec.structs.replace(
        case.campaign, reports=0, waves=case.campaign.waves[:1],
        first_seen=datetime(2020, 10, 20, 18, tzinfo=UTC),
        last_seen=datetime(2020, 10, 20, 19, tzinfo=UTC), recipients_by_state={},
    )  # fmt: skip
    draft = render_advisory(msgspec.structs.replace(case, campaign=one_wave))
    assert "On October 20, 2020, people received this email." in draft
    assert "reported it to us" not in draft and "waves" not in draft
    assert "States of the people" not in draft


def test_case_without_findings_or_sample_still_renders() -> None:
    case = make_case()
    bare = msgspec.structs.replace(
        case, sample=(), campaign=msgspec.structs.replace(case.campaign, categories=())
    )
    for lang in ("en", "es"):
        draft = render_advisory(bare, lang=lang)
        assert "## " in draft and "[TO FILL: " in draft
        assert "## This email is false" not in draft and "## Este correo es falso" not in draft


@pytest.mark.parametrize("lang", ["fr", "EN", ""])
def test_unknown_language_is_a_usage_error(lang: str) -> None:
    with pytest.raises(UsageError, match="language"):
        render_advisory(make_case(), lang=lang)
