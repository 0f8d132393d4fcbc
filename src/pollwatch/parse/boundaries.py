"""Multipart boundary lines matched without compiling a regex per message.

``email.feedparser`` compiles one pattern per multipart part,
``(?P<sep>--BOUNDARY)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$``.
Boundaries are random, so the ``re`` cache never hits, and compiling in pure
Python is a fifth of unwrapping a synthetic message (``bench/ingest_stages.py``
prints both timings).
:func:`install` gives the feedparser module a ``re`` whose ``compile`` returns
:class:`BoundaryPattern` for exactly that pattern: a prefix test followed by
one precompiled tail pattern, matching the same lines with the same groups.
Every other call goes to :mod:`re` unchanged. If the stdlib ever builds the
pattern differently, the shape test fails and the real ``re.compile`` runs.
"""

from __future__ import annotations

import email.feedparser
import re
from types import ModuleType
from typing import Any

_HEAD = "(?P<sep>"
_TAIL_SOURCE = r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_TAIL = re.compile(_TAIL_SOURCE)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class BoundaryPattern:
    """The feedparser's boundary pattern for one separator (only ``match`` is used)."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str) -> re.Match[str] | None:
        if not line.startswith(self.separator):
            return None
        return _TAIL.match(line, len(self.separator))


def boundary_separator(pattern: object, flags: int = 0) -> str | None:
    """The literal separator if ``pattern`` is the feedparser's boundary pattern."""
    if flags or not isinstance(pattern, str):
        return None
    if not (pattern.startswith(_HEAD) and pattern.endswith(")" + _TAIL_SOURCE)):
        return None
    escaped = pattern[len(_HEAD) : -len(_TAIL_SOURCE) - 1]
    separator = _ESCAPED.sub(r"\1", escaped)
    return separator if re.escape(separator) == escaped else None


class _FeedparserRe(ModuleType):
    """:mod:`re` as the feedparser sees it, with boundary patterns built cheaply."""

    def __init__(self) -> None:
        super().__init__("re")

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        separator = boundary_separator(pattern, flags)
        if separator is None:
            return re.compile(pattern, flags)
        return BoundaryPattern(separator)


def install() -> None:
    """Idempotent; affects only ``email.feedparser``'s own regex compilation."""
    namespace = vars(email.feedparser)
    if not isinstance(namespace["re"], _FeedparserRe):
        namespace["re"] = _FeedparserRe()
