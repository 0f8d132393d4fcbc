from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from pollwatch.config import Limits
from pollwatch.errors import MessageLimitError, NotAMessageError
from pollwatch.parse import parse_message
from pollwatch.parse.mime import safe_filename
from support.messages import simple_message
from support.outlook_msg import build_msg


def test_basic_fields_are_decoded_and_keyed_by_sha256() -> None:
    raw = simple_message()
    parsed = parse_message(raw)
    assert parsed.sha256 == hashlib.sha256(raw).hexdigest()
    assert parsed.subject == "Vote for us or else"
    assert parsed.from_ is not None
    assert parsed.from_.display == "Official Group"
    assert parsed.from_.domain == "officialgroup-example.com"
    assert parsed.to[0].address == "alex.rivera@example.net"
    assert parsed.message_id == "abc123@officialgroup-example.com"
    assert parsed.date == datetime(2020, 10, 20, 14, 2, 5, tzinfo=UTC)
    assert "we will come after you" in parsed.text_body
    assert parsed.urls == ("https://evil-example.test/verify?id=42",)


def test_received_lines_keep_header_order_unfolded() -> None:
    raw = simple_message(received=("from b by c; Tue, 20 Oct 2020 14:02:12 +0000",
                                   "from a by b; Tue, 20 Oct 2020 14:02:11 +0000"))
    parsed = parse_message(raw)
    assert parsed.received == (
        "from b by c; Tue, 20 Oct 2020 14:02:12 +0000",
        "from a by b; Tue, 20 Oct 2020 14:02:11 +0000",
    )


def test_rfc2047_subject_and_display_name_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Oficina_Electoral_Condado?= <votos@example.org>\r\n"
        b"Subject: =?iso-8859-1?q?Vote_o_atenga_las_consecuencias_=E1?=\r\n\r\nhola\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Vote o atenga las consecuencias á"
    assert parsed.from_ is not None and parsed.from_.display == "Oficina Electoral Condado"
    assert parsed.defects == ()


def test_unknown_charset_is_repaired_and_recorded_as_defect() -> None:
    raw = (
        b"From: a@example.org\r\nSubject: =?x-bogus-8?q?caf=E9?=\r\n"
        b"Content-Type: text/plain; charset=x-bogus-8\r\n\r\ncaf\xe9 con leche\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "café"
    assert "café con leche" in parsed.text_body
    kinds = {d.kind for d in parsed.defects}
    assert "charset.unknown" in kinds


def test_raw_8bit_header_bytes_are_recovered() -> None:
    raw = "From: José Núñez <jn@example.org>\r\nSubject: año\r\n\r\nx\r\n".encode()
    parsed = parse_message(raw)
    assert parsed.subject == "año"
    assert parsed.from_ is not None and parsed.from_.display == "José Núñez"


def test_html_only_body_is_rendered_to_text_with_links() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Your vote is <b>not</b> secret.</p><a href='https://login-example.test/a?b=1&amp;c=2'>"
        "Sign in</a></body></html>"
    )
    raw = (
        "From: a@example.org\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    parsed = parse_message(raw)
    assert parsed.text_body == ""
    assert "Your vote is not secret." in parsed.html_text
    assert "alert" not in parsed.html_text and "color" not in parsed.html_text
    assert parsed.body_text == parsed.html_text
    assert "https://login-example.test/a?b=1&c=2" in parsed.urls


def test_attachment_facts_without_trusting_the_name() -> None:
    raw = (
        b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
        b"see file\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=\"../../etc/cron.d/x.sh\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--XX--\r\n"
    )
    parsed = parse_message(raw)
    (attachment,) = parsed.attachments
    assert attachment.name == "../../etc/cron.d/x.sh"
    assert attachment.safe_name == "x.sh"
    assert attachment.size == 5
    assert attachment.sha256 == hashlib.sha256(b"hello").hexdigest()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("..\\..\\win.ini", "win.ini"), ("/abs/evil", "evil"), ("a\x00b.txt", "a_b.txt"),
     (None, "unnamed"), ("..", "unnamed")],
)
def test_safe_filename_strips_traversal(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_binary_garbage_is_not_an_email() -> None:
    with pytest.raises(NotAMessageError):
        parse_message(b"\x00\x01\x02\xff" * 100)


def test_huge_header_block_is_refused_quickly() -> None:
    raw = b"From: a@example.org\r\nX-Junk: " + b"a" * (2 * 1024 * 1024) + b"\r\n\r\nbody"
    with pytest.raises(MessageLimitError) as info:
        parse_message(raw)
    assert info.value.code == "message.header_too_large"


def _nested(depth: int) -> bytes:
    head = b"From: a@example.org\r\nSubject: nest\r\n"
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth)
    )
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nhello\r\n" + closing


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    with pytest.raises(MessageLimitError) as info:
        parse_message(_nested(1_500))
    assert info.value.code == "mime.too_deep"


def test_ten_thousand_parts_are_refused() -> None:
    with pytest.raises(MessageLimitError) as info:
        parse_message(_nested(10_000))
    assert info.value.code == "mime.too_many_parts"


def test_moderate_nesting_parses() -> None:
    parsed = parse_message(_nested(20))
    assert parsed.text_body.strip() == "hello"


def test_limits_are_configurable() -> None:
    with pytest.raises(MessageLimitError):
        parse_message(_nested(5), Limits(max_mime_depth=3))


def test_outlook_msg_is_parsed_with_its_transport_headers() -> None:
    headers = (
        "Received: from relay.example.ee ([198.51.100.7]) by mx.example.net with ESMTP; "
        "Tue, 20 Oct 2020 14:02:11 +0000\r\nFrom: Official Group <info@officialgroup-example.com>"
        "\r\nTo: Alex Rivera <alex.rivera@example.net>\r\nSubject: Vote or else\r\n"
        "Date: Tue, 20 Oct 2020 14:02:05 +0000\r\nMessage-ID: <m1@officialgroup-example.com>\r\n"
    )
    raw = build_msg(
        subject="Vote or else", sender_name="Official Group",
        sender_email="info@officialgroup-example.com", to="Alex Rivera <alex.rivera@example.net>",
        body="We will come after you.", transport_headers=headers,
        attachments=[("note.txt", b"attached words")],
    )
    parsed = parse_message(raw)
    assert parsed.sha256 == hashlib.sha256(raw).hexdigest()  # keyed by the .msg bytes
    assert parsed.subject == "Vote or else"
    assert parsed.from_ is not None and parsed.from_.address == "info@officialgroup-example.com"
    assert parsed.received and "198.51.100.7" in parsed.received[0]
    assert "We will come after you." in parsed.text_body
    assert [a.safe_name for a in parsed.attachments] == ["note.txt"]
    assert "outlook.converted" in {d.kind for d in parsed.defects}


def test_outlook_msg_without_transport_headers_says_the_path_is_lost() -> None:
    raw = build_msg(subject="Hi", sender_name="Sam Poll", sender_email="sam@example.org",
                    to="kim@example.net", body="body text")
    parsed = parse_message(raw)
    assert "outlook.no_transport_headers" in {d.kind for d in parsed.defects}
    assert parsed.received == ()


def test_bad_base64_encoded_word_is_repaired_not_fatal() -> None:
    raw = b"From: a@example.org\r\nSubject: =?utf-8?B?w6kxx?= =?utf-8?b?w6k=?= ok\r\n\r\nx\r\n"
    parsed = parse_message(raw)
    assert parsed.subject.startswith("é") and parsed.subject.endswith("é ok")
    assert "header.encoded_word" in {d.kind for d in parsed.defects}


def test_outlook_msg_parses_to_the_same_record_every_time() -> None:
    raw = build_msg(subject="Hi", sender_name="Sam Poll", sender_email="sam@example.org",
                    to="kim@example.net", body="body", html="<p>body</p>",
                    attachments=[("a.txt", b"x")])
    assert parse_message(raw) == parse_message(raw)
