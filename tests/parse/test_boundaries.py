"""Boundary lines matched without a regex per message give exactly what the stdlib gives."""

from __future__ import annotations

import email.feedparser
import re
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pollwatch.parse import boundaries
from pollwatch.synth import SynthConfig, generate
from support.corpora import corpus_folder

GROUPS = ("sep", "end", "ws", "linesep")
_BOUNDARY_ALPHABET = st.sampled_from(list("aZ09'()+_,-./:=? \\*[]^$|{}\t\r\n\x00é"))
_SUFFIXES = st.sampled_from(["", "--", " ", "\t", "\r\n", "\n", "\r", "-- \r\n", "--\n", "x",
                             "--x", "  \n", "\n\n", "-"])  # fmt: skip


def _stdlib_pattern(separator: str) -> re.Pattern[str]:
    """What email.feedparser compiles for ``separator`` (built as it builds it)."""
    return re.compile(
        "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


def _groups(match: re.Match[str] | None) -> tuple[str | None, ...] | None:
    return None if match is None else tuple(match.group(g) for g in GROUPS[1:])


@settings(max_examples=600, deadline=None)
@given(
    boundary=st.text(_BOUNDARY_ALPHABET, min_size=1, max_size=12),
    suffix=_SUFFIXES,
    prefix=st.sampled_from(["", " ", "-", "x"]),
)
def test_boundary_pattern_matches_as_the_stdlib_pattern(boundary: str, suffix: str, prefix: str):
    separator = "--" + boundary
    pattern = _stdlib_pattern(separator)
    assert boundaries.boundary_separator(pattern.pattern) == separator
    fast = boundaries.BoundaryPattern(separator)
    for line in (prefix + separator + suffix, separator + suffix, separator[:-1] + suffix):
        assert _groups(fast.match(line)) == _groups(pattern.match(line)), repr(line)


def test_other_patterns_compile_as_usual():
    shim = email.feedparser.re
    assert isinstance(shim, boundaries._FeedparserRe)
    assert isinstance(shim.compile(r"(\r\n|\r|\n)\Z"), re.Pattern)
    assert isinstance(shim.compile("(?P<sep>--a)(?P<end>--)?", 0), re.Pattern)
    tail = r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    assert isinstance(shim.compile("(?P<sep>--a)" + tail, re.IGNORECASE), re.Pattern)
    assert boundaries.boundary_separator("(?P<sep>--a\\)" + tail) is None  # unbalanced escape
    assert shim.escape("a.b") == r"a\.b"  # everything else is the real module


def _shape(message: Message) -> Iterator[object]:
    """Everything the parser decided about a message: tree, payloads, preambles, defects."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part.get_content_type(), part.preamble, part.epilogue
        yield tuple(type(d).__name__ for d in part.defects)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
        else:
            yield payload


def _parse_both(raw: bytes) -> tuple[list[object], list[object]]:
    fast = list(_shape(message_from_bytes(raw, policy=compat32)))
    shim = email.feedparser.re
    email.feedparser.re = re  # type: ignore[attr-defined]
    try:
        stock = list(_shape(message_from_bytes(raw, policy=compat32)))
    finally:
        email.feedparser.re = shim  # type: ignore[attr-defined]
    return fast, stock


def test_synthetic_messages_parse_identically():
    for message in generate(SynthConfig(count=300, seed=4)):
        fast, stock = _parse_both(message.raw)
        assert fast == stock


@pytest.mark.parametrize(
    ("archive", "member", "step", "least"),
    [("phishing_pot-dev.tar.xz", "phishing_pot", 3, 500),
     ("spamassassin-dev.tar.xz", "spamassassin_public_corpus", 1, 200),
     ("fixtures.tar.xz", "parser_fixtures", 1, 80)],
)  # fmt: skip
def test_real_corpora_parse_identically(
    archive: str, member: str, step: int, least: int, corpora_root: Path
):
    folder = corpus_folder(archive, member, corpora_root)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    multipart = 0
    for path in files[::step]:
        raw = path.read_bytes()[:2_000_000]
        if b"boundary" not in raw.lower():
            continue
        try:
            fast, stock = _parse_both(raw)
        except RecursionError:
            continue  # hostile nesting: refused before parsing in pollwatch
        assert fast == stock, path.name
        multipart += 1
    assert multipart >= least
