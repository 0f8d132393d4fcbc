"""The closed set of match operators.

Each operator validates and compiles its ``value`` once, at load time, into a
matcher; at run time a matcher takes the subject and a field name and returns
the spans it matched (empty: no match). Text operators work on the folded text
(see :mod:`pollwatch.rules.text`); spans are mapped back to the original.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from pollwatch.rules.fields import Kind, Subject, Value
from pollwatch.rules.text import Folded, PhraseError, PhraseSet, compile_phrases, fold_plain


@dataclass(frozen=True, slots=True)
class Hit:
    field: str
    index: int  # which value of the field
    start: int  # folded offsets for text values, raw offsets otherwise
    end: int


Matcher = Callable[[Subject, str], list[Hit]]


class OperatorError(ValueError):
    """A bad operator value; ``path`` is relative to the condition's ``value``."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True, slots=True)
class OpSpec:
    name: str
    kinds: frozenset[Kind]
    value: str  # what ``value`` must be, in words (documented)
    compile: Callable[[object], Matcher]
    description: str


def _strings(value: object, what: str = "a string or a list of strings") -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise OperatorError(f"value must be {what}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise OperatorError("must be a non-empty string", f"[{i}]")
    return value


def _phrases(value: object, path: str = "") -> PhraseSet:
    items = _strings(value)
    for i, item in enumerate(items):
        try:
            compile_phrases([item])
        except PhraseError as exc:
            raise OperatorError(f"bad phrase {item!r}: {exc}", f"{path}[{i}]") from exc
    return compile_phrases(items)


@dataclass(frozen=True, slots=True)
class TextMatcher:
    """A text operator's matcher: ``find`` gives folded spans in one text value.

    ``find`` gives nothing in a text for which one of ``needs`` is not
    :meth:`PhraseSet.possible`, so the engine can skip the whole rule.
    """

    find: Callable[[Folded], list[tuple[int, int]]]
    needs: tuple[PhraseSet, ...] = ()

    def __call__(self, subject: Subject, field: str) -> list[Hit]:
        hits: list[Hit] = []
        for i, value in enumerate(subject.values(field)):
            if isinstance(value, str):
                hits += [Hit(field, i, s, e) for s, e in self.find(subject.folded(field, i))]
        return hits


def _compile_phrase(value: object) -> Matcher:
    phrases = _phrases(value)
    return TextMatcher(phrases.spans, (phrases,))


def _near_args(value: object) -> tuple[PhraseSet, PhraseSet, int, bool]:
    if not isinstance(value, dict):
        raise OperatorError("value must be a mapping {a, b, within, ordered}")
    unknown = set(value) - {"a", "b", "within", "ordered"}
    if unknown:
        raise OperatorError("unknown key", f".{sorted(unknown)[0]}")
    for key in ("a", "b"):
        if key not in value:
            raise OperatorError(f"missing key {key!r}")
    within = value.get("within", 8)
    if not isinstance(within, int) or isinstance(within, bool) or not 0 <= within <= 60:
        raise OperatorError("must be an integer from 0 to 60", ".within")
    ordered = value.get("ordered", False)
    if not isinstance(ordered, bool):
        raise OperatorError("must be true or false", ".ordered")
    return _phrases(value["a"], ".a"), _phrases(value["b"], ".b"), within, ordered


def _compile_near(value: object) -> Matcher:
    a, b, within, ordered = _near_args(value)

    def find(folded: Folded) -> list[tuple[int, int]]:
        if not (a.possible(folded) and b.possible(folded)):
            return []
        spans_a, spans_b = a.spans(folded), b.spans(folded)
        for sa, ea in spans_a:
            for sb, eb in spans_b:
                if ordered and sb < ea:
                    continue
                first_end, second_start = (ea, sb) if sa <= sb else (eb, sa)
                gap = folded.word_index(second_start) - folded.word_index(max(first_end - 1, 0))
                if gap <= within + 1:
                    return [(sa, ea), (sb, eb)] if (sa, ea) != (sb, eb) else [(sa, ea)]
        return []

    return TextMatcher(find, (a, b))


_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")


def _regexes(value: object) -> tuple[re.Pattern[str], ...]:
    items = _strings(value)
    compiled: list[re.Pattern[str]] = []
    for i, item in enumerate(items):
        if _NESTED_REPEAT.search(item):
            raise OperatorError("nested repetition risks catastrophic backtracking", f"[{i}]")
        if len(item) > 2000:
            raise OperatorError("regex longer than 2000 characters", f"[{i}]")
        try:
            regex = re.compile(item)
        except re.error as exc:
            raise OperatorError(f"bad regex: {exc}", f"[{i}]") from exc
        if regex.match(""):
            raise OperatorError("regex matches the empty string", f"[{i}]")
        compiled.append(regex)
    return tuple(compiled)


def _compile_regex(value: object) -> Matcher:
    regexes = _regexes(value)

    def find(folded: Folded) -> list[tuple[int, int]]:
        text = folded.text
        out: list[tuple[int, int]] = []
        for regex in regexes:
            for m, _ in zip(regex.finditer(text), range(20), strict=False):
                out.append((m.start(), m.end()))
        return out

    return TextMatcher(find)


def _whole(subject: Subject, field: str, test: Callable[[Value], bool]) -> list[Hit]:
    return [Hit(field, i, 0, len(str(v))) for i, v in enumerate(subject.values(field)) if test(v)]


def _scalar_list(value: object) -> list[Value]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise OperatorError("value must not be empty")
    out: list[Value] = []
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise OperatorError(
                "must be a string or a number", f"[{i}]" if isinstance(value, list) else ""
            )
        out.append(fold_plain(item) if isinstance(item, str) else float(item))
    return out


def _norm(v: Value) -> Value:
    return fold_plain(v) if isinstance(v, str) else v


def _compile_in(value: object) -> Matcher:
    if not isinstance(value, list):
        raise OperatorError("value must be a list")
    wanted = set(_scalar_list(value))
    return lambda s, f: _whole(s, f, lambda v: _norm(v) in wanted)


def _compile_equals(value: object) -> Matcher:
    if isinstance(value, list):
        raise OperatorError("value must be one string or number (use 'in' for a list)")
    wanted = _scalar_list(value)[0]
    return lambda s, f: _whole(s, f, lambda v: _norm(v) == wanted)


def _compile_contains(value: object) -> Matcher:
    needles = [fold_plain(n) for n in _strings(value)]
    return lambda s, f: _whole(s, f, lambda v: any(n in _norm_str(v) for n in needles))


def _norm_str(v: Value) -> str:
    return fold_plain(v) if isinstance(v, str) else str(v)


def _compile_suffix(value: object) -> Matcher:
    suffixes = [fold_plain(n).strip(".") for n in _strings(value)]

    def test(v: Value) -> bool:
        text = _norm_str(v).rstrip(".")
        return any(text == x or text.endswith("." + x) for x in suffixes)

    return lambda s, f: _whole(s, f, test)


def _compile_exists(value: object) -> Matcher:
    if not isinstance(value, bool):
        raise OperatorError("value must be true or false")

    def match(subject: Subject, field: str) -> list[Hit]:
        present = bool(subject.values(field))
        if present != value:
            return []
        return _whole(subject, field, lambda v: True)[:5] or [Hit(field, -1, 0, 0)]

    return match


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OperatorError("value must be a finite number")
    return float(value)


def _numeric(test: Callable[[float, float], bool]) -> Callable[[object], Matcher]:
    def build(value: object) -> Matcher:
        bound = _number(value)

        def check(v: Value) -> bool:
            return isinstance(v, int | float) and test(float(v), bound)

        return lambda s, f: _whole(s, f, check)

    return build


_TEXTY: frozenset[Kind] = frozenset({"text", "string"})
_ALL: frozenset[Kind] = frozenset({"text", "string", "number"})
_NUM: frozenset[Kind] = frozenset({"number"})

OPERATORS: dict[str, OpSpec] = {
    o.name: o
    for o in (
        OpSpec("phrase", _TEXTY, "phrase or list of phrases", _compile_phrase,
               "Any of the phrases occurs, matched word by word on folded text."),
        OpSpec("near", frozenset({"text"}), "{a: phrases, b: phrases, within: words, ordered}",
               _compile_near, "A phrase from `a` and one from `b` at most `within` words apart."),
        OpSpec("regex", _TEXTY, "regex or list of regexes", _compile_regex,
               "A Python regular expression matches the folded text (write it in lower case)."),
        OpSpec("equals", _ALL, "string or number", _compile_equals,
               "A value equals this one (strings compared folded)."),
        OpSpec("in", _ALL, "list of strings or numbers", _compile_in,
               "A value is one of the list (strings compared folded)."),
        OpSpec("contains", _TEXTY, "string or list of strings", _compile_contains,
               "A value contains any of the substrings (folded)."),
        OpSpec("suffix", _TEXTY, "string or list of strings", _compile_suffix,
               "A dotted value equals or ends with `.suffix` (domains: `gov` matches `x.gov`)."),
        OpSpec("exists", _ALL, "true or false", _compile_exists,
               "The field has at least one value (true) or none (false)."),
        OpSpec("gt", _NUM, "number", _numeric(lambda v, b: v > b), "A value is greater."),
        OpSpec("gte", _NUM, "number", _numeric(lambda v, b: v >= b), "Greater or equal."),
        OpSpec("lt", _NUM, "number", _numeric(lambda v, b: v < b), "A value is less."),
        OpSpec("lte", _NUM, "number", _numeric(lambda v, b: v <= b), "Less or equal."),
    )
}  # fmt: skip
