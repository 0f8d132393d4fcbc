"""The personal-data shortcuts find exactly what the patterns and parsers they skip would."""

from __future__ import annotations

import re
import sys

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from pollwatch.analyze.personal import (
    _GROUPS,
    MIN_PHONE_DIGITS,
    MIN_PHONE_DIGITS_WITHOUT_PLUS,
    _case_probe,
    _find_emails,
    _find_groups,
    _find_phones,
    _name_spans,
    _Recipient,
)

WORD_CHARS = "abé_1'’-."
TEXT_CHARS = WORD_CHARS + " ,\n\t!"


def _pattern_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    pattern = r"(?<!\w)" + r"\W{1,3}".join(re.escape(w) for w in words) + r"(?!\w)"
    return [m.span() for m in re.finditer(pattern, text)]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.text(WORD_CHARS, min_size=1, max_size=4), min_size=1, max_size=3),
    st.text(TEXT_CHARS, max_size=40),
)
def test_name_spans_are_the_pattern_matches(words: list[str], filler: str) -> None:
    text = filler[: len(filler) // 2] + " ".join(words) + filler[len(filler) // 2 :]
    assert list(_name_spans(text, words)) == _pattern_spans(text, words)
    assert list(_name_spans(filler, words)) == _pattern_spans(filler, words)


def test_name_spans_with_punctuation_runs() -> None:
    text = "ana  maria, ana - maria; ana.....maria xana maria ana maria_ ana--maria"
    assert list(_name_spans(text, ["ana", "maria"])) == _pattern_spans(text, ["ana", "maria"])
    assert list(_name_spans(text, ["ana", "-maria"])) == _pattern_spans(text, ["ana", "-maria"])


@settings(max_examples=300, deadline=None)
@given(st.text("ab@.+-_ x1", max_size=40), st.sampled_from(["a@b.c", "ab.x@b", "x+1@a.b"]))
def test_emails_are_the_pattern_matches(text: str, address: str) -> None:
    text = text.replace("@", address, 1)
    recipient = _Recipient([], set(), {address})
    pattern = r"(?<![\w.+-])" + re.escape(address) + r"(?![\w-])"
    expected = [("email", m.start(), m.end()) for m in re.finditer(pattern, text.lower())]
    assert list(_find_emails(text, recipient)) == expected


def test_case_probe_keeps_every_case_insensitive_match_of_the_anchor_words() -> None:
    anchors = {c for _, _, groups in _GROUPS for group in groups for word in group for c in word}
    pattern = re.compile("[" + re.escape("".join(sorted(anchors))) + "]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if pattern.fullmatch(char):
            matched = [a for a in anchors if re.fullmatch(re.escape(a), char, re.IGNORECASE)]
            assert [_case_probe(char)] == matched, hex(code)


FRAGMENTS = [
    "You are registered as a ", "REGISTERED AS A ", "regiſtered as ", "your party: ",
    "Democrat", "DEMOCRATIC", "Republican", "No Party Affiliation", "demócrata", "Green",
    "usted es republicano", "change your affiliation to ", "precinct 12A", "PCT. 7",
    "distrito electoral 4", "voter ID 1234567", "número de votante 8765432", " ", ", ", "\n",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8))
def test_group_prefilter_never_hides_a_match(parts: list[str]) -> None:
    text = "".join(parts)
    expected = []
    for field, regex, _ in _GROUPS:
        for m in regex.finditer(text):
            window = text[max(0, m.start() - 30) : m.start() + 12]
            if field == "party" and re.search(r"\b(?:change|switch|cambie|cambiar|camb[ií]e)\b",
                                              window, re.IGNORECASE):  # fmt: skip
                continue
            expected.append((field, m.start(1), m.end(1)))
    assert list(_find_groups(text)) == expected


def _transform_growth(metadata: PhoneMetadata | None) -> int:
    """Digits a national-prefix transform rule can add (its literal digits)."""
    rule = (metadata.national_prefix_transform_rule if metadata else None) or ""
    return sum(c.isdigit() and (i == 0 or rule[i - 1] not in "\\$") for i, c in enumerate(rule))


def test_phone_digit_bounds_hold_for_every_region() -> None:
    with_plus, north_american = [], []
    us = PhoneMetadata.metadata_for_region("US")
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        main = phonenumbers.region_code_for_country_code(code)
        growth = _transform_growth(PhoneMetadata.metadata_for_region_or_calling_code(code, main))
        for region in regions:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            assert metadata is not None and metadata.general_desc is not None
            shortest = min(n for n in metadata.general_desc.possible_length if n > 0)
            with_plus.append(len(str(code)) + shortest - growth)
            if code == 1:
                north_american.append(shortest - _transform_growth(us))
    assert min(with_plus) >= MIN_PHONE_DIGITS
    assert min(*north_american, 3 + min(with_plus)) >= MIN_PHONE_DIGITS_WITHOUT_PLUS  # 011 ...


def _plain_phones(text: str) -> list[tuple[str, int, int]]:
    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID)
    out = []
    for match in matcher:
        national = str(match.number.national_number)
        if match.number.country_code == 1 and national[:3] in ("800", "833", "844", "855", "866",
                                                                "877", "888"):  # fmt: skip
            continue
        out.append(("phone", match.start, match.end))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "Call (305) 555-0138 or 310-5952 today.",  # a Canadian 7-digit service number is valid
        "Vienna +43 1110, Bonn +49 1640, Niue +683 4002, London +44 20 7946 0958, +1 202 555 0143.",
        "ref ++1234 ++5678 12345 0117 43 1 23456 011 44 20 7946 0958",
        "On 2024-01-02 08:00 we sent 1-800-555-0199 and 555-0199 ext. 12.",
        "IDs 1234567890123, 98765, 4311362 and 0534572; ＋43 1 234567.",
    ],
)
def test_phone_shortcuts_find_what_the_plain_matcher_finds(text: str) -> None:
    assert list(_find_phones(text)) == _plain_phones(text)


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789 +-().x/＋ae", max_size=40))
def test_phone_shortcuts_on_arbitrary_digit_runs(text: str) -> None:
    assert list(_find_phones(text)) == _plain_phones(text)


def test_the_matcher_override_is_still_called() -> None:
    assert hasattr(phonenumbers.PhoneNumberMatcher, "_extract_match")  # else only slower
