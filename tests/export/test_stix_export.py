"""STIX 2.1 export: round trip through stix2, content, markings, determinism."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import msgspec
import pytest
import stix2

from pollwatch.errors import UsageError
from pollwatch.export.case import Case
from pollwatch.export.stix import pattern, stix_bundle
from support.cases import make_case


def _objects(text: str) -> dict[str, Any]:
    bundle = stix2.parse(text, allow_custom=False)
    return {o.id: o for o in bundle.objects}


def _of_type(objects: dict[str, Any], kind: str) -> list[Any]:
    return [o for o in objects.values() if o.type == kind]


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


@pytest.fixture(scope="module")
def objects(case: Case) -> dict[str, Any]:
    return _objects(stix_bundle([case]))


def test_bundle_parses_back_with_every_kind_of_object(objects: dict[str, Any]) -> None:
    kinds = Counter(o.type for o in objects.values())
    for kind in (
        "identity",
        "campaign",
        "indicator",
        "relationship",
        "sighting",
        "observed-data",
        "email-message",
        "email-addr",
        "marking-definition",
        "note",
    ):
        assert kinds[kind] >= 1, kind
    assert kinds["campaign"] == 1 and kinds["identity"] == 1


def test_every_edge_ip_is_an_indicator_of_the_campaign(case: Case, objects: dict[str, Any]) -> None:
    campaign = _of_type(objects, "campaign")[0]
    patterns = {o.pattern: o.id for o in _of_type(objects, "indicator")}
    indicates = {
        (r.source_ref, r.target_ref)
        for r in _of_type(objects, "relationship")
        if r.relationship_type == "indicates"
    }
    edges = {a.path.edge.ip for a in case.sample if a.path.edge}
    assert len(edges) >= 3
    for ip in edges:
        kind = "ipv6-addr" if ":" in ip else "ipv4-addr"
        indicator = patterns[f"[{kind}:value = '{ip}']"]
        assert (indicator, campaign.id) in indicates


def test_indicators_cover_sender_address_domain_and_urls(
    case: Case, objects: dict[str, Any]
) -> None:
    patterns = {o.pattern for o in _of_type(objects, "indicator")}
    assert "[email-addr:value = 'info@officialproudboys.com']" in patterns
    assert "[domain-name:value = 'officialproudboys.com']" in patterns
    assert len(patterns) == len(case.campaign.indicators)


def test_sighting_counts_equal_indicator_counts(case: Case, objects: dict[str, Any]) -> None:
    by_pattern = {pattern(i.type, i.value): i for i in case.campaign.indicators}
    sightings = _of_type(objects, "sighting")
    assert len(sightings) == len(case.campaign.indicators)
    for sighting in sightings:
        indicator = by_pattern[objects[sighting.sighting_of_ref].pattern]
        assert sighting.count == indicator.count
        assert sighting.first_seen == case.campaign.first_seen
        assert sighting.last_seen == case.campaign.last_seen
        for ref in sighting.get("observed_data_refs", []):
            assert objects[ref].type == "observed-data"


def test_edge_sightings_point_at_the_messages_that_used_the_relay(
    case: Case, objects: dict[str, Any]
) -> None:
    edge_ip = case.sample[0].path.edge.ip  # type: ignore[union-attr]
    target = next(o.id for o in _of_type(objects, "indicator") if f"'{edge_ip}'" in o.pattern)
    sighting = next(s for s in _of_type(objects, "sighting") if s.sighting_of_ref == target)
    used = sum(1 for a in case.sample if a.path.edge and a.path.edge.ip == edge_ip)
    assert len(sighting.observed_data_refs) == used


def test_tlp_marking_on_every_object(objects: dict[str, Any]) -> None:
    for obj in objects.values():
        if obj.type != "marking-definition":
            assert obj.object_marking_refs == [stix2.TLP_AMBER.id], obj.id
    assert stix2.TLP_AMBER.id in objects


@pytest.mark.parametrize(("level", "marking"), [
    ("red", stix2.TLP_RED), ("green", stix2.TLP_GREEN), ("clear", stix2.TLP_WHITE),
    ("TLP:WHITE", stix2.TLP_WHITE),
])  # fmt: skip
def test_tlp_levels(case: Case, level: str, marking: Any) -> None:
    objects = _objects(stix_bundle([case], tlp=level))
    assert marking.id in objects
    assert all(marking.id in o.object_marking_refs for o in _of_type(objects, "indicator"))


def test_unknown_tlp_is_refused(case: Case) -> None:
    with pytest.raises(UsageError):
        stix_bundle([case], tlp="purple")


def test_email_observations_carry_the_hops_in_path_order(
    case: Case, objects: dict[str, Any]
) -> None:
    messages = {objects[o.to_refs[0]].value: o for o in _of_type(objects, "email-message")}
    assert len(messages) == len(case.sample)
    assert sum(len(m.get("received_lines", [])) >= 2 for m in messages.values()) >= 15
    for analysis in case.sample:
        email = messages[analysis.message.to[0].address]
        assert email.get("received_lines", []) == [h.raw for h in analysis.path.hops]
        assert email.subject == analysis.message.subject
        assert email.get("date") == analysis.message.date
        assert objects[email.from_ref].value == analysis.message.from_.address  # type: ignore[union-attr]
        assert [objects[r].value for r in email.to_refs] == [t.address for t in analysis.message.to]


def test_observed_data_holds_its_message_and_addresses(objects: dict[str, Any]) -> None:
    for observed in _of_type(objects, "observed-data"):
        kinds = Counter(objects[ref].type for ref in observed.object_refs)
        assert kinds["email-message"] == 1 and kinds["email-addr"] >= 2
        email = objects[observed.object_refs[0]]
        assert {email.from_ref, *email.to_refs} <= set(observed.object_refs)


def test_campaign_carries_window_and_description(case: Case, objects: dict[str, Any]) -> None:
    campaign = _of_type(objects, "campaign")[0]
    record = case.campaign
    assert campaign.name == record.label
    assert campaign.first_seen == record.first_seen and campaign.last_seen == record.last_seen
    assert (
        f"{record.size} messages to {record.recipients} distinct recipients" in campaign.description
    )
    assert f"in {len(record.waves)} waves" in campaign.description
    assert all(c in campaign.description for c in record.categories)
    assert campaign.created == case.generated_at


def test_same_case_gives_the_same_bundle(case: Case) -> None:
    first = stix_bundle([case])
    assert stix_bundle([make_case()]) == first
    later = msgspec.structs.replace(case, generated_at=case.generated_at.replace(year=2021))
    assert stix_bundle([later]) != first
    assert json.loads(first)["id"].startswith("bundle--")


def test_two_campaigns_share_one_indicator_per_value(case: Case) -> None:
    other = msgspec.structs.replace(
        case, campaign=msgspec.structs.replace(case.campaign, campaign_id="C-test0002"), sample=()
    )
    objects = _objects(stix_bundle([case, other]))
    assert len(_of_type(objects, "campaign")) == 2
    assert len(_of_type(objects, "indicator")) == len(case.campaign.indicators)
    assert len(_of_type(objects, "sighting")) == 2 * len(case.campaign.indicators)
    sender = next(
        o
        for o in _of_type(objects, "indicator")
        if "officialproudboys.com'" in o.pattern and o.pattern.startswith("[email")
    )
    assert "C-test0001" in sender.description and "C-test0002" in sender.description


def test_patterns_escape_quotes_and_backslashes() -> None:
    text = pattern("url", "http://example.test/it's\\here")
    assert text == "[url:value = 'http://example.test/it\\'s\\\\here']"
    stix2.v21.Indicator(pattern=text, pattern_type="stix", valid_from="2020-10-20T00:00:00Z")


def test_no_case_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        stix_bundle([])
