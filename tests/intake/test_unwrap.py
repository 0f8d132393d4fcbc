from __future__ import annotations

import hashlib

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.intake.containers import RawItem
from pollwatch.models import SourceRef
from pollwatch.pipeline.ingest import Outcome, process_item
from pollwatch.pipeline.job import IngestJob
from support.messages import forward_as_attachment, simple_message
from support.outlook_msg import build_msg

JOB = IngestJob(DEFAULT_LIMITS)


def _process(raw: bytes) -> Outcome:
    return process_item(RawItem(raw, SourceRef("/reports/x.eml", "eml")), JOB)


def test_forward_with_rfc822_attachment_yields_the_original_byte_for_byte() -> None:
    original = simple_message()
    outcome = _process(forward_as_attachment(original))
    assert outcome.message is not None and outcome.sighting is not None
    assert outcome.message.raw == original
    assert outcome.message.sha256 == hashlib.sha256(original).hexdigest()
    assert outcome.sighting.report_kind == "attachment"
    assert outcome.sighting.reporter == "dana.cole@example.edu"
    assert outcome.sighting.reported_at is not None
    assert outcome.sighting.reported_at.isoformat() == "2020-10-21T13:15:00+00:00"
    assert len(outcome.wrappers) == 1 and outcome.message.headers_available


def test_eml_file_with_generic_type_is_unwrapped() -> None:
    original = simple_message()
    outcome = _process(forward_as_attachment(original, as_eml_file=True))
    assert outcome.message is not None and outcome.message.raw == original


def test_nested_forwards_are_peeled_and_every_reporter_kept() -> None:
    original = simple_message()
    first = forward_as_attachment(original, reporter="Dana Cole <dana.cole@example.edu>")
    second = forward_as_attachment(first, reporter="IT Desk <it@example.edu>",
                                   subject="FW: Fwd: Vote for us or else", boundary="outer-2")
    outcome = _process(second)
    assert outcome.message is not None and outcome.sighting is not None
    assert outcome.message.raw == original
    assert outcome.sighting.reporter == "dana.cole@example.edu"  # the person who received it
    assert outcome.sighting.wrappers == (
        hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest())


def test_forwarded_outlook_msg_attachment_is_unwrapped() -> None:
    inner = build_msg(subject="Vote or else", sender_name="G", sender_email="g@example.org",
                      to="v@example.net", body="we will come after you")
    outcome = _process(forward_as_attachment(inner, as_eml_file=False).replace(
        b"Content-Type: message/rfc822", b"Content-Type: application/octet-stream; name=a.msg"))
    assert outcome.message is not None
    assert outcome.message.raw == inner
    assert outcome.message.subject == "Vote or else"


def test_attachment_without_a_report_signal_is_left_alone() -> None:
    original = simple_message()
    carrier = forward_as_attachment(original, subject="Your invoice")
    outcome = _process(carrier)
    assert outcome.message is not None and outcome.message.raw == carrier
    assert outcome.sighting is not None and outcome.sighting.report_kind is None


def test_arf_feedback_report_is_unwrapped() -> None:
    original = simple_message()
    arf = (
        b"From: abuse-desk@example.net\r\nTo: abuse@example.edu\r\nSubject: complaint\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; "
        b"boundary=\"arf\"\r\n\r\n--arf\r\nContent-Type: text/plain\r\n\r\nabuse report\r\n"
        b"--arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
        b"Version: 1\r\n\r\n--arf\r\nContent-Type: message/rfc822\r\n\r\n" + original
        + b"\r\n--arf--\r\n"
    )
    outcome = _process(arf)
    assert outcome.message is not None and outcome.message.raw == original


GMAIL_INLINE = """Please check this.

---------- Forwarded message ---------
From: Proud Group <info@officialgroup-example.com>
Date: Tue, Oct 20, 2020 at 2:02 PM
Subject: Vote for us or else
To: <alex.rivera@example.net>


Alex Rivera, we know where you live: 12 Maple St.
You will vote for us or we will come after you.
"""

OUTLOOK_ES_INLINE = """Reenvío esto.

________________________________
De: Grupo Oficial <info@grupo-example.com>
Enviado el: martes, 20 de octubre de 2020 14:02
Para: Ana Pérez <ana.perez@example.net>
Asunto: Vote por nosotros

Sabemos por quién votó.
"""


def _inline(body: str, subject: str) -> bytes:
    return (
        f"From: Dana Cole <dana.cole@example.edu>\r\nTo: abuse@example.edu\r\n"
        f"Subject: {subject}\r\nDate: Wed, 21 Oct 2020 09:15:00 -0400\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def test_gmail_inline_forward_recovers_quoted_headers_and_body() -> None:
    raw = _inline(GMAIL_INLINE, "Fwd: Vote for us or else")
    outcome = _process(raw)
    assert outcome.message is not None and outcome.sighting is not None
    assert outcome.message.sha256 == hashlib.sha256(raw).hexdigest()
    assert outcome.sighting.report_kind == "inline"
    assert outcome.message.headers_available is False
    recovered = outcome.message.recovered
    assert recovered is not None
    assert recovered.from_ == "Proud Group <info@officialgroup-example.com>"
    assert recovered.subject == "Vote for us or else"
    assert recovered.to == "<alex.rivera@example.net>"
    assert recovered.date is not None and recovered.date.isoformat() == "2020-10-20T14:02:00+00:00"
    assert recovered.body.startswith("Alex Rivera, we know where you live")


def test_spanish_outlook_inline_forward_is_recovered() -> None:
    outcome = _process(_inline(OUTLOOK_ES_INLINE, "RV: Vote por nosotros"))
    assert outcome.message is not None
    recovered = outcome.message.recovered
    assert recovered is not None
    assert recovered.from_ == "Grupo Oficial <info@grupo-example.com>"
    assert recovered.subject == "Vote por nosotros"
    assert recovered.body == "Sabemos por quién votó."


def test_ordinary_reply_is_not_mistaken_for_an_inline_forward() -> None:
    outcome = _process(_inline("Thanks, see you at the polls.\n", "Re: volunteers"))
    assert outcome.sighting is not None and outcome.sighting.report_kind is None
