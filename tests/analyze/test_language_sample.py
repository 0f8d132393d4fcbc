"""The language sample: URL runs go whole, from the look-behind pattern as from the plain one."""

from __future__ import annotations

import re
from itertools import islice

from hypothesis import given, settings
from hypothesis import strategies as st

from pollwatch.analyze.language import _LETTER, _URLISH, MIN_LETTERS, detect_language

PLAIN = re.compile(r"\S*(?:https?://|www\.|@)\S*|&\w+;|\d+")  # scans every start in a run
PIECES = ["http://", "https://", "www.", "@", "&amp;", "&x", ";", "12", "a", "é", " ", "\n", "/"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=20))
def test_sample_pattern_replaces_what_the_plain_one_does(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _URLISH.sub(" ", text) == PLAIN.sub(" ", text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_sample_pattern_on_arbitrary_text(text: str) -> None:
    assert _URLISH.sub(" ", text) == PLAIN.sub(" ", text)


@settings(max_examples=300, deadline=None)
@given(st.text("ab1 é_.", max_size=500))
def test_letter_count_shortcut(sample: str) -> None:
    first = len(_LETTER.findall(sample, 0, 400)) >= MIN_LETTERS
    enough = first or len(_LETTER.findall(sample)) >= MIN_LETTERS
    shortcut = next(islice(_LETTER.finditer(sample), MIN_LETTERS - 1, None), None) is not None
    assert shortcut == enough


def test_long_url_runs_do_not_decide_the_language() -> None:
    url = "https://example.invalid/" + "a" * 300  # one run, replaced whole
    text = f"{url} Votre bureau de vote a changé, merci de vérifier votre inscription. {url}"
    assert detect_language(text).code == "fr"
