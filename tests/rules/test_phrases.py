"""Folding and the phrase language: accents, case, invisible characters, groups, gaps."""

from __future__ import annotations

import pytest

from pollwatch.rules.text import PhraseError, compile_phrases, fold


def _find(phrases: list[str], text: str) -> list[str]:
    folded = fold(text)
    out = []
    for s, e in compile_phrases(phrases).spans(folded):
        start, end = folded.span(s, e)
        out.append(text[start:end])
    return out


def test_case_and_accents_fold_and_spans_point_at_original() -> None:
    assert _find(["sabremos como voto"], "¡SABREMOS CÓMO VOTÓ!") == ["SABREMOS CÓMO VOTÓ"]


def test_zero_width_and_soft_hyphen_are_ignored() -> None:
    assert _find(["come after you"], "we will co\u200bme af\u00adter you") == [
        "co\u200bme af\u00adter you"
    ]


def test_cyrillic_lookalikes_fold_to_latin() -> None:
    assert _find(["vote"], "v\u043ete now") == ["v\u043ete"]


def test_curly_apostrophe_matches_straight() -> None:
    assert _find(["don't think"], "Don\u2019t think so") == ["Don\u2019t think"]


def test_words_match_across_punctuation_and_line_breaks() -> None:
    assert _find(["we will come after you"], "we will,\ncome after you") == [
        "we will,\ncome after you"
    ]


def test_word_boundaries_hold() -> None:
    assert _find(["vote"], "devoted voters") == []


def test_group_alternatives_and_optional_group() -> None:
    phrases = ["[we|they] [will|] [come|go] after you"]
    assert _find(phrases, "They go after you") == ["They go after you"]
    assert _find(phrases, "we will come after you") == ["we will come after you"]


def test_gap_and_wildcard_and_prefix() -> None:
    assert _find(["vote ~2 or else"], "vote for Trump or else") == ["vote for Trump or else"]
    assert _find(["vote ~1 or else"], "vote for Trump or else") == []
    assert _find(["vote for *"], "vote for Biden") == ["vote for Biden"]
    assert _find(["threat*"], "threatening mail") == ["threatening"]


def test_prefilter_skips_texts_missing_a_required_word() -> None:
    phrases = compile_phrases(["come after you"])
    assert not phrases.possible(fold("come and see"))
    assert phrases.possible(fold("you come after"))


@pytest.mark.parametrize("bad", ["", "[a|b", "a ~3", "[|] x", "~2 a", "a [b|]"])
def test_bad_phrases_are_rejected(bad: str) -> None:
    with pytest.raises(PhraseError):
        compile_phrases([bad])
