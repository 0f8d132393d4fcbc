"""Rendering HTML bodies to text, without fetching or executing anything.

The renderer keeps what a reader sees: text, line breaks at block elements,
and link targets (collected separately for URL extraction). Scripts, styles,
comments and the head are dropped. Remote resources are never requested.

Regular expressions rather than ``html.parser``: the stdlib parser was the
largest single cost of parsing phishing_pot's HTML-heavy mail (profile it with
``python -m cProfile`` over ``parse_message``), and analysts only need the
visible words and the links.
"""

from __future__ import annotations

import re
from html import unescape

_MAX_HTML = 4 * 1024 * 1024  # characters rendered; the rest is ignored
_DROP = re.compile(
    r"<(script|style|head|noscript|template|svg|title)\b[^>]{0,2000}>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK = re.compile(
    r"<\s*/?\s*(?:p|div|br|tr|li|ul|ol|table|h[1-6]|blockquote|pre|hr|section|article"
    r"|header|footer|address|center|dd|dt|form)\b[^>]{0,2000}>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]{0,4000}>")
_LINK = re.compile(
    r"""<(?:a|area|form|img)\b[^>]{0,2000}?\b(?:href|action|src)\s*=\s*"""
    r"""(?:"([^"]{0,4000})"|'([^']{0,4000})'|([^\s>]{1,4000}))""",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff]+")
_BLANKS = re.compile(r"\n[ \n]*\n")
_MAX_LINKS = 2_000


def render_html(html: str) -> tuple[str, tuple[str, ...]]:
    """Plain text of an HTML document and the link targets it contains."""
    html = html[:_MAX_HTML]
    links = tuple(
        unescape(next(g for g in match.groups() if g is not None)).strip()
        for match in _LINK.finditer(html)
    )[:_MAX_LINKS]
    text = _DROP.sub(" ", html)
    text = _BLOCK.sub("\n", text)
    text = unescape(_TAG.sub("", text))
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip(), links
