"""The auth-header scanners give exactly what the character-by-character originals gave."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pollwatch.analyze.auth_headers import _split_top, _strip_comments

_TEXT = st.text(st.sampled_from(list('ab =;,()"\\\\ \t.@-')), max_size=60)
_REAL = [
    "mx.google.com; dkim=pass header.i=@example.org header.s=s1 header.b=AbC;"
    ' spf=pass (google.com: domain of a@example.org designates 1.2.3.4 as permitted sender)'
    " smtp.mailfrom=a@example.org; dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org",
    'i=1; mx.example; arc=none (no "signatures" (nested)) ; spf=fail \\(x\\); x="a;b"',
    "", "(((", ")))", '"', '"(";x', "a\\", "a\\;b;c",
]  # fmt: skip


def _reference_split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside comments and quoted strings."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "(" and not quoted:
            depth += 1
        elif ch == ")" and not quoted and depth:
            depth -= 1
        elif ch == sep and depth == 0 and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _reference_strip_comments(text: str) -> tuple[str, str]:
    """``text`` without (comments), and the comments joined."""
    out: list[str] = []
    comments: list[str] = []
    depth = 0
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"' and depth == 0:
            quoted = not quoted
            out.append(ch)
        elif ch == "(" and not quoted:
            if depth:
                current.append(ch)
            depth += 1
        elif ch == ")" and not quoted and depth:
            depth -= 1
            if depth:
                current.append(ch)
            else:
                comments.append("".join(current).strip())
                current = []
                out.append(" ")
        elif depth:
            current.append(ch)
        else:
            out.append(ch)
    return "".join(out), "; ".join(c for c in comments if c)


@settings(max_examples=1500, deadline=None)
@given(text=_TEXT, sep=st.sampled_from([";", ","]))
def test_split_top_matches_the_reference(text: str, sep: str) -> None:
    assert _split_top(text, sep) == _reference_split_top(text, sep)


@settings(max_examples=1500, deadline=None)
@given(text=_TEXT)
def test_strip_comments_matches_the_reference(text: str) -> None:
    assert _strip_comments(text) == _reference_strip_comments(text)


def test_real_header_shapes_match_the_reference() -> None:
    for text in _REAL:
        assert _split_top(text, ";") == _reference_split_top(text, ";")
        assert _strip_comments(text) == _reference_strip_comments(text)
