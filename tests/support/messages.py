"""Small builders for test messages. Every person and mailbox here is invented."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

THREAT_BODY = (
    "Dear Alex Rivera,\n\nWe are in possession of all your information. "
    "You will vote for our candidate or we will come after you.\n"
    "Visit https://evil-example.test/verify?id=42 now.\n"
)


def simple_message(
    subject: str = "Vote for us or else",
    sender: str = '"Official Group" <info@officialgroup-example.com>',
    to: str = '"Alex Rivera" <alex.rivera@example.net>',
    body: str = THREAT_BODY,
    html: str | None = None,
    received: tuple[str, ...] = (
        "from relay.example.ee (relay.example.ee [198.51.100.7]) by mx.example.net "
        "(Postfix) with ESMTP id 4ABC for <alex.rivera@example.net>; "
        "Tue, 20 Oct 2020 14:02:11 +0000",
    ),
    date: str = "Tue, 20 Oct 2020 14:02:05 +0000",
    message_id: str = "<abc123@officialgroup-example.com>",
) -> bytes:
    message = EmailMessage()
    for line in received:
        message["Received"] = line
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=SMTP)


def forward_as_attachment(
    original: bytes,
    reporter: str = "Dana Cole <dana.cole@example.edu>",
    subject: str = "Fwd: Vote for us or else",
    as_eml_file: bool = False,
    boundary: str = "==fwd-boundary-17==",
) -> bytes:
    """A reporter's forward carrying ``original`` as an attachment."""
    if as_eml_file:
        import base64

        encoded = base64.encodebytes(original).replace(b"\n", b"\r\n")
        part = (
            b"Content-Type: application/octet-stream; name=\"message.eml\"\r\n"
            b"Content-Disposition: attachment; filename=\"message.eml\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded
        )
    else:
        part = b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + original
    return (
        f"From: {reporter}\r\nTo: abuse@example.edu\r\nSubject: {subject}\r\n"
        f"Date: Wed, 21 Oct 2020 09:15:00 -0400\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nPlease look at this threat.\r\n"
        f"--{boundary}\r\n"
    ).encode() + part + f"\r\n--{boundary}--\r\n".encode()
