"""Reports: a recipient forwards what they got to an abuse mailbox.

As an attachment (``message/rfc822``, or an ``.eml`` file sent as
``application/octet-stream``) the original's bytes survive exactly; inline
(Gmail "Forwarded message", Outlook "Original Message", Spanish "Mensaje
reenviado") only the visible From/Date/Subject/To lines and the text survive.
The outer message has its own trace: the reporter's mail service sending it and
the abuse mailbox's service receiving it.
"""

from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta
from typing import Literal

from pollwatch.synth.mime import (
    B64,
    HEX,
    Header,
    display_address,
    encode_body,
    encoded_word,
    fold,
    rand_str,
    render,
    render_headers,
    rfc_date,
    text_part,
)
from pollwatch.synth.netdata import SERVICES, pick_ip, rdns
from pollwatch.synth.people import UNIVERSITY_DOMAIN, Person
from pollwatch.synth.providers import receive
from pollwatch.synth.senders import Content, Handover

HOTLINE = "report@voterprotect-fl.org"  # invented state hotline, hosted on Exchange Online

_NOTES_EN = (
    "I received this email this morning. It has my home address in it. Please investigate.",
    "Forwarding a threatening email I got. I am a registered voter in {county} County.",
    "Is this real? It looks like a scam.",
    "Reporting this message.",
    "",
)
_NOTES_DOUBT = ("Is this real?", "Is this email legitimate? It has my voter ID in it.", "")
_NOTES_ES = (
    "Recibí este correo hoy. Tiene mi dirección. Por favor investiguen.",
    "Reenvío este mensaje amenazante.",
    "",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DIAS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_MESES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")


def report_box(reporter: Person) -> str:
    if reporter.provider == "university":
        return f"phishing@{UNIVERSITY_DOMAIN}"
    if reporter.provider == "m365":
        return f"phishing@{reporter.email.rsplit('@', 1)[1]}"
    return HOTLINE


def _clock(t: datetime) -> str:
    hour = t.hour % 12 or 12
    return f"{hour}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def inline_block(style: str, content: Content, to: Person, sent: datetime) -> str:
    """The quoted original as a mail client writes it into a forward."""
    local = sent - timedelta(hours=4)  # voters' Eastern clock, as the client shows it
    frm = f"{content.from_name} <{content.from_addr}>" if content.from_name else content.from_addr
    if style == "outlook":
        return (
            f"-----Original Message-----\nFrom: {frm}\nSent: {_DAYS[local.weekday()]}, "
            f"{_MONTHS[local.month - 1]} {local.day}, {local.year} {_clock(local)}\n"
            f"To: {to.name} <{to.email}>\nSubject: {content.subject}\n\n{content.text}"
        )
    if style == "spanish":
        return (
            f"---------- Mensaje reenviado ---------\nDe: {frm}\nFecha: "
            f"{_DIAS[local.weekday()]}, {local.day} {_MESES[local.month - 1]} {local.year} "
            f"a las {local:%H:%M}\nAsunto: {content.subject}\nPara: <{to.email}>\n\n\n"
            f"{content.text}"
        )
    return (
        f"---------- Forwarded message ---------\nFrom: {frm}\nDate: "
        f"{_DAYS[local.weekday()][:3]}, {_MONTHS[local.month - 1][:3]} {local.day}, "
        f"{local.year} at {_clock(local)}\nSubject: {content.subject}\nTo: <{to.email}>\n\n\n"
        f"{content.text}"
    )


def _outbound(
    reporter: Person, box: str, subject: str, t: datetime, rng: random.Random
) -> tuple[list[Header], Handover | None, str]:
    """The reporter's service sending the forward: its hops, the handover, Message-ID."""
    p = reporter.provider
    if p in ("m365", "university"):
        return _internal(reporter, box, subject, t, rng)
    key = {"gmail": "google_out", "yahoo": "yahoo", "comcast": "comcast"}[p]
    block = SERVICES[key]
    ip = pick_ip(block, rng)
    host = rdns(block, ip) or key
    domain = reporter.email.rsplit("@", 1)[1]
    if p == "gmail":
        hops: list[Header] = [
            (
                "Received",
                f"by {host} with SMTP id {rand_str(rng, 2, 'abcdefghijklmnopqrstuvwxyz')}"
                f"{rng.randint(1, 9)}so{rng.randint(10**6, 10**7)}qtp."
                f"{rng.randint(1, 30)}\n        for <{box}>; "
                f"{rfc_date(t, 'US/Pacific', '0', True)}",
            ),
            ("X-Gm-Message-State", f"AOAM53{rand_str(rng, 60, B64)}"),
            ("X-Google-Smtp-Source", f"ABdhPJ{rand_str(rng, 66, B64)}"),
        ]
        mid = f"<CA{rand_str(rng, 44, B64.replace('/', '_'))}@mail.gmail.com>"
        selector = "20161025"
    elif p == "yahoo":
        hops = [
            (
                "Received",
                f"from 25.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                f"{rng.randint(1, 254)} by {host} with HTTP; {rfc_date(t, 'UTC')}",
            ),
            ("X-Mailer", "WebService/1.1.16868 YMailNorrin"),
        ]
        mid = (
            f"<{rng.randint(10**8, 10**9)}.{rng.randint(10**6, 10**7)}.{int(t.timestamp())}"
            f"{rng.randint(100, 999)}@mail.yahoo.com>"
        )
        selector = "s2048"
    else:
        hops = [
            (
                "Received",
                f"from oxapp-asc-{rng.randint(1, 40):02d}o.email.comcast.net "
                f"([10.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                f"{rng.randint(1, 254)}])"
                f"\n\tby {host} with ESMTPA\n\tid {rand_str(rng, 22)}; "
                f"{rfc_date(t, 'UTC')}",
            ),
            ("X-Mailer", "Open-Xchange Mailer v7.10.3-Rev23"),
        ]
        mid = (
            f"<{rng.randint(10**8, 10**9)}.{rng.randint(1000, 9999)}.{int(t.timestamp())}"
            f"{rng.randint(100, 999)}@connect.xfinity.com>"
        )
        selector = "20190202a"
    hand = Handover(
        edge_ip=ip,
        edge_country=block.country,
        edge_asn=block.asn,
        helo=host,
        rdns=host,
        mail_from=reporter.email,
        from_domain=domain,
        spf="pass",
        dkim="pass",
        dkim_domain=domain,
        dkim_selector=selector,
        dmarc="pass",
        dmarc_policy="NONE",
        at=t + timedelta(seconds=rng.randint(0, 2)),
        origin_ip=ip,
        origin_country=block.country,
    )
    return hops, hand, mid


def _internal(
    reporter: Person, box: str, subject: str, t: datetime, rng: random.Random
) -> tuple[list[Header], Handover | None, str]:
    if reporter.provider == "university":
        q = rand_str(rng, 10, "0123456789ABCDEF")
        uid = reporter.email.split("@")[0]
        hops: list[Header] = [
            ("Return-Path", f"<{reporter.email}>"),
            ("Delivered-To", box),
            (
                "Received",
                f"from smtp.{UNIVERSITY_DOMAIN} (smtp.{UNIVERSITY_DOMAIN} [10.36.2.30])\n"
                f"\tby mailstore1.{UNIVERSITY_DOMAIN} (Postfix) with ESMTPS id {q}\n\tfor "
                f"<{box}>; {rfc_date(t + timedelta(seconds=1), 'US/Eastern', ' ', True)}",
            ),
            (
                "Received",
                f"from webmail.{UNIVERSITY_DOMAIN} (webmail.{UNIVERSITY_DOMAIN} "
                f"[10.36.5.20])\n\t(Authenticated sender: {uid})\n\tby smtp."
                f"{UNIVERSITY_DOMAIN} (Postfix) with ESMTPSA id "
                f"{rand_str(rng, 10, '0123456789ABCDEF')}\n\tfor <{box}>; "
                f"{rfc_date(t, 'US/Eastern', ' ', True)}",
            ),
            ("User-Agent", "Roundcube Webmail/1.4.8"),
        ]
        return hops, None, f"<{rand_str(rng, 32, HEX)}@{UNIVERSITY_DOMAIN}>"
    mbx = f"BN{rng.randint(6, 8)}PR04MB{rng.randint(1000, 9999)}.namprd04.prod.outlook.com"
    v6 = f"fe80::{rand_str(rng, 4, HEX)}:{rand_str(rng, 4, HEX)}:{rand_str(rng, 4, HEX)}"
    hops = [
        (
            "Received",
            fold(
                "Received",
                f"from {mbx} ([{v6}]) by {mbx} ([{v6}%{rng.randint(3, 7)}]) "
                f"with mapi id 15.20.{rng.randint(3400, 3600)}.{rng.randint(10, 40):03d};"
                f" {rfc_date(t, 'UTC', '')}",
            ),
        ),
        ("Thread-Topic", fold("Thread-Topic", encoded_word(subject, "B"))),
        ("X-MS-Exchange-Organization-AuthAs", "Internal"),
        ("X-MS-Exchange-Organization-AuthSource", mbx),
        ("X-MS-Has-Attach", "yes"),
    ]
    return hops, None, f"<{mbx.split('.')[0]}{rand_str(rng, 20, HEX.upper())}@{mbx}>"


def wrap(
    original: bytes,
    content: Content,
    recipient: Person,
    kind: Literal["attachment", "inline"],
    t: datetime,
    rng: random.Random,
    received_at: datetime | None = None,
    legit: bool = False,
) -> tuple[bytes, str]:
    """The forward of ``original`` sent by its recipient at ``t``; returns (raw, abuse box).

    ``received_at`` is when the original arrived (shown in inline forwards);
    ``legit`` picks the doubtful notes people attach to genuine mail they report.
    """
    box = report_box(recipient)
    spanish = recipient.spanish
    notes = _NOTES_DOUBT if legit else (_NOTES_ES if spanish else _NOTES_EN)
    note = rng.choice(notes).format(county=recipient.county)
    hops, hand, mid = _outbound(recipient, box, content.subject, t, rng)
    prefix = {"gmail": "Fwd: ", "m365": "FW: "}.get(recipient.provider, "Fwd: ")
    if spanish:
        prefix = "RV: " if recipient.provider == "m365" else "Fwd: "
    subject = fold("Subject", encoded_word(prefix + content.subject, "B"))
    boundary = (
        "0000000000" + rand_str(rng, 18, HEX)
        if recipient.provider == "gmail"
        else f"_004_{rand_str(rng, 30, HEX.upper())}_"
    )
    if kind == "attachment":
        ctype, body = _attachment_body(original, content, note, boundary, rng)
    else:
        style = "spanish" if spanish else ("outlook" if recipient.provider == "m365" else "gmail")
        text = (note + "\n\n" if note else "") + inline_block(
            style, content, recipient, received_at or t
        )
        part = text_part(text, "plain", "7bit")
        ctype, body = [*part.headers], part.body
    head: list[Header] = [
        *hops,
        ("MIME-Version", "1.0"),
        ("From", display_address(recipient.name, recipient.email, "B")),
        ("Date", rfc_date(t, "US/Eastern")),
        ("Message-ID", mid),
        ("Subject", subject),
        ("To", box),
        *ctype,
    ]
    if hand is not None:
        top, bottom, _ = receive("m365", hand, box, rng)
        head = [*top, *head, *bottom]
    return render(head, body), box


def _attachment_body(
    original: bytes, content: Content, note: str, boundary: str, rng: random.Random
) -> tuple[list[Header], bytes]:
    name = "".join(c for c in content.subject if c.isalnum() or c in " -_")[:40].strip()
    name = name or "message"
    text = (
        render_headers(
            [
                ("Content-Type", 'text/plain; charset="UTF-8"'),
                ("Content-Transfer-Encoding", "quoted-printable"),
            ]
        )
        + b"\n"
        + encode_body(note or "Forwarded as attachment.", "quoted-printable")
    )
    if rng.random() < 0.7:
        att = (
            render_headers(
                [
                    ("Content-Type", f'message/rfc822; name="{name}.eml"'),
                    ("Content-Disposition", f'attachment; filename="{name}.eml"'),
                ]
            )
            + b"\n"
            + original
        )
    else:
        att = (
            render_headers(
                [
                    ("Content-Type", 'application/octet-stream; name="message.eml"'),
                    ("Content-Disposition", 'attachment; filename="message.eml"'),
                    ("Content-Transfer-Encoding", "base64"),
                ]
            )
            + b"\n"
            + base64.encodebytes(original)
        )
    body = (
        f"--{boundary}\n".encode()
        + text
        + f"\n--{boundary}\n".encode()
        + att
        + f"\n--{boundary}--\n".encode()
    )
    return [("Content-Type", f'multipart/mixed;\n boundary="{boundary}"')], body
