"""Outlook ``.msg`` files (OLE2 compound documents) converted to MIME with extract-msg.

The stored evidence stays the ``.msg`` bytes as received; only the parse works
on the MIME rendering, which keeps the transport headers (Received lines
included) when Outlook saved them.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from email.message import Message
from email.policy import compat32
from email.utils import format_datetime
from typing import Any

from pollwatch.config import Limits
from pollwatch.errors import ContainerError
from pollwatch.models import Defect

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extract-msg logs every oddity of a hostile file at WARNING; defects carry them.
logging.getLogger("extract_msg").setLevel(logging.ERROR)


def is_outlook_msg(raw: bytes) -> bool:
    return raw[:8] == OLE_MAGIC


def _complete(email: Message, msg: Any) -> Message:
    """Fill what extract-msg leaves out when Outlook saved no transport headers.

    Its synthesised header block has empty ``Message-Id`` and
    ``Authentication-Results`` fields (misleading: they are dropped) and no
    Subject or Date (taken from the MAPI properties).
    """
    for name in {name for name, value in email.items() if not str(value).strip()}:
        del email[name]
    if email.get("Subject") is None and msg.subject:
        email["Subject"] = str(msg.subject)
    if email.get("Date") is None and isinstance(msg.date, datetime):
        email["Date"] = format_datetime(msg.date)
    return email


def _fix_boundaries(email: Message, raw: bytes) -> None:
    """Deterministic MIME boundaries, so one ``.msg`` always parses to the same record
    (the generator would draw random ones); derived from the file's hash, so
    they cannot occur in its content by accident."""
    seed = hashlib.sha256(raw).hexdigest()[:32]
    for number, part in enumerate(email.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_pollwatch_{seed}_{number}_=")


def to_rfc822(raw: bytes, limits: Limits) -> tuple[bytes, tuple[Defect, ...]]:
    """MIME bytes equivalent to an Outlook message, and what was lost on the way."""
    import extract_msg  # imported here: it is slow to import and rarely needed

    try:
        msg: Any = extract_msg.openMsg(raw, delayAttachments=False)
    except Exception as exc:  # a third-party binary parser: any failure is "unreadable"
        raise ContainerError(f"Outlook .msg unreadable: {exc}", code="msg.unreadable") from exc
    try:
        email = _complete(msg.asEmailMessage(), msg)
        _fix_boundaries(email, raw)
        converted = email.as_bytes(policy=compat32)
    except Exception as exc:  # same boundary: conversion of hostile content
        raise ContainerError(f"Outlook .msg not convertible: {exc}", code="msg.convert") from exc
    finally:
        msg.close()
    defects = [Defect("outlook.converted", "parsed from an Outlook .msg via extract-msg")]
    if not msg.headerText:
        defects.append(
            Defect("outlook.no_transport_headers", "no transport headers: delivery path lost")
        )
    if len(converted) > limits.max_message_bytes:
        raise ContainerError("converted .msg exceeds the message size limit", code="msg.too_large")
    return converted, tuple(defects)
