"""Rows the driver hands to the catalogue, built by the ingest pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from pollwatch.models import Defect, RecoveredFields, SourceRef


class MessageRow(msgspec.Struct, frozen=True):
    sha256: str
    raw: bytes
    status: Literal["parsed", "failed"]
    error_code: str | None = None
    error_reason: str | None = None
    message_id: str | None = None
    date: datetime | None = None
    subject: str | None = None
    from_address: str | None = None
    from_domain: str | None = None
    headers_available: bool = True
    recovered: RecoveredFields | None = None
    defects: tuple[Defect, ...] = ()


class SightingRow(msgspec.Struct, frozen=True):
    sha256: str
    source: SourceRef
    item_sha256: str  # the bytes found at the source position (the outermost forward)
    report_kind: Literal["attachment", "inline"] | None = None
    reporter: str | None = None
    reported_at: datetime | None = None
    wrappers: tuple[str, ...] = ()  # SHA-256 of each forward around it, innermost first
    defects: tuple[Defect, ...] = ()
