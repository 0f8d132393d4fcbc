"""MISP export: round trip through pymisp, attributes, email objects, tags, determinism."""

from __future__ import annotations

import msgspec
import pytest
from pymisp import MISPEvent, MISPObject

from pollwatch.cluster.record import Indicator
from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.misp import misp_event
from support.cases import make_case


def _load(text: str) -> MISPEvent:
    event = MISPEvent()
    event.load(text)
    return event


def _relations(obj: MISPObject, relation: str) -> list[object]:
    return [a.value for a in obj.attributes if a.object_relation == relation]


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


@pytest.fixture(scope="module")
def event(case: Case) -> MISPEvent:
    return _load(misp_event([case]))


def test_event_loads_back_with_every_indicator_as_an_ids_attribute(
    case: Case, event: MISPEvent
) -> None:
    kinds = {"ipv4": "ip-src", "ipv6": "ip-src", "domain": "domain", "url": "url"}
    expected = {(kinds.get(i.type, "email-src"), i.value) for i in case.campaign.indicators}
    got = {(a.type, a.value) for a in event.attributes if a.to_ids}
    assert got == expected
    edges = {a.path.edge.ip for a in case.sample if a.path.edge}
    assert edges <= {value for kind, value in got if kind == "ip-src"}


def test_attribute_comments_carry_role_count_and_window(case: Case, event: MISPEvent) -> None:
    by_value = {a.value: a for a in event.attributes}
    for indicator in case.campaign.indicators:
        attribute = by_value[indicator.value]
        assert f"{indicator.count} of {case.campaign.size} messages" in attribute.comment
        assert case.campaign.campaign_id in attribute.comment
        assert attribute.first_seen == case.campaign.first_seen
        assert attribute.last_seen == case.campaign.last_seen
    edge = next(i for i in case.campaign.indicators if i.role == "edge")
    assert "edge relay" in by_value[edge.value].comment


def test_event_header_and_tags(case: Case, event: MISPEvent) -> None:
    assert case.campaign.campaign_id in event.info and case.campaign.label in event.info
    assert event.date == case.campaign.first_seen.date()  # type: ignore[union-attr]
    assert int(event.threat_level_id) == 1  # threats of violence
    assert int(event.analysis) == 2
    tags = {t.name for t in event.tags}
    assert "tlp:amber" in tags
    assert f'pollwatch:campaign="{case.campaign.campaign_id}"' in tags
    assert {f'pollwatch:category="{c}"' for c in case.campaign.categories} <= tags
    assert not any("galaxy" in t for t in tags)


def test_summary_attribute_describes_the_campaign(case: Case, event: MISPEvent) -> None:
    summary = next(a for a in event.attributes if a.type == "text")
    assert f"{case.campaign.size} messages to {case.campaign.recipients}" in summary.value
    assert "wave 4" in summary.value and summary.to_ids is False


def test_email_objects_for_sampled_members(case: Case, event: MISPEvent) -> None:
    emails = [o for o in event.objects if o.name == "email"]
    assert len(emails) == len(case.sample)
    for obj, analysis in zip(emails, case.sample, strict=True):
        message = analysis.message
        assert _relations(obj, "from") == [message.from_.address]  # type: ignore[union-attr]
        assert _relations(obj, "to") == [t.address for t in message.to]
        assert _relations(obj, "subject") == [message.subject]
        assert _relations(obj, "message-id") == ([message.message_id] if message.message_id else [])
        assert _relations(obj, "send-date") == ([message.date] if message.date else [])
        hops = [h.from_ip for h in analysis.path.hops if h.from_ip]
        assert _relations(obj, "received-header-ip") == hops
        assert case.campaign.campaign_id in obj.comment
        assert not any(a.to_ids for a in obj.attributes)


def test_received_header_keeps_header_order(case: Case, event: MISPEvent) -> None:
    obj = next(o for o in event.objects if o.name == "email")
    header = str(_relations(obj, "header")[0]).split("\n")
    hops = case.sample[0].path.hops
    assert header == [f"Received: {h.raw}" for h in reversed(hops)]


def test_same_case_gives_the_same_event(case: Case) -> None:
    first = misp_event([case])
    assert misp_event([make_case()]) == first
    assert misp_event([case], tlp="red") != first


def test_tlp_levels(case: Case) -> None:
    assert "tlp:red" in {t.name for t in _load(misp_event([case], tlp="red")).tags}
    assert "tlp:clear" in {t.name for t in _load(misp_event([case], tlp="clear")).tags}
    with pytest.raises(UsageError):
        misp_event([case], tlp="purple")


def test_recipient_indicators_are_not_exported_as_ids(case: Case) -> None:
    victim = Indicator(type="email", value="victim@example.test", count=1, role="to")
    record = msgspec.structs.replace(case.campaign, indicators=(*case.campaign.indicators, victim))
    event = _load(misp_event([msgspec.structs.replace(case, campaign=record, sample=())]))
    assert "victim@example.test" not in {a.value for a in event.attributes}


def test_shared_indicator_is_one_attribute_tagged_with_both_campaigns(case: Case) -> None:
    other = msgspec.structs.replace(
        case, campaign=msgspec.structs.replace(case.campaign, campaign_id="C-test0002"), sample=()
    )
    event = _load(misp_event([case, other]))
    sender = [a for a in event.attributes if a.value == "info@officialproudboys.com"]
    assert len(sender) == 1
    tags = {t.name for t in sender[0].tags}
    assert tags == {'pollwatch:campaign="C-test0001"', 'pollwatch:campaign="C-test0002"'}
    assert "2 campaigns" in event.info
