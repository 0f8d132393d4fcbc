"""redact: masking and keyed hashing of personal data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollwatch.analyze.personal import find_personalization
from pollwatch.analyze.record import Personalization
from pollwatch.analyze.redact import normalise_value, redact
from pollwatch.errors import UsageError
from pollwatch.rules.testing import build_message

TEXT = "Travis, we know you live at 7107 N Orchard Way, Miami, FL 33125."


def test_mask_spans_from_personalization() -> None:
    parsed = build_message({"to": "Travis Hollowmere <th@example.com>", "body": TEXT})
    found = [p for p in find_personalization(parsed) if p.where == "body"]
    assert redact(TEXT, found) == "[REDACTED:name], we know you live at [REDACTED:address]."


def test_mask_values_case_insensitive() -> None:
    assert redact("TRAVIS and travis", ["Travis"]) == "[REDACTED:pii] and [REDACTED:pii]"


def test_hash_is_keyed_stable_and_normalised() -> None:
    a = redact("Main St.", [(0, 8, "address")], mode="hash", key="k1")
    b = redact("main  st", [(0, 8, "address")], mode="hash", key="k1")
    c = redact("Main St.", [(0, 8, "address")], mode="hash", key="k2")
    assert a == b != c
    assert a.startswith("[address:") and "Main" not in a


def test_hash_requires_a_key() -> None:
    with pytest.raises(UsageError):
        redact(TEXT, ["Travis"], mode="hash")


def test_overlapping_spans_merge() -> None:
    spans = [Personalization("name", "Travis", 0, 6), (3, 10, "pii")]
    assert redact("Travis Hollowmere", spans) == "[REDACTED:name]lowmere"


def test_normalise_value() -> None:
    assert normalise_value("  Núñez,  José ") == normalise_value("nunez jose")


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70))))
def test_redact_never_raises_and_keeps_text_outside_spans(
    text: str, spans: list[tuple[int, int]]
) -> None:
    out = redact(text, spans)
    if not any(min(e, len(text)) > max(s, 0) for s, e in spans):
        assert out == text
