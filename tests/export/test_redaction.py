"""Redaction of recipient data in a case and in every export built from it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import msgspec
import pytest

from pollwatch.analyze.record import Evidence, Finding
from pollwatch.cluster.record import Indicator, SlotStat
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.indicators_csv import indicators_csv
from pollwatch.export.misp import misp_event
from pollwatch.export.redaction import redact_case
from pollwatch.export.stix import stix_bundle
from pollwatch.synth import Label
from support.cases import campaign_messages, make_case

KEY = b"test-redaction-key"
PERSONAL = ("name", "address", "phone", "voter_id", "email")


def _personal(label: Label) -> Iterator[str]:
    """A recipient's mailbox, name, street address and other identifying data."""
    yield label.recipient
    if label.reporter:
        yield label.reporter
    yield from (p.text for p in label.personalization if p.field in PERSONAL)


def _everyone() -> list[str]:
    return sorted({v for _, label, _ in campaign_messages() for v in _personal(label)})


def _sampled(case: Case) -> list[str]:
    sample = {a.message.sha256 for a in case.sample}
    return sorted({v for _, label, a in campaign_messages() if a.message.sha256 in sample
                   for v in _personal(label)})  # fmt: skip


def _searchable(text: str) -> str:
    """The text and, for JSON, its decoded form (``\\u00ed`` must not hide a name)."""
    try:
        decoded = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        decoded = ""
    return (text + "\n" + decoded).casefold()


def _leaks(text: str, values: list[str]) -> list[str]:
    haystack = _searchable(text)
    return [v for v in values if v.casefold() in haystack]


@pytest.fixture(scope="module")
def case() -> Case:
    """The fixture case, its campaign also listing each sampled recipient as an indicator."""
    base = make_case()
    victims = tuple(Indicator(type="email", value=t.address, count=1, role="to")
                    for a in base.sample for t in a.message.to)  # fmt: skip
    record = msgspec.structs.replace(
        base.campaign, indicators=(*base.campaign.indicators, *victims)
    )
    return msgspec.structs.replace(base, campaign=record)


Export = Callable[..., str]
EXPORTS: list[Export] = [stix_bundle, misp_event, indicators_csv]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.__name__)
def test_plain_exports_do_contain_the_recipients(case: Case, export: Export) -> None:
    wanted = (
        _sampled(case)
        if export is not indicators_csv
        else [t.address for a in case.sample for t in a.message.to]
    )
    assert len(wanted) >= 60 or export is indicators_csv
    assert _leaks(export([case]), wanted) == wanted


@pytest.mark.parametrize("mode", ["mask", "hash"])
@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.__name__)
def test_redacted_exports_contain_no_recipient_data(case: Case, export: Export, mode: str) -> None:
    text = export([case], redact=True, redact_mode=mode, redact_key=KEY)
    assert _leaks(text, _everyone()) == []
    assert "REDACTED" in text if mode == "mask" else "[email:" in text


@pytest.mark.parametrize("mode", ["mask", "hash"])
def test_redacted_case_contains_no_recipient_data(case: Case, mode: str) -> None:
    redacted = redact_case(case, mode=mode, key=KEY)  # type: ignore[arg-type]
    assert _leaks(msgspec.json.encode(redacted).decode(), _everyone()) == []


def test_sender_side_data_stays(case: Case) -> None:
    redacted = redact_case(case)
    for before, after in zip(case.sample, redacted.sample, strict=True):
        assert after.message.from_ == before.message.from_
        assert after.message.return_path == before.message.return_path
        assert after.path.edge == before.path.edge and after.path.origin == before.path.origin
        assert [h.from_ip for h in after.path.hops] == [h.from_ip for h in before.path.hops]
        assert after.iocs == before.iocs
        assert [t.domain for t in after.message.to] == [t.domain for t in before.message.to]
        assert after.categories == before.categories
    kept = [i for i in case.campaign.indicators if i.role != "to"]
    assert [i for i in redacted.campaign.indicators if i.role != "to"] == kept
    assert redacted.campaign.recipients_by_provider == case.campaign.recipients_by_provider


def test_every_recipient_field_is_a_token(case: Case) -> None:
    redacted = redact_case(case)
    for analysis in redacted.sample:
        assert all(t.address == "[REDACTED:email]" for t in analysis.message.to)
        assert all(t.display in ("", "[REDACTED:name]") for t in analysis.message.to)
        for hop in analysis.path.hops:
            assert hop.envelope_for in (None, "[REDACTED:email]")
            assert not re.search(r"\bfor\s+<?[^\s<>;]+@", hop.raw), hop.raw
        assert analysis.report.reporter in (None, "[REDACTED:email]")
        for person in analysis.personalization:
            if person.field in PERSONAL:
                assert person.text == f"[REDACTED:{person.field}]"
            else:
                assert not person.text.startswith("[REDACTED")  # party, precinct stay
    assert all(i.value == "[REDACTED:email]" for i in redacted.campaign.indicators
               if i.role == "to")  # fmt: skip


def test_hash_tokens_link_the_same_value_and_depend_on_the_key(case: Case) -> None:
    one = redact_case(case, mode="hash", key=KEY)
    other = redact_case(case, mode="hash", key=b"another key")
    for analysis in one.sample:
        tokens = {h.envelope_for for h in analysis.path.hops if h.envelope_for}
        assert tokens <= {t.address for t in analysis.message.to}
    assert one.sample[0].message.to != other.sample[0].message.to
    assert redact_case(case, mode="hash", key=KEY) == one
    with pytest.raises(UsageError):
        redact_case(case, mode="hash")
    with pytest.raises(UsageError):
        redact_case(case, mode="blur")  # type: ignore[arg-type]


def test_evidence_overlapping_personal_data_loses_that_part(case: Case) -> None:
    analysis = next(
        a
        for a in case.sample
        if any(p.field == "name" and p.where == "body" for p in a.personalization)
    )
    name = next(p for p in analysis.personalization if p.field == "name")
    # evidence that starts two characters before the name and ends after it
    evidence = Evidence(field="body", start=name.start - 2, end=name.end + 4,
                        text=", " + name.text + " you")  # fmt: skip
    finding = Finding(rule="r", category="threat.violence", severity="high", title="t",
                      evidence=(evidence,))  # fmt: skip
    single = msgspec.structs.replace(case, sample=(msgspec.structs.replace(
        analysis, findings=(finding,)),))  # fmt: skip
    (redacted,) = redact_case(single).sample[0].findings[0].evidence
    assert redacted.text == ", [REDACTED:name] you"
    assert (redacted.start, redacted.end) == (evidence.start, evidence.end)


def test_names_quoted_anywhere_and_campaign_fields(case: Case) -> None:
    analysis = next(a for a in case.sample if any(t.display for t in a.message.to))
    display = analysis.message.to[0].display
    surname = display.split()[-1]
    subject = f"Mr. {surname}, {display.upper()}: vote or else"
    message = msgspec.structs.replace(analysis.message, subject=subject)
    template = msgspec.structs.replace(
        case.campaign.template,
        slots=(
            SlotStat(name="address", filled=1, distinct=1, examples=("12 Fake St, Tampa, FL",)),
        ),
    )
    record = msgspec.structs.replace(
        case.campaign,
        label=subject,
        template=template,
        recipients_by_provider={"someone@example.test": 1, "gmail.com": 2},
    )
    single = msgspec.structs.replace(
        case, campaign=record, sample=(msgspec.structs.replace(analysis, message=message),)
    )
    redacted = redact_case(single)
    assert redacted.sample[0].message.subject == \
        "Mr. [REDACTED:name], [REDACTED:name]: vote or else"  # fmt: skip
    assert redacted.campaign.label == redacted.sample[0].message.subject
    assert redacted.campaign.template.slots[0].examples == ("[REDACTED:address]",)
    assert redacted.campaign.recipients_by_provider == {"example.test": 1, "gmail.com": 2}


def test_mailbox_in_a_url_is_redacted(case: Case) -> None:
    analysis = case.sample[0]
    mailbox = analysis.message.to[0].address
    url = f"http://track.example.test/?u={mailbox.replace('@', '%40')}&v=1"
    iocs = msgspec.structs.replace(analysis.iocs, urls=(url,))
    single = msgspec.structs.replace(case, sample=(msgspec.structs.replace(analysis, iocs=iocs),))
    (redacted_url,) = redact_case(single).sample[0].iocs.urls
    assert redacted_url == "http://track.example.test/?u=[REDACTED:email]&v=1"
