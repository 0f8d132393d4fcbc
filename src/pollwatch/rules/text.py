"""Text folding and the phrase pattern language.

Every text field is folded once per message: Unicode NFKD, combining marks
and invisible format characters (zero-width spaces, soft hyphens) dropped,
common Cyrillic/Greek look-alikes mapped to Latin, curly quotes made straight,
then ``casefold``. ``Folded`` keeps the map from folded offsets back to the
original text, so evidence spans always point at the words as written.

Phrase syntax (see ``docs/rules.md``): words separated by spaces match words
separated by any run of non-word characters; ``[a b|c|]`` is a group of
alternatives (an empty one makes the group optional); ``*`` is exactly one
word; ``~N`` skips up to N words; a word ending in ``*`` matches by prefix.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "ο": "o", "α": "a", "ε": "e", "ι": "i", "ν": "v",
    "‘": "'", "’": "'", "ʼ": "'", "′": "'", "“": '"', "”": '"', "„": '"',
}  # fmt: skip
_CHAR_CACHE: dict[str, str] = {}
WORD_RE = re.compile(r"\w+")
SEP = r"[\W_]+"


def fold_char(char: str) -> str:
    cached = _CHAR_CACHE.get(char)
    if cached is not None:
        return cached
    out = _HOMOGLYPHS.get(char)
    if out is None:
        decomposed = unicodedata.normalize("NFKD", char)
        out = "".join(
            c
            for c in decomposed
            if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
        ).casefold()
    if len(_CHAR_CACHE) < 200_000:
        _CHAR_CACHE[char] = out
    return out


@dataclass(slots=True)
class Folded:
    """A text and its folded form; ``offsets[i]`` is the original index of folded index i."""

    original: str
    text: str
    offsets: list[int] | None  # None: same length, identity map
    _words: frozenset[str] | None = field(default=None, repr=False)
    _starts: list[int] | None = field(default=None, repr=False)

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is None:
            return start, end
        return self.offsets[start], self.offsets[end]

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(WORD_RE.findall(self.text))
        return self._words

    def word_index(self, pos: int) -> int:
        """How many words start at or before folded position ``pos``."""
        if self._starts is None:
            self._starts = [m.start() for m in WORD_RE.finditer(self.text)]
        return bisect_right(self._starts, pos)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> Folded:
    if text.isascii():
        return Folded(text, text.lower(), None)
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):  # ASCII runs in bulk, other characters one by one
        i = m.start()
        if i > pos:
            parts.append(text[pos:i].lower())
            offsets.extend(range(pos, i))
        out = fold_char(m.group())
        parts.append(out)
        offsets.extend([i] * len(out))
        pos = i + 1
    parts.append(text[pos:].lower())
    offsets.extend(range(pos, len(text) + 1))
    return Folded(text, "".join(parts), offsets)


def fold_plain(text: str) -> str:
    return text.lower() if text.isascii() else "".join(fold_char(c) for c in text)


class PhraseError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Item:
    pattern: str
    optional: bool = False
    gap: int | None = None  # ~N
    literal: str | None = None  # a plain word, required for the prefilter
    any_of: frozenset[str] | None = None  # group: one of these words must occur
    led: str | None = None  # ``(?<!\w)`` + pattern, written to start with a literal word


_TOKEN_RE = re.compile(r"\s+|\[|\]|\||[^\s\[\]|]+")


def _tokens(phrase: str) -> list[str]:
    return [t for t in _TOKEN_RE.findall(phrase) if not t.isspace()]


def _word(token: str) -> _Item:
    if token == "*":
        return _Item(r"\w+")
    if re.fullmatch(r"~\d{1,2}", token):
        return _Item("", gap=int(token[1:]))
    prefix = token.endswith("*") and len(token) > 1
    word = fold_plain(token[:-1] if prefix else token)
    if not word or "*" in word or "~" in word:
        raise PhraseError(f"bad word {token!r}")
    escaped = re.escape(word)
    if prefix:
        return _Item(escaped + r"\w*")
    literal = word if WORD_RE.fullmatch(word) else None
    return _Item(escaped, literal=literal, led=rf"{escaped}(?<!\w{escaped})")


def _parse_seq(tokens: list[str], pos: int, depth: int) -> tuple[list[_Item], int]:
    items: list[_Item] = []
    while pos < len(tokens) and tokens[pos] not in ("]", "|"):
        token = tokens[pos]
        if token == "[":
            if depth > 3:
                raise PhraseError("groups nested too deep")
            item, pos = _parse_group(tokens, pos + 1, depth + 1)
            items.append(item)
        else:
            items.append(_word(token))
            pos += 1
    return items, pos


def _first_literal(seq: list[_Item]) -> str | None:
    return next((i.literal for i in seq if i.literal and not i.optional), None)


def _parse_group(tokens: list[str], pos: int, depth: int) -> tuple[_Item, int]:
    alternatives: list[str] = []
    led: list[str] | None = []
    anchors: set[str] | None = set()
    optional = False
    while True:
        seq, pos = _parse_seq(tokens, pos, depth)
        if seq:
            alternatives.append(_join(seq))
            first = seq[0].led
            led = None if first is None or led is None else [*led, _join(seq, first)]
            anchor = _first_literal(seq)
            anchors = None if anchor is None or anchors is None else anchors | {anchor}
        else:
            optional = True
        if pos >= len(tokens):
            raise PhraseError("unclosed '['")
        if tokens[pos] == "]":
            break
        pos += 1  # '|'
    if not alternatives:
        raise PhraseError("empty group")
    any_of = frozenset(anchors) if anchors else None
    group = "(?:" + "|".join(alternatives) + ")"
    led_group = "(?:" + "|".join(led) + ")" if led else None
    return _Item(group, optional=optional, any_of=any_of, led=led_group), pos + 1


def _join(items: Sequence[_Item], lead: str | None = None) -> str:
    """The items' pattern; ``lead`` replaces the first item's."""
    first, rest = items[0], items[1:]
    if first.optional or first.gap is not None:
        raise PhraseError("a phrase or group cannot start with an optional group or a gap")
    if rest and (rest[-1].optional or rest[-1].gap is not None):
        raise PhraseError("a phrase or group cannot end with an optional group or a gap")
    out = [first.pattern if lead is None else lead]
    for item in rest:
        if item.gap is not None:
            out.append(rf"(?:{SEP}\w+){{0,{item.gap}}}")
        elif item.optional:
            out.append(f"(?:{SEP}{item.pattern})?")
        else:
            out.append(f"{SEP}{item.pattern}")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Phrase:
    source: str
    pattern: str
    required: frozenset[str]  # top-level literal words: all must occur for a match
    groups: tuple[frozenset[str], ...] = ()  # per required group: one of these must occur

    def possible(self, words: frozenset[str]) -> bool:
        return self.required <= words and all(not g.isdisjoint(words) for g in self.groups)


def compile_phrase(source: str) -> Phrase:
    tokens = _tokens(source)
    if not tokens:
        raise PhraseError("empty phrase")
    items, pos = _parse_seq(tokens, 0, 0)
    if pos != len(tokens):
        raise PhraseError(f"unexpected {tokens[pos]!r}")
    # Started with a literal word (the look-behind moved after it, when every way in
    # starts with one), the pattern is searched for by re's literal scan.
    lead = items[0].led
    start = _join(items, lead) if lead else r"(?<!\w)" + _join(items)
    pattern = start + r"(?!\w)"
    required = frozenset(i.literal for i in items if i.literal and not i.optional)
    groups = tuple(i.any_of for i in items if i.any_of and not i.optional)
    return Phrase(source, pattern, required, groups)


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """Several phrases with a word-set prefilter; only phrases that can match are run.

    Each phrase is filed under words it cannot match without (its longest
    required word, else the words of its first group), so the words of a text
    pick the few phrases worth checking; phrases with neither are always checked.
    """

    phrases: tuple[Phrase, ...]
    regexes: tuple[re.Pattern[str], ...]
    _index: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    _always: list[int] = field(default_factory=list, repr=False, compare=False)
    _keys: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        for i, phrase in enumerate(self.phrases):
            if phrase.required:
                keys: Collection[str] = (max(sorted(phrase.required), key=len),)
            elif phrase.groups:
                keys = phrase.groups[0]
            else:
                self._always.append(i)
                continue
            for key in keys:
                self._index.setdefault(key, []).append(i)
        self._keys.update(self._index)

    def _candidates(self, words: frozenset[str]) -> list[int]:
        """Indices of the phrases that may be possible in a text with ``words``, in order."""
        if self._keys.isdisjoint(words):
            return self._always
        hits = self._keys.intersection(words)
        found = set(self._always)
        for key in hits:
            found.update(self._index[key])
        return sorted(found)

    def possible(self, folded: Folded) -> bool:
        """False when no phrase can match (``spans`` finds nothing)."""
        words = folded.words
        return any(self.phrases[i].possible(words) for i in self._candidates(words))

    def spans(self, folded: Folded, limit: int = 20) -> list[tuple[int, int]]:
        words = folded.words
        out: list[tuple[int, int]] = []
        for i in self._candidates(words):
            if not self.phrases[i].possible(words):
                continue
            for match in self.regexes[i].finditer(folded.text):
                out.append((match.start(), match.end()))
                if len(out) >= limit:
                    return sorted(out)
        return sorted(out)


def compile_phrases(sources: Sequence[str]) -> PhraseSet:
    phrases = tuple(compile_phrase(s) for s in sources)
    return PhraseSet(phrases, tuple(re.compile(p.pattern) for p in phrases))
