"""Indicators as CSV, and the indicator vocabulary every export shares.

``indicators_csv(cases)`` writes one row per indicator of each campaign:
``campaign_id, type, value, role, count, first_seen, last_seen`` (RFC 4180:
comma separated, CRLF line ends, fields quoted when needed). Times are ISO 8601
UTC; an indicator without its own times gets its campaign's window.

Spreadsheet formula injection: a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with an apostrophe (``'``), so a
spreadsheet shows it as text instead of running it (a URL or a From address is
chosen by the attacker). Strip one leading apostrophe to get the raw value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from pollwatch.analyze.redact import Mode
from pollwatch.cluster.record import CampaignRecord, Indicator
from pollwatch.export.case import Case
from pollwatch.export.redaction import redact_cases

COLUMNS = ("campaign_id", "type", "value", "role", "count", "first_seen", "last_seen")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# What each role means, in words (STIX descriptions, MISP comments, docs).
ROLES: dict[str, str] = {
    "edge": "edge relay (handed the message to the recipient's provider; cannot be forged)",
    "origin": "estimated injection point",
    "relay": "relay on the delivery path",
    "from": "claimed sender (From)",
    "reply_to": "Reply-To address",
    "return_path": "bounce address (Return-Path)",
    "url": "link in the message",
    "attachment": "attachment",
    "to": "recipient",
    "recipient": "recipient",
    "reporter": "reporting user",
}


def role_text(role: str) -> str:
    return ROLES.get(role, role.replace("_", " "))


def iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC with a ``Z``, or empty."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seen(indicator: Indicator, campaign: CampaignRecord) -> tuple[datetime | None, datetime | None]:
    """The indicator's first and last sighting, or its campaign's when it has none."""
    return (indicator.first_seen or campaign.first_seen, indicator.last_seen or campaign.last_seen)


def defuse(cell: str) -> str:
    """A cell a spreadsheet will not evaluate as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def indicators_csv(
    cases: Sequence[Case],
    *,
    redact: bool = False,
    redact_mode: Mode = "mask",
    redact_key: bytes | None = None,
) -> str:
    """Every indicator of every case, one CSV row each, in the cases' order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for case in redact_cases(cases, redact, redact_mode, redact_key):
        campaign = case.campaign
        for indicator in campaign.indicators:
            first, last = seen(indicator, campaign)
            row = (campaign.campaign_id, indicator.type, indicator.value, indicator.role)
            writer.writerow([*map(defuse, row), str(indicator.count), iso(first), iso(last)])
    return out.getvalue()
