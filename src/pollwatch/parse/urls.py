"""URLs found in bodies and HTML links, normalised for indicators.

Only strings are extracted; nothing is ever fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL = re.compile(
    r"""(?:(?:https?|ftp)://|www\.)[^\s<>"'`{}|\\^\[\]]{1,2000}""",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\">"
_MAX_URLS = 1_000


def _clean(url: str) -> str | None:
    url = url.strip().rstrip(_TRAILING)
    lowered = url.lower()
    if lowered.startswith("www."):
        url = "http://" + url
    elif not lowered.startswith(("http://", "https://", "ftp://")):
        return None
    return url if len(url) > len("http://") + 3 else None


def extract_urls(texts: Iterable[str], links: Iterable[str] = ()) -> tuple[str, ...]:
    """Distinct URLs, in order of first appearance, from text and link targets."""
    seen: dict[str, None] = {}
    for link in links:
        cleaned = _clean(link)
        if cleaned:
            seen.setdefault(cleaned, None)
    for text in texts:
        for match in _URL.finditer(text):
            cleaned = _clean(match.group(0))
            if cleaned:
                seen.setdefault(cleaned, None)
            if len(seen) >= _MAX_URLS:
                return tuple(seen)
    return tuple(seen)
