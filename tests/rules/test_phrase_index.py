"""The phrase index, the literal-first patterns and the rule gates change no finding."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pollwatch.analyze.record import Finding
from pollwatch.rules import RuleSet, load_rules
from pollwatch.rules.fields import Subject
from pollwatch.rules.taxonomy import SEVERITIES
from pollwatch.rules.testing import _sections, build_message
from pollwatch.rules.text import (
    Folded,
    PhraseError,
    _join,
    _parse_seq,
    _tokens,
    compile_phrase,
    compile_phrases,
    fold,
)

VOCABULARY = ["vote", "you", "we", "will", "come", "after", "or", "else", "a", "voter"]
SEPARATORS = [" ", ", ", "_", "-", "\n", "'", "x", " a "]


def _reference_pattern(source: str) -> re.Pattern[str]:
    """The pattern as first written: the look-behind in front."""
    items, _ = _parse_seq(_tokens(source), 0, 0)
    return re.compile(r"(?<!\w)" + _join(items) + r"(?!\w)")


def _reference_spans(sources: list[str], folded: Folded, limit: int = 20) -> list[tuple[int, int]]:
    """Every phrase in order, skipped only by its own word check (no index)."""
    out: list[tuple[int, int]] = []
    for source in sources:
        if not compile_phrase(source).possible(folded.words):
            continue
        for match in _reference_pattern(source).finditer(folded.text):
            out.append(match.span())
            if len(out) >= limit:
                return sorted(out)
    return sorted(out)


@st.composite
def _phrase(draw: st.DrawFn) -> str:
    word = st.sampled_from(VOCABULARY)
    group = st.lists(word, min_size=1, max_size=3).map(lambda ws: "[" + "|".join(ws) + "]")
    inner = st.one_of(
        word, word.map(lambda w: w[:3] + "*"), group,
        group.map(lambda g: g[:-1] + "|]"), st.just("~1"), st.just("*"),
        st.lists(word, min_size=2, max_size=2).map(lambda ws: f"[{ws[0]} {ws[1]}|{ws[1]}]"),
    )  # fmt: skip
    parts = [draw(st.one_of(word, group, st.just("*"))), *draw(st.lists(inner, max_size=3))]
    if draw(st.booleans()):
        parts.append(draw(word))
    source = " ".join(parts)
    try:
        compile_phrase(source)
    except PhraseError:
        assume(False)
    return source


@st.composite
def _text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from([*VOCABULARY, "xvote", "you_"]), max_size=12))
    return "".join(w + draw(st.sampled_from(SEPARATORS)) for w in words)


@settings(max_examples=250, deadline=None)
@given(st.lists(_phrase(), min_size=1, max_size=6), _text())
def test_indexed_phrase_sets_find_the_reference_spans(sources: list[str], text: str) -> None:
    folded = fold(text)
    phrases = compile_phrases(sources)
    assert phrases.spans(folded) == _reference_spans(sources, folded)
    assert phrases.spans(folded, limit=2) == _reference_spans(sources, folded, limit=2)
    reference_possible = any(compile_phrase(s).possible(folded.words) for s in sources)
    assert phrases.possible(folded) == reference_possible


def test_literal_first_patterns_keep_word_boundaries() -> None:
    for source in ["vote", "[we|they] will", "[[a|b] c|d] e", "don't think"]:
        assert not compile_phrase(source).pattern.startswith("(?<!")  # re's literal scan
    for source in ["vot* now", "* now", "[we|they*] will"]:
        assert compile_phrase(source).pattern.startswith(r"(?<!\w)")
    text = "xvote vote _we will they will devote we will"
    for source in ["vote", "[we|they] will", "we will"]:
        ours = [m.span() for m in re.finditer(compile_phrase(source).pattern, text)]
        assert ours == [m.span() for m in _reference_pattern(source).finditer(text)]


RULES = load_rules()


def _all_rules(rules: RuleSet, subject: Subject) -> tuple[Finding, ...]:
    """Every rule evaluated, no gate: the findings the gates must not change."""
    first = [f for r in rules.rules if not r.second_pass and (f := r.evaluate(subject))]
    subject.categories = tuple(sorted({f.category for f in first}))
    second = [f for r in rules.rules if r.second_pass and (f := r.evaluate(subject))]
    order = lambda f: (-SEVERITIES.index(f.severity), f.category, f.rule)  # noqa: E731
    return tuple(sorted(first + second, key=order))


def _subject(data: dict[str, object]) -> Subject:
    path, auth, sender = _sections(data)
    return Subject(build_message(data), path=path, auth=auth, sender=sender, language="en")


def test_gates_change_no_finding_on_the_rules_own_messages() -> None:
    rules = RULES
    messages = [m.data for r in rules.rules for m in (*r.hit, *r.miss)]
    assert len(messages) >= 2 * len(rules.rules)
    fired = 0
    for data in messages:
        found = rules.findings(_subject(data))
        assert found == _all_rules(rules, _subject(data))
        fired += bool(found)
    assert fired >= len(rules.rules)  # the hit messages do fire


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["subject", "body"]), min_size=1), st.data())
def test_gates_change_no_finding_on_mixed_rule_messages(
    fields: list[str], data: st.DataObject
) -> None:
    rules = RULES
    bodies = [str(m.data.get("body", "")) for r in rules.rules for m in r.hit]
    mixed: dict[str, object] = {
        field: " ".join(data.draw(st.lists(st.sampled_from(bodies), max_size=3)))
        for field in fields
    }
    assert rules.findings(_subject(mixed)) == _all_rules(rules, _subject(mixed))
