"""Property tests: arbitrary bytes through intake and parsing never raise."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pollwatch.config import Limits
from pollwatch.intake import RawItem, iter_items
from pollwatch.models import SourceRef
from pollwatch.pipeline.ingest import process_item
from pollwatch.pipeline.job import IngestJob
from support.messages import simple_message

LIMITS = Limits(max_message_bytes=1_000_000, max_mime_parts=200, max_mime_depth=20)
JOB = IngestJob(LIMITS)
SEED = simple_message()

# Pieces real hostile mail is made of, so the fuzzer reaches the MIME paths.
FRAGMENTS = st.sampled_from([
    b"From: a@example.org\r\n", b"Content-Type: multipart/mixed; boundary=q\r\n", b"--q\r\n",
    b"--q--\r\n", b"\r\n", b"Content-Type: message/rfc822\r\n", b"Subject: Fwd: x\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"=?utf-8?b?w6k=?=", b"=?bogus?q?=FF?=",
    b"=?utf-8?B?w6kxx?=", b"charset=\"x-unknown\"", b"From a@b Tue Oct 20 14:02:05 2020\n", b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"Received: from x ([1.2.3.4]) by y;\r\n", b"\xff\xfe",
    b"<a href='http://x.test/'>", b"---------- Forwarded message ---------\nFrom: z\nDate: q\n",
])


def _run(data: bytes) -> None:
    for item in iter_items(["-"], LIMITS, stdin=io.BytesIO(data)):
        outcome = process_item(item, JOB)
        assert outcome.source is not None
        if isinstance(item, RawItem):
            assert outcome.message is not None  # bytes that were read are never lost
            assert outcome.message.status == "parsed" or outcome.message.error_code


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _run(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.binary(max_size=64)), max_size=40))
def test_structured_garbage_never_raises(pieces: list[bytes]) -> None:
    _run(b"".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SEED)), st.binary(max_size=32))
def test_mutated_real_message_never_raises(position: int, noise: bytes) -> None:
    _run(SEED[:position] + noise + SEED[position:])


def test_processing_never_raises_on_truncations() -> None:
    for cut in range(0, len(SEED), 7):
        outcome = process_item(RawItem(SEED[:cut], SourceRef("t", "eml")), JOB)
        assert outcome.message is not None or outcome.failure is not None
