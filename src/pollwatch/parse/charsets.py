"""Turning bytes in a declared charset into text, repairing what real mail gets wrong.

Real messages declare charsets that do not exist (``unknown-8bit``,
``x-user-defined``, ``utf8mb4``), misspell them, or lie about them. Every
repair is reported as a :class:`~pollwatch.models.Defect` so the record says
what was guessed.
"""

from __future__ import annotations

import codecs

from pollwatch.models import Defect

# Labels seen in real mail that Python's codec registry does not know, mapped
# to the charset the sending software actually meant.
_ALIASES = {
    "unknown-8bit": "cp1252",
    "x-unknown": "cp1252",
    "x-user-defined": "cp1252",
    "utf8mb4": "utf-8",
    "utf-8mb4": "utf-8",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",  # a strict superset; senders routinely exceed gb2312
    "gbk": "gb18030",
    "iso-2022-jp-ms": "iso-2022-jp",
    "cp-850": "cp850",
    "_iso-2022-jp$esc": "iso-2022-jp",
    "macintosh": "mac_roman",
}


def _normalise_label(label: str | None) -> str:
    if not label:
        return ""
    return label.strip().strip("\"'").lower()


def resolve_codec(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None when it is unknown."""
    name = _normalise_label(label)
    if not name:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None, where: str) -> tuple[str, tuple[Defect, ...]]:
    """Decode ``data`` declared as ``label``; never raises.

    Unknown labels fall back to UTF-8 then Windows-1252; undecodable bytes are
    replaced. ``where`` names the header or part for the defect detail.
    """
    codec = resolve_codec(label)  # undeclared: UTF-8 is the best first guess today
    defects: list[Defect] = []
    if label and codec is None:
        defects.append(Defect("charset.unknown", f"{where}: unknown charset {label!r}"))
    for attempt in (codec, "utf-8"):
        if attempt is None:
            continue
        try:
            return data.decode(attempt), tuple(defects)
        except (UnicodeDecodeError, LookupError):
            continue
    if codec is not None:
        defects.append(Defect("charset.mismatch", f"{where}: bytes are not valid {label}"))
    elif not label:
        defects.append(Defect("charset.undeclared", f"{where}: 8-bit bytes, no charset"))
    # cp1252 leaves five bytes undefined; replace those rather than fail.
    return data.decode("cp1252", errors="replace"), tuple(defects)
