"""The report's text helpers: evidence highlighting, template slots, places, defanging."""

from __future__ import annotations

from pollwatch.analyze.record import Evidence
from pollwatch.report import words
from pollwatch.report.text import (
    GAP,
    Segment,
    country,
    defang,
    fragments,
    highlight,
    span_words,
    template_segments,
)
from pollwatch.rules.taxonomy import CATEGORIES

BODY = "We know your address. You will vote for us or we will come after you."


def ev(text: str, source: str = BODY, field: str = "body") -> Evidence:
    start = source.index(text)
    return Evidence(field, start, start + len(text), text)


def test_highlight_marks_spans_and_keeps_the_rest() -> None:
    subject = "Vote for Trump or else!"
    segments = highlight(subject, [ev("Vote for", subject), ev("or else", subject)])
    assert segments == (
        Segment("Vote for", "mark"),
        Segment(" Trump "),
        Segment("or else", "mark"),
        Segment("!"),
    )


def test_highlight_merges_overlapping_spans() -> None:
    segments = highlight(BODY, [ev("will vote for"), ev("vote for us")])
    assert segments is not None
    assert [s.text for s in segments if s.kind == "mark"] == ["will vote for us"]


def test_highlight_refuses_spans_that_do_not_match_the_text() -> None:
    assert highlight("Another subject", [Evidence("subject", 0, 4, "Vote")]) is None


def test_fragments_elide_the_unknown_text_between_spans() -> None:
    segments = fragments([ev("come after you"), ev("We know your address")])
    assert segments == (
        Segment("We know your address", "mark"),
        GAP,
        Segment("come after you", "mark"),
        GAP,
    )


def test_fragments_join_overlapping_spans() -> None:
    segments = fragments([ev("or we will"), ev("we will come after you")])
    assert segments == (GAP, Segment("or we will come after you", "mark"), GAP)


def test_fragments_keep_spans_apart_when_offsets_disagree() -> None:
    segments = fragments([Evidence("body", 0, 8, "We know "), Evidence("body", 4, 9, "XXXXX")])
    assert [s.text for s in segments if s.kind == "mark"] == ["We know ", "XXXXX"]


def test_template_segments_split_out_known_slots_only() -> None:
    segments = template_segments("{name}, pay {amount} to {unknown}", ["name", "amount"])
    assert segments == (
        Segment("name", "slot"),
        Segment(", pay "),
        Segment("amount", "slot"),
        Segment(" to {unknown}"),
    )


def test_country_names_come_from_the_code() -> None:
    assert country("EE") == "Estonia (EE)"
    assert country("AE") == "United Arab Emirates (AE)"
    assert country("??") == "unknown"
    assert country("ZZ") == "ZZ"


def test_defang_makes_urls_unclickable() -> None:
    assert defang("https://evil.example.com/a.b") == "hxxps://evil[.]example[.]com/a.b"
    assert defang("HTTP://x.org") == "hxxp://x[.]org"
    assert defang("not a url") == "not a url"


def test_span_words_picks_a_readable_unit() -> None:
    assert [span_words(s) for s in (12, 1860, 13320, 400000)] == [
        "12 s",
        "31 min",
        "3.7 h",
        "5 days",
    ]


def test_every_category_has_plain_words() -> None:
    assert set(words.CATEGORY_WORDS) == set(CATEGORIES)


def test_actions_follow_the_categories() -> None:
    threats = words.actions(["threat.violence"], ["Proud Boys"])
    assert any("FBI" in a for a in threats)
    assert any("Proud Boys" in a for a in threats)
    phishing = words.actions(["phish.credential"], [])
    assert not any("FBI" in a for a in phishing)
    assert any("passwords" in a for a in phishing)
