"""Behaviour of ``pollwatch.synth.generate``: determinism, labels, realism."""

from __future__ import annotations

import email
import email.header
import email.policy
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from email.message import Message
from functools import cache

import pytest

from pollwatch.synth import CATEGORIES, KINDS, SynthConfig, SynthMessage, generate, plan
from pollwatch.synth.parallel import generate_parallel
from pollwatch.synth.people import (
    FIRST_NAMES_EN,
    FIRST_NAMES_ES,
    SURNAMES_EN,
    SURNAMES_ES,
)

SAMPLE = 600


@cache
def sample() -> tuple[SynthMessage, ...]:
    return tuple(generate(SynthConfig(count=SAMPLE, seed=7)))


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def texts(msg: Message) -> Iterator[str]:
    """Every decoded text part, descending into attached messages and .eml files."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype.startswith("text/"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            yield payload.decode(part.get_content_charset() or "utf-8")
        elif ctype == "application/octet-stream":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            yield from texts(parse(data))


def body_text(raw: bytes) -> str:
    return "\n".join(texts(parse(raw)))


def test_same_seed_gives_same_bytes_and_labels() -> None:
    a = list(generate(SynthConfig(count=80, seed=11)))
    b = list(generate(SynthConfig(count=80, seed=11)))
    assert a == b
    c = list(generate(SynthConfig(count=80, seed=12)))
    assert [m.raw for m in a] != [m.raw for m in c]


def test_prefix_of_a_longer_run_is_identical() -> None:
    short = list(generate(SynthConfig(count=30, seed=5)))
    longer = list(generate(SynthConfig(count=60, seed=5)))
    assert longer[:30] == short


def test_label_sha256_is_the_hash_of_the_raw_bytes() -> None:
    for m in sample():
        assert m.label.sha256 == hashlib.sha256(m.raw).hexdigest()


def test_every_message_parses_without_defects() -> None:
    for m in sample():
        msg = parse(m.raw)
        defects = [d for part in msg.walk() for d in part.defects]
        assert not defects, (m.label.index, defects)
        assert msg["Date"] and msg["From"] and msg["Message-ID"]


def test_all_kinds_and_providers_occur() -> None:
    kinds = {m.label.kind for m in sample()}
    providers = {m.label.provider for m in sample()}
    assert kinds == set(KINDS)
    assert providers == {"gmail", "yahoo", "comcast", "m365", "university"}


def test_categories_are_from_the_closed_vocabulary() -> None:
    for m in sample():
        assert set(m.label.categories) <= set(CATEGORIES)
        if m.label.kind in ("legit_election", "fundraising", "newsletter"):
            assert m.label.categories == ()
        if m.label.kind == "intimidation":
            assert "intimidation.voter" in m.label.categories


def test_personalised_fields_occur_in_the_decoded_body() -> None:
    seen = set()
    for m in sample():
        text = body_text(m.raw)
        for field in m.label.personalization:
            assert field.text in text, (m.label.index, field)
            seen.add(field.field)
    assert {"name", "address", "phone", "party", "precinct", "voter_id", "email"} <= seen


def test_recipient_names_come_from_the_invented_lists() -> None:
    firsts = set(FIRST_NAMES_EN) | set(FIRST_NAMES_ES)
    lasts = set(SURNAMES_EN) | set(SURNAMES_ES)
    for m in sample():
        for field in m.label.personalization:
            if field.field == "name":
                parts = field.text.split(" ", 1)
                assert parts[0] in firsts
                if len(parts) == 2:
                    assert parts[1] in lasts
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+", m.label.recipient)
        for field in m.label.personalization:
            if field.field == "phone":
                assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", field.text)


def test_to_header_carries_the_recipient_name() -> None:
    for m in sample():
        if m.label.report_kind is not None or m.label.mailer == "relay-exim":
            continue
        to = parse(m.raw)["To"]
        decoded = str(email.header.make_header(email.header.decode_header(to)))
        assert m.label.recipient in decoded
        assert re.search(r"\S+ \S+ <", decoded), decoded


def test_intimidation_campaign_waves_use_one_relay_country_each() -> None:
    config = SynthConfig(count=SAMPLE, seed=7)
    first = next(c for c in plan(config) if c.id == "intim-01")
    assert first.actor.address == "info@officialproudboys.com"
    assert [w.relays[0].block.country for w in first.waves][:4] == ["EE", "SA", "AE", "SG"]
    countries: dict[int, set[str]] = defaultdict(set)
    for m in sample():
        if m.label.campaign == "intim-01":
            assert m.label.wave is not None
            countries[m.label.wave].add(m.label.edge_country)
            assert m.label.sender == "info@officialproudboys.com"
    assert all(len(c) == 1 for c in countries.values())
    assert {"EE", "SA", "AE", "SG"} <= set().union(*countries.values())


def test_wave_messages_fall_in_the_wave_window() -> None:
    config = SynthConfig(count=SAMPLE, seed=7)
    windows = {
        (c.id, w.number): (w.start_s, w.start_s + w.duration_s)
        for c in plan(config)
        for w in c.waves
    }
    for m in sample():
        if m.label.campaign is None:
            assert m.label.wave is None
            continue
        lo, hi = windows[(m.label.campaign, m.label.wave)]  # type: ignore[index]
        offset = (m.label.sent_at - config.start).total_seconds()
        assert lo - 1 <= offset <= hi + 1


def test_edge_ip_appears_in_the_recipient_side_received_header() -> None:
    for m in sample():
        if m.label.report_kind is not None:
            continue
        received = parse(m.raw).get_all("Received") or []
        assert any(m.label.edge_ip in r for r in received), m.label.index
        if m.label.origin_ip != m.label.edge_ip:
            assert any(m.label.origin_ip in r for r in received)


def test_attachment_reports_embed_the_original_bytes_exactly() -> None:
    found = 0
    for m in sample():
        if m.label.report_kind != "attachment":
            continue
        found += 1
        msg = parse(m.raw)
        assert msg["Subject"].startswith(("Fwd:", "FW:", "RV:", "=?"))
        for part in msg.walk():
            if part.get_content_type() == "application/octet-stream":
                data = part.get_payload(decode=True)
                assert isinstance(data, bytes)
                assert hashlib.sha256(data).hexdigest() == m.label.inner_sha256
            if part.get_content_type() == "message/rfc822":
                start = m.raw.index(b"\n\n", m.raw.index(b"message/rfc822")) + 2
                inner = m.raw[start : start + len(m.raw)]
                boundary = part.get_param("boundary") or msg.get_boundary()
                assert boundary is not None
                inner = inner[: inner.index(b"\n--" + boundary.encode())]
                assert hashlib.sha256(inner).hexdigest() == m.label.inner_sha256
    assert found


def test_inline_reports_quote_the_original_without_its_headers() -> None:
    markers = (
        "---------- Forwarded message ---------",
        "-----Original Message-----",
        "---------- Mensaje reenviado ---------",
    )
    found = 0
    for m in sample():
        if m.label.report_kind != "inline":
            continue
        found += 1
        text = body_text(m.raw)
        assert any(k in text for k in markers)
        assert m.label.inner_sha256 is None and m.label.reporter == m.label.recipient
    assert found


def test_spanish_messages_have_encoded_subjects_that_decode() -> None:
    spanish = [m for m in sample() if m.label.language == "es"]
    assert spanish
    for m in spanish:
        subject = parse(m.raw)["Subject"]
        decoded = str(email.header.make_header(email.header.decode_header(subject)))
        assert decoded.isascii() or "=?" in subject


def test_addresses_parse_as_us_addresses() -> None:
    usaddress = pytest.importorskip("usaddress")
    for m in sample()[:200]:
        for field in m.label.personalization:
            if field.field == "address" and "," in field.text and field.text[-5:].isdigit():
                tags, kind = usaddress.tag(field.text)
                assert kind == "Street Address"
                assert tags["ZipCode"] == field.text[-5:]


def test_generate_from_a_later_message_gives_the_same_tail():
    config = SynthConfig(count=60, seed=5)
    whole = [m.raw for m in generate(config)]
    tail = [m.raw for m in generate(config, first=45)]
    assert tail == whole[45:]
    assert [m.label.index for m in generate(config, first=58)] == [58, 59]


def test_generate_stops_before_stop():
    config = SynthConfig(count=60, seed=5)
    assert [m.label.index for m in generate(config, first=10, stop=13)] == [10, 11, 12]
    assert [m.label.index for m in generate(config, first=58, stop=99)] == [58, 59]


def test_parallel_generation_gives_the_same_messages_in_order():
    config = SynthConfig(count=130, seed=3)
    serial = [m.raw for m in generate(config)]
    assert [m.raw for m in generate_parallel(config, 2, block=25)] == serial
    assert [m.raw for m in generate_parallel(config, 1, block=25)] == serial
