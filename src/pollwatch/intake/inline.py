"""Recovering an original that was forwarded inline, from the forward's body.

Mail clients quote the original under a marker line and a small header block:

* Gmail: ``---------- Forwarded message ---------`` then ``From:``, ``Date:``,
  ``Subject:``, ``To:``; in Spanish ``Mensaje reenviado`` with ``De:``,
  ``Fecha:``, ``Asunto:``, ``Para:``.
* Outlook: ``-----Original Message-----`` or just ``From:``/``Sent:``/``To:``/
  ``Subject:`` after a rule; in Spanish ``De:``/``Enviado el:``/``Para:``/``Asunto:``.
* Apple Mail: ``Begin forwarded message:`` then ``From:``/``Subject:``/``Date:``/``To:``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pollwatch.models import RecoveredFields

_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}\s*(?:forwarded message|original message|mensaje reenviado|"
    r"mensaje original|message transf[ée]r[ée]|message d'origine|weitergeleitete nachricht|"
    r"urspr[üu]ngliche nachricht|messaggio inoltrato|mensagem encaminhada)\s*-*|"
    r"begin forwarded message:|inicio del mensaje reenviado:|_{10,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FIELD_NAMES = {
    "from": "from", "de": "from", "von": "from", "da": "from",
    "date": "date", "sent": "date", "fecha": "date", "enviado": "date", "enviado el": "date",
    "datum": "date", "gesendet": "date", "envoyé": "date", "data": "date",
    "subject": "subject", "asunto": "subject", "betreff": "subject", "objet": "subject",
    "oggetto": "subject", "assunto": "subject",
    "to": "to", "para": "to", "an": "to", "à": "to", "a": "to",
}
_FIELD_LINE = re.compile(r"^[ \t>*]*([A-Za-zÀ-ÿ ]{1,12}?)[ \t]*\*?:[ \t]*\*?(.*)$")
_MONTHS = {
    "jan": 1, "ene": 1, "feb": 2, "mar": 3, "apr": 4, "abr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "ago": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dec": 12,
    "dic": 12,
}
_LOOSE_DATE = re.compile(
    r"(?:(?P<mon1>[A-Za-z]{3})[a-z]*\.? (?P<day1>\d{1,2}),? (?P<year1>\d{4})"
    r"|(?P<day2>\d{1,2}) (?:de )?(?P<mon2>[A-Za-z]{3})[a-z]*\.?,? (?:de )?(?P<year2>\d{4}))"
    r"[^0-9]{1,12}(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
)
_MAX_SCAN = 200_000


def recover_inline(body: str) -> RecoveredFields | None:
    """The quoted original in a forward's body, or None when there is none."""
    body = body[:_MAX_SCAN]
    marker = _MARKER.search(body)
    start = marker.end() if marker else _bare_block_start(body)
    if start is None:
        return None
    fields, body_start = _read_block(body, start)
    if "from" not in fields or len(fields) < 2:
        return None
    date, date_raw = parse_loose_date(fields.get("date"))
    return RecoveredFields(
        from_=fields.get("from"),
        date=date,
        date_raw=date_raw,
        subject=fields.get("subject"),
        to=fields.get("to"),
        body=body[body_start:].strip(),
    )


def _bare_block_start(body: str) -> int | None:
    """Outlook without a marker: a ``From:`` line directly followed by Sent/Date."""
    match = re.search(
        r"^[ \t>*]*(?:from|de|von)[ \t]*\*?:.*\n"
        r"[ \t>*]*(?:sent|date|enviado(?: el)?|fecha|gesendet)[ \t]*\*?:",
        body,
        re.IGNORECASE | re.MULTILINE,
    )
    return match.start() if match else None


def _read_block(body: str, start: int) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    position = start
    started = False
    for line in body[start:].splitlines(keepends=True)[:30]:
        stripped = line.strip()
        match = _FIELD_LINE.match(stripped) if stripped else None
        name = _FIELD_NAMES.get(match.group(1).strip().lower()) if match else None
        if match and name:
            fields.setdefault(name, match.group(2).strip().strip("*").strip())
            started = True
        elif started:
            break
        position += len(line)
    return fields, position


def parse_loose_date(text: str | None) -> tuple[datetime | None, str | None]:
    """Dates as mail clients print them in quoted headers; UTC when no zone is given."""
    if not text:
        return None, None
    try:
        parsed = parsedate_to_datetime(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC), text
    except (TypeError, ValueError, IndexError):
        pass
    match = _LOOSE_DATE.search(text)
    if not match:
        return None, text
    groups = match.groupdict()
    month = _MONTHS.get((groups["mon1"] or groups["mon2"] or "").lower()[:3])
    if month is None:
        return None, text
    hour = int(groups["hour"]) % 12 if groups["ampm"] else int(groups["hour"])
    if groups["ampm"] and groups["ampm"].lower().startswith("p"):
        hour += 12
    try:
        return datetime(
            int(groups["year1"] or groups["year2"]), month, int(groups["day1"] or groups["day2"]),
            hour, int(groups["minute"]), int(groups["second"] or 0), tzinfo=UTC,
        ), text
    except ValueError:
        return None, text
