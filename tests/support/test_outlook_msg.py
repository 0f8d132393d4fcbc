"""Round-trip tests: .msg bytes from ``build_msg`` must read back through olefile/extract-msg."""

from __future__ import annotations

import email
import io
import logging
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import extract_msg
import olefile
import pytest

from .outlook_msg import (
    MINI_STREAM_CUTOFF,
    SECTOR_SIZE,
    Storage,
    build_msg,
    write_cfb,
)

HEADERS = (
    "Received: from mx.example.net (mx.example.net [192.0.2.7])\r\n"
    "\tby mail.example.org; Mon, 6 May 2024 07:08:09 +0000\r\n"
    "From: Election Office <office@elections.example>\r\n"
    "To: Voter <voter@example.org>\r\n"
    "Subject: Your polling place has moved\r\n"
    "Date: Mon, 6 May 2024 07:08:09 +0000\r\n"
    "Message-ID: <abc123@elections.example>\r\n"
    "\r\n"
)
DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

# extract-msg ships py.typed but its constructors are untyped and ``openMsg`` is
# annotated as returning the base ``MSGFile``; keep ``Any`` at this boundary.
Message: Any = extract_msg.Message
open_msg: Any = extract_msg.openMsg


def _basic(**overrides: Any) -> bytes:
    kwargs: dict[str, Any] = {
        "subject": "Your polling place has moved",
        "sender_name": "Election Office",
        "sender_email": "office@elections.example",
        "to": "Voter <voter@example.org>",
        "body": "Vote on Wednesday instead.\r\nThanks!",
    }
    kwargs.update(overrides)
    return build_msg(**kwargs)


@pytest.fixture
def strict_ole_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Fail the test if extract-msg/olefile log anything at WARNING or above."""
    caplog.set_level(logging.WARNING)
    yield caplog
    noisy = [r for r in caplog.records if r.name.startswith(("extract_msg", "olefile"))]
    assert not noisy, [r.getMessage() for r in noisy]


# --- compound file structure --------------------------------------------------


def test_is_ole_file_and_parses_with_every_defect_fatal() -> None:
    data = _basic(attachments=[("notice.pdf", b"%PDF-1.4 " * 1000)], html="<p>x</p>")
    assert olefile.isOleFile(data=data)
    assert len(data) % SECTOR_SIZE == 0
    # DEFECT_UNSURE is the lowest level: olefile raises on anything it finds odd.
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE) as ole:
        assert ole.header_signature == bytes.fromhex("D0CF11E0A1B11AE1")
        assert (ole.dll_version, ole.minor_version) == (3, 0x3E)
        assert ole.sector_size == 512 and ole.mini_sector_size == 64
        assert ole.mini_stream_cutoff_size == MINI_STREAM_CUTOFF
        assert ole.root.name == "Root Entry"
        assert ole.get_type("__nameid_version1.0") == olefile.STGTY_STORAGE
        for stream in ("00020102", "00030102", "00040102"):
            assert ole.openstream(f"__nameid_version1.0/__substg1.0_{stream}").read() == b""


def _walk_siblings(ole: olefile.OleFileIO, sid: int) -> Iterator[Any]:
    """In-order traversal of one storage's sibling tree (raw directory links)."""
    if sid == olefile.NOSTREAM:
        return
    entry = ole.direntries[sid]
    yield from _walk_siblings(ole, entry.sid_left)
    yield entry
    yield from _walk_siblings(ole, entry.sid_right)


def test_directory_sibling_trees_are_ordered_per_ms_cfb() -> None:
    data = _basic(
        to="A <a@example.org>, B <b@example.org>",
        attachments=[(f"f{i}.txt", b"x" * i) for i in range(20)],
        transport_headers=HEADERS,
    )
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE) as ole:
        seen = 0
        pending = [ole.root]
        while pending:
            storage = pending.pop()
            children = list(_walk_siblings(ole, storage.sid_child))
            # MS-CFB 2.6.4: shorter names first, then upper-cased comparison.
            keys = [(len(c.name), c.name.upper()) for c in children]
            assert keys == sorted(keys) and len(set(keys)) == len(keys)
            seen += len(children)
            pending += [c for c in children if c.entry_type == olefile.STGTY_STORAGE]
        assert seen == len(ole.listdir(streams=True, storages=True))


def test_stream_placement_around_mini_stream_cutoff() -> None:
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000]
    root = Storage("Root Entry")
    payloads = {f"s{size}": bytes((i * 7 + size) % 256 for i in range(size)) for size in sizes}
    for name, payload in payloads.items():
        root.add_stream(name, payload)
    data = write_cfb(root)
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE) as ole:
        for name, payload in payloads.items():
            assert ole.get_size(name) == len(payload)
            assert ole.openstream(name).read() == payload
        # 70 KB needs more than one FAT sector (128 sectors per FAT sector).
        assert ole.num_fat_sectors > 1
        assert ole.root.size == sum(-(-s // 64) * 64 for s in sizes if s < MINI_STREAM_CUTOFF)


def test_rejects_invalid_entry_names() -> None:
    for bad in ("a/b", "x" * 32, ""):
        root = Storage("Root Entry")
        root.add_stream(bad, b"")
        with pytest.raises(ValueError):
            write_cfb(root)
    root = Storage("Root Entry")
    root.add_stream("Dup", b"")
    root.add_stream("dUP", b"")
    with pytest.raises(ValueError):
        write_cfb(root)


def test_property_stream_headers_and_string_sizes() -> None:
    data = _basic(
        to="A <a@example.org>, b@example.org",
        attachments=[("a.txt", b"abc")],
        embedded_msg=b"Subject: x\r\n\r\nbody\r\n",
        date=DATE,
    )
    with olefile.OleFileIO(data) as ole:
        top = ole.openstream("__properties_version1.0").read()
        # MS-OXMSG 2.4.1.1: reserved(8), next recip id, next attach id, counts, reserved(8)
        assert struct.unpack_from("<8xIIII8x", top) == (2, 2, 2, 2)
        assert (len(top) - 32) % 16 == 0
        entries = {
            tag: (flags, value) for tag, flags, value in struct.iter_unpack("<IIQ", top[32:])
        }
        subject = ole.openstream("__substg1.0_0037001F").read()
        assert entries[0x0037001F][1] & 0xFFFFFFFF == len(subject) + 2
        assert entries[0x001A001F][1] & 0xFFFFFFFF == len("IPM.Note") * 2 + 2
        assert 0x00390040 in entries
        for storage in ("__recip_version1.0_#00000001", "__attach_version1.0_#00000001"):
            raw = ole.openstream(f"{storage}/__properties_version1.0").read()
            assert raw[:8] == b"\0" * 8 and (len(raw) - 8) % 16 == 0
        att = ole.openstream("__attach_version1.0_#00000000/__properties_version1.0").read()
        att_entries = {tag: value for tag, _, value in struct.iter_unpack("<IIQ", att[8:])}
        assert att_entries[0x37050003] == 1  # ATTACH_BY_VALUE
        assert att_entries[0x37010102] & 0xFFFFFFFF == 3  # binary size, no terminator


# --- extract-msg round trips --------------------------------------------------


def test_full_round_trip(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    html = "<html><body><p>Vote <b>Wednesday</b> — café</p></body></html>"
    attachments = [
        ("flyer.txt", b"polls open 7-8"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50),
    ]
    data = _basic(html=html, transport_headers=HEADERS, attachments=attachments, date=DATE)
    with Message(data) as msg:
        assert msg.classType == "IPM.Note"
        assert msg.subject == "Your polling place has moved"
        assert msg.body == "Vote on Wednesday instead.\r\nThanks!"
        assert msg.htmlBody == html.encode("utf-8")
        assert msg.date == DATE  # aware datetime, converted to the *local* zone
        assert msg.headerText == HEADERS
        assert msg.header["Message-ID"] == "<abc123@elections.example>"
        assert msg.header.get_all("Received") is not None
        # With transport headers present, sender/to are taken from the headers.
        assert msg.sender == "Election Office <office@elections.example>"
        assert msg.to == "Voter <voter@example.org>"
        assert [(a.name, a.data) for a in msg.attachments] == attachments
        assert [a.mimetype for a in msg.attachments] == ["text/plain", "image/png"]
        assert [r.formatted for r in msg.recipients] == ["Voter <voter@example.org>"]
        assert msg.getStringStream("__substg1.0_0C1F") == "office@elections.example"
        assert msg.getStringStream("__substg1.0_0E04") == "Voter"


def test_round_trip_without_transport_headers(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    data = _basic(to="Ann Voter <ann@example.org>, bob@example.org", date=DATE)
    with Message(data) as msg:
        # No 007D stream: extract-msg synthesises a header from the properties...
        assert msg.headerText is None
        assert msg.header["From"] == "Election Office <office@elections.example>"
        assert msg.header["Date"] == email.utils.format_datetime(msg.date)
        # ...sender comes from 0C1A + 5D01, recipients are "name <addr>" joined by "; ".
        assert msg.sender == "Election Office <office@elections.example>"
        assert msg.to == "Ann Voter <ann@example.org>; bob@example.org <bob@example.org>"
        # ...and an HTML body is generated from the plain-text body.
        assert msg.getStream("__substg1.0_10130102") is None
        assert msg.htmlBody == b"<html><body>Vote on Wednesday instead.<br />Thanks!</body></html>"
        assert msg.attachments == []


def test_dates_naive_is_utc_and_offsets_respected() -> None:
    for given, expected in [
        (datetime(2020, 11, 3, 12, 0, 0), datetime(2020, 11, 3, 12, 0, 0, tzinfo=UTC)),
        (
            datetime(2020, 11, 3, 7, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2020, 11, 3, 12, 0, 0, 250_000, tzinfo=UTC),
        ),
    ]:
        with Message(_basic(date=given)) as msg:
            assert msg.date == expected
    with Message(_basic()) as msg:
        assert msg.date is None


def test_accepts_bytes_path_and_file_object(tmp_path: Path) -> None:
    data = _basic(date=DATE)
    path = tmp_path / "report.msg"
    path.write_bytes(data)
    for source in (data, str(path), path, io.BytesIO(data)):
        with open_msg(source) as msg:
            assert isinstance(msg, extract_msg.Message)
            assert msg.subject == "Your polling place has moved"


def test_large_attachments_use_regular_sectors(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    big = bytes(range(256)) * 400  # 102 400 bytes: several FAT sectors' worth
    edge = b"E" * MINI_STREAM_CUTOFF
    under = b"u" * (MINI_STREAM_CUTOFF - 1)
    attachments = [("big.bin", big), ("edge.bin", edge), ("under.bin", under)]
    data = _basic(attachments=attachments, body="B" * 5000, html="<p>" + "h" * 5000 + "</p>")
    assert len(data) > len(big)
    with Message(data) as msg:
        assert [(a.name, a.data) for a in msg.attachments] == attachments
        assert msg.body == "B" * 5000
        assert msg.htmlBody == ("<p>" + "h" * 5000 + "</p>").encode()


def test_many_small_streams(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    # ~60 attachments x 8 streams: multi-sector directory, mini FAT and mini stream.
    attachments = [(f"doc-{i:03d}.txt", bytes([i]) * (i * 37 % 700)) for i in range(60)]
    recipients = ", ".join(f"Voter {i} <v{i}@example.org>" for i in range(25))
    data = _basic(attachments=attachments, to=recipients)
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE) as ole:
        assert len(ole.listdir()) > 450
        assert ole.num_mini_fat_sectors > 1
    with Message(data) as msg:
        assert [(a.name, a.data) for a in msg.attachments] == attachments
        assert len(msg.recipients) == 25
        assert msg.to == "; ".join(f"Voter {i} <v{i}@example.org>" for i in range(25))


def test_embedded_rfc822_attachment(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    original = (
        b"From: Fake Registrar <registrar@electi0ns.example>\r\n"
        b"To: voter@example.org\r\n"
        b"Subject: Confirm your registration\r\n"
        b"\r\n"
        b"Click here.\r\n"
    )
    data = _basic(
        subject="FW: Confirm your registration",
        attachments=[("note.txt", b"reported by user")],
        embedded_msg=original,
    )
    with Message(data) as msg:
        names = [a.name for a in msg.attachments]
        assert names == ["note.txt", "original.eml"]
        eml = msg.attachments[1]
        assert eml.data == original
        assert eml.mimetype == "message/rfc822"
        parsed = email.message_from_bytes(eml.data)
        assert parsed["Subject"] == "Confirm your registration"


def test_non_ascii_text_round_trips(strict_ole_logs: pytest.LogCaptureFixture) -> None:
    data = _basic(
        subject="Ihr Wahllokal 🗳 hat sich geändert",
        sender_name="Wahlamt Köln",
        to="Zoë Ünal <zoe@example.org>",
        body="Grüße — 投票\n",
        attachments=[("résumé ✓.txt", "ü".encode())],
    )
    with Message(data) as msg:
        assert msg.subject == "Ihr Wahllokal 🗳 hat sich geändert"
        assert msg.sender == "Wahlamt Köln <office@elections.example>"
        assert msg.to == "Zoë Ünal <zoe@example.org>"
        assert msg.body == "Grüße — 投票\n"
        assert [(a.name, a.data) for a in msg.attachments] == [("résumé ✓.txt", "ü".encode())]
