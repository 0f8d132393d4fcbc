"""The sending side: how each kind of sender writes headers and hands mail over.

A profile turns rendered content into the original header block plus the
sender's own ``Received`` hops (claimed and unverifiable), and says what the
recipient's edge sees: connecting IP, HELO, envelope sender and the SPF, DKIM
and DMARC outcomes a receiver would record.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from pollwatch.synth.mime import (
    ALNUM,
    B64,
    HEX,
    LOWER,
    Header,
    display_address,
    encoded_word,
    fold,
    multipart_body,
    rand_str,
    rfc_date,
    text_part,
    to_html,
)
from pollwatch.synth.netdata import SERVICES, NetBlock, pick_ip, rdns
from pollwatch.synth.people import Person

AuthResult = Literal["pass", "fail", "softfail", "neutral", "none"]


class Content(msgspec.Struct, frozen=True, kw_only=True):
    """What a message says, before any mailer touches it."""

    subject: str
    paragraphs: tuple[str, ...]
    from_name: str
    from_addr: str
    reply_to: str | None = None
    language: Literal["en", "es"] = "en"
    html: bool = True
    list_unsubscribe: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs) + "\n"


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """Where a message is injected and where it leaves for the recipient."""

    edge: NetBlock
    edge_ip: str
    edge_host: str  # the sending host's name (HELO)
    origin: NetBlock | None = None  # injecting client, when it is not the edge host
    origin_ip: str | None = None
    mail_domain: str = ""  # the domain the edge host sends for (envelope, DKIM)


class Handover(msgspec.Struct, frozen=True, kw_only=True):
    """What the recipient's edge sees, and the verdicts it records."""

    edge_ip: str
    edge_country: str
    edge_asn: int
    helo: str
    rdns: str | None
    mail_from: str
    from_domain: str
    spf: AuthResult
    dkim: AuthResult
    dkim_domain: str | None
    dkim_selector: str | None
    dmarc: AuthResult
    dmarc_policy: str
    at: datetime  # when the edge connection happens
    origin_ip: str
    origin_country: str


class Composed(msgspec.Struct, frozen=True):
    headers: tuple[Header, ...]  # top first: sender hops, then the original headers
    body: bytes
    handover: Handover
    mailer: str


Profile = Callable[[Content, Person, Route, datetime, random.Random], Composed]


def _domain(addr: str) -> str:
    return addr.rsplit("@", 1)[1].lower()


def _dkim_signature(
    rng: random.Random, domain: str, selector: str, signed: str, t: datetime, indent: str
) -> Header:
    b = rand_str(rng, 172, B64) + "=="
    bh = rand_str(rng, 43, B64) + "="
    chunks = [b[i : i + 70] for i in range(0, len(b), 70)]
    value = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};{indent}s={selector}; "
        f"t={int(t.timestamp())};{indent}bh={bh};{indent}h={signed};{indent}b="
        + f"{indent} ".join(chunks)
    )
    return ("DKIM-Signature", value)


def _mime(
    content: Content,
    rng: random.Random,
    boundary: str,
    enc: Literal["quoted-printable", "8bit", "base64", "7bit"],
) -> tuple[list[Header], bytes]:
    plain = text_part(content.text, "plain", enc)
    if not content.html:
        return list(plain.headers), plain.body
    html = text_part(to_html(content.paragraphs), "html", enc)
    body = multipart_body((plain, html), boundary, "This is a multi-part message in MIME format.")
    return [("Content-Type", f'multipart/alternative;\n boundary="{boundary}"')], body


def _subject(content: Content, enc: Literal["B", "Q"]) -> str:
    return fold("Subject", encoded_word(content.subject, enc)) if content.subject else ""


def _handover(
    route: Route,
    content: Content,
    mail_from: str,
    at: datetime,
    rng: random.Random,
    spf: AuthResult,
    dkim: AuthResult,
    dkim_domain: str | None,
    selector: str | None,
) -> Handover:
    from_domain = _domain(content.from_addr)
    aligned_spf = spf == "pass" and _aligned(_domain(mail_from), from_domain)
    aligned_dkim = dkim == "pass" and dkim_domain is not None and _aligned(dkim_domain, from_domain)
    dmarc: AuthResult = "pass" if aligned_spf or aligned_dkim else "fail"
    origin = route.origin or route.edge
    return Handover(
        edge_ip=route.edge_ip,
        edge_country=route.edge.country,
        edge_asn=route.edge.asn,
        helo=route.edge_host,
        rdns=rdns(route.edge, route.edge_ip),
        mail_from=mail_from,
        from_domain=from_domain,
        spf=spf,
        dkim=dkim,
        dkim_domain=dkim_domain,
        dkim_selector=selector,
        dmarc=dmarc,
        dmarc_policy=rng.choice(("NONE", "NONE", "QUARANTINE", "REJECT")),
        at=at,
        origin_ip=route.origin_ip or route.edge_ip,
        origin_country=origin.country,
    )


def _aligned(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _to(person: Person) -> str:
    return display_address(person.name, person.email, "Q")


# --- profiles ---------------------------------------------------------------


def phpmailer_cpanel(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    """A PHP script on a compromised cPanel web host, handed to local Exim."""
    host = route.edge_host
    site = route.mail_domain
    user = rand_str(rng, 8, "abcdefghijklmnopqrstuvwxyz")
    exim_id = f"1k{rand_str(rng, 4)}-000{rng.randint(1, 9)}{rand_str(rng, 2)}-{rand_str(rng, 2)}"
    mail_from = f"{user}@{host}"
    tz = route.edge.tz
    uniq = rand_str(rng, 40)
    mime_headers, body = _mime(content, rng, f"b1_{uniq}", "quoted-printable")
    headers: list[Header] = [
        (
            "Received",
            f"from {user} by {host} with local (Exim 4.93)\n\t(envelope-from "
            f"<{mail_from}>)\n\tid {exim_id}\n\tfor {person.email}; {rfc_date(t, tz)}",
        ),
        ("To", _to(person)),
        ("Subject", _subject(content, "Q")),
        ("X-PHP-Originating-Script", f"{rng.choice((1000, 1001, 1003))}:mailer.php"),
        ("Date", rfc_date(t, tz)),
        ("From", display_address(content.from_name, content.from_addr, "Q")),
    ]
    if content.reply_to:
        headers.append(("Reply-To", content.reply_to))
    headers += [
        ("Message-ID", f"<{uniq}@{site}>"),
        ("X-Mailer", f"PHPMailer 6.1.{rng.randint(4, 8)} (https://github.com/PHPMailer/PHPMailer)"),
        ("MIME-Version", "1.0"),
        *mime_headers,
        (
            "X-AntiAbuse",
            "This header was added to track abuse, please include it with any abuse report",
        ),
        ("X-AntiAbuse", f"Primary Hostname - {host}"),
        ("X-AntiAbuse", f"Original Domain - {person.email.split('@')[1]}"),
        ("X-AntiAbuse", "Originator/Caller UID/GID - [47 12] / [47 12]"),
        ("X-AntiAbuse", f"Sender Address Domain - {host}"),
        ("X-Get-Message-Sender-Via", f"{host}: authenticated_id: {user}/from_h"),
        ("X-Authenticated-Sender", f"{host}: {content.from_addr}"),
        ("X-Source", ""),
        ("X-Source-Args", "/opt/cpanel/ea-php72/root/usr/sbin/php-fpm"),
        ("X-Source-Dir", f"{site}:/public_html/wp-content/uploads"),
    ]
    at = t + timedelta(seconds=rng.randint(0, 3))
    spf: AuthResult = "pass"
    hand = _handover(route, content, mail_from, at, rng, spf, "none", None, None)
    return Composed(tuple(headers), body, hand, "phpmailer-cpanel")


def relay_postfix(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    """Mail submitted from a rented VPS (origin) through a hijacked Postfix account (edge)."""
    assert route.origin is not None and route.origin_ip is not None
    relay = route.edge_host
    tz = route.edge.tz
    helo = rng.choice(
        (
            "WIN-" + rand_str(rng, 11, ALNUM.upper()),
            "localhost",
            "[127.0.0.1]",
            "User",
            "DESKTOP-" + rand_str(rng, 7, ALNUM.upper()),
        )
    )
    qid = rand_str(rng, 12, "BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789")
    stamp = t + timedelta(seconds=rng.randint(1, 6))
    mail_from = content.from_addr if rng.random() < 0.5 else f"info@{route.mail_domain}"
    mime_headers, body = _mime(
        content,
        rng,
        f"----=_Part_{rng.randint(1, 99999)}_"
        f"{rng.randint(10**8, 10**9)}.{int(t.timestamp() * 1000)}",
        "base64",
    )
    headers: list[Header] = [
        (
            "Received",
            f"from {helo} (unknown [{route.origin_ip}])\n\t(Authenticated sender: "
            f"info@{route.mail_domain})\n\tby {relay} (Postfix) with ESMTPSA id {qid}\n"
            f"\tfor <{person.email}>; {rfc_date(stamp, tz, ' ', True)}",
        ),
    ]
    if rng.random() < 0.5:  # the sender's own claimed first hop
        headers.append(
            (
                "Received",
                f"from localhost (localhost [127.0.0.1])\n\tby {helo} "
                f"with SMTP; {rfc_date(t - timedelta(seconds=rng.randint(0, 2)), 'UTC')}",
            )
        )
    headers += [
        ("MIME-Version", "1.0"),
        ("Date", rfc_date(t, route.origin.tz)),
        ("From", display_address(content.from_name, content.from_addr, "B")),
        ("To", _to(person)),
        ("Subject", _subject(content, "B")),
        (
            "Message-ID",
            f"<{rand_str(rng, 8, HEX)}-{rand_str(rng, 4, HEX)}-{rand_str(rng, 4, HEX)}"
            f"-{rand_str(rng, 12, HEX)}@{route.mail_domain}>",
        ),
        (
            "X-Mailer",
            rng.choice(
                (
                    "PHPMailer 6.1.6 (https://github.com/PHPMailer/PHPMailer)",
                    "Microsoft Outlook 16.0",
                    "Mozilla Thunderbird 78.3.2",
                )
            ),
        ),
    ]
    if content.reply_to:
        headers.append(("Reply-To", content.reply_to))
    headers += mime_headers
    spf: AuthResult = (
        "pass"
        if mail_from.endswith(route.mail_domain)
        else rng.choice(("softfail", "fail", "neutral", "none"))
    )
    hand = _handover(
        route,
        content,
        mail_from,
        stamp + timedelta(seconds=rng.randint(0, 4)),
        rng,
        spf,
        "none",
        None,
        None,
    )
    return Composed(tuple(headers), body, hand, "relay-postfix")


def relay_exim(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    """Mail submitted with stolen SMTP credentials to an Exim server (edge)."""
    assert route.origin is not None and route.origin_ip is not None
    tz = route.edge.tz
    stamp = t + timedelta(seconds=rng.randint(1, 5))
    exim_id = f"1k{rand_str(rng, 4)}-000{rng.randint(1, 9)}{rand_str(rng, 2)}-{rand_str(rng, 2)}"
    mail_from = f"{rng.choice(('office', 'admin', 'noreply', 'info'))}@{route.mail_domain}"
    mime_headers, body = _mime(
        content, rng, f"==============={rng.randint(10**18, 10**19)}==", "quoted-printable"
    )
    headers: list[Header] = [
        (
            "Received",
            f"from [{route.origin_ip}] (port={rng.randint(49152, 65535)} "
            f"helo=[{route.origin_ip}])\n\tby {route.edge_host} with esmtpsa  (TLS1.2) "
            f"tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n\t(Exim 4.93)\n\t"
            f"(envelope-from <{mail_from}>)\n\tid {exim_id}\n\tfor {person.email}; "
            f"{rfc_date(stamp, tz)}",
        ),
        ("MIME-Version", "1.0"),
        *mime_headers,
        ("From", display_address(content.from_name, content.from_addr, "B", quote=False)),
        ("To", person.email),
        ("Subject", _subject(content, "B")),
        ("Date", rfc_date(t, "UTC")),
        ("Message-Id", f"<{int(t.timestamp())}.{rand_str(rng, 6, HEX)}@{route.mail_domain}>"),
    ]
    if content.reply_to:
        headers.append(("Reply-To", content.reply_to))
    hand = _handover(
        route,
        content,
        mail_from,
        stamp + timedelta(seconds=rng.randint(0, 3)),
        rng,
        "pass",
        "none",
        None,
        None,
    )
    return Composed(tuple(headers), body, hand, "relay-exim")


def vps_postfix(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    """A throwaway VPS running Postfix for an attacker-registered lookalike domain."""
    tz = route.edge.tz
    qid = rand_str(rng, 10, "0123456789ABCDEF")
    mime_headers, body = _mime(content, rng, rand_str(rng, 28, HEX), "8bit")
    headers: list[Header] = [
        (
            "Received",
            f"by {route.edge_host} (Postfix, from userid 33)\n\tid {qid}; "
            f"{rfc_date(t, tz, ' ', True)}",
        ),
        ("To", _to(person)),
        ("Subject", _subject(content, "B")),
        ("From", display_address(content.from_name, content.from_addr, "B")),
    ]
    if content.reply_to:
        headers.append(("Reply-To", content.reply_to))
    headers += [
        ("MIME-Version", "1.0"),
        *mime_headers,
        ("Message-Id", f"<{t:%Y%m%d%H%M%S}.{qid}@{route.edge_host}>"),
        ("Date", rfc_date(t, tz, " ", True)),
    ]
    spf: AuthResult = "pass"
    if content.from_addr == person.email:  # spoofing the recipient's own address
        mail_from, spf = person.email, rng.choice(("softfail", "fail", "neutral"))
    else:  # the attacker registered the lookalike domain and published SPF for it
        mail_from = f"bounce@{_domain(content.from_addr)}"
    hand = _handover(
        route,
        content,
        mail_from,
        t + timedelta(seconds=rng.randint(0, 2)),
        rng,
        spf,
        "none",
        None,
        None,
    )
    return Composed(tuple(headers), body, hand, "vps-postfix")


def _esp_common(content: Content, person: Person, rng: random.Random) -> list[Header]:
    out: list[Header] = [
        ("From", display_address(content.from_name, content.from_addr, "B")),
        ("To", _to(person)),
        ("Subject", _subject(content, "B")),
    ]
    if content.reply_to:
        out.append(("Reply-To", content.reply_to))
    if content.list_unsubscribe:
        out.append(("List-Unsubscribe", f"<{content.list_unsubscribe}>"))
        out.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return out


def sendgrid(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    domain = _domain(content.from_addr)
    uid = rng.randint(1_000_000, 29_999_999)
    local, rdomain = person.email.split("@")
    mail_from = (
        f"bounces+{uid}-{rand_str(rng, 4, HEX)}-{local}={rdomain}"
        f"@em{rng.randint(100, 9999)}.{domain}"
    )
    pod = f"filterdrecv-p3iad2-{rand_str(rng, 10, HEX)}-{rand_str(rng, 5, LOWER)}"
    mime_headers, body = _mime(content, rng, rand_str(rng, 64, HEX), "quoted-printable")
    headers: list[Header] = [
        (
            "Received",
            f"by {pod} with SMTP id {pod}-{rng.randint(1, 30)}-"
            f"{int(t.timestamp()):X}-{rng.randint(1, 99):X}\n        "
            f"{t:%Y-%m-%d %H:%M:%S}.{rng.randint(0, 10**9):09d} +0000 UTC "
            f"m=+{rng.randint(1000, 999999)}.{rng.randint(0, 10**9):09d}",
        ),
        (
            "Received",
            f"from {rand_str(rng, 10)} (unknown)\n\tby geopod-ismtpd-{rng.randint(1, 6)}"
            f"-{rng.randint(0, 2)} (SG) with HTTP id {rand_str(rng, 22)}\n\t"
            f"{rfc_date(t - timedelta(seconds=1), 'UTC')[:-6]}.{rng.randint(0, 999):03d}"
            " +0000 (UTC)",
        ),
        _dkim_signature(rng, domain, "s1", "mime-version:from:subject:to:content-type", t, "\n\t"),
        _dkim_signature(rng, "sendgrid.info", "smtpapi", "mime-version:from:subject:to", t, "\n\t"),
        ("Date", rfc_date(t, "UTC")),
        ("MIME-Version", "1.0"),
        *_esp_common(content, person, rng),
        ("Message-ID", f"<{rand_str(rng, 22)}@geopod-ismtpd-{rng.randint(1, 6)}-0>"),
        *mime_headers,
        ("X-SG-EID", fold("X-SG-EID", rand_str(rng, 120, B64) + "=")),
        ("X-SG-ID", fold("X-SG-ID", rand_str(rng, 80, B64) + "=")),
        ("X-Entity-ID", rand_str(rng, 22, B64) + "=="),
    ]
    hand = _handover(
        route,
        content,
        mail_from,
        t + timedelta(seconds=rng.randint(1, 4)),
        rng,
        "pass",
        "pass",
        domain,
        "s1",
    )
    return Composed(tuple(headers), body, hand, "sendgrid")


def amazon_ses(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    domain = _domain(content.from_addr)
    msg = (
        f"{int(t.timestamp() * 1000):016x}-{rand_str(rng, 8, HEX)}-{rand_str(rng, 4, HEX)}-"
        f"{rand_str(rng, 4, HEX)}-{rand_str(rng, 4, HEX)}-{rand_str(rng, 12, HEX)}-000000"
    )
    mail_from = f"{msg}@bounce.{domain}"
    mime_headers, body = _mime(
        content,
        rng,
        f"----=_Part_{rng.randint(10**6, 10**7)}_"
        f"{rng.randint(10**8, 10**9)}.{int(t.timestamp() * 1000)}",
        "quoted-printable",
    )
    headers: list[Header] = [
        _dkim_signature(
            rng,
            domain,
            rand_str(rng, 32, "abcdefghijklmnopqrstuvwxyz234567"),
            "From:Reply-To:To:Subject:MIME-Version:Content-Type:Message-ID:Date",
            t,
            "\n\t",
        ),
        _dkim_signature(
            rng,
            "amazonses.com",
            "224i4yxa5dv7c2xz3womw6peuasteono",
            "From:Reply-To:To:Subject:MIME-Version:Content-Type:Message-ID:Date:Feedback-ID",
            t,
            "\n\t",
        ),
        *_esp_common(content, person, rng),
        ("MIME-Version", "1.0"),
        *mime_headers,
        ("Message-ID", f"<{msg}@email.amazonses.com>"),
        ("Date", rfc_date(t, "UTC")),
        ("Feedback-ID", f"1.us-east-1.{rand_str(rng, 43, B64)}=:AmazonSES"),
        ("X-SES-Outgoing", f"{t:%Y.%m.%d}-{route.edge_ip}"),
    ]
    hand = _handover(
        route,
        content,
        mail_from,
        t + timedelta(seconds=rng.randint(0, 2)),
        rng,
        "pass",
        "pass",
        domain,
        "ses",
    )
    return Composed(tuple(headers), body, hand, "amazon-ses")


def mailgun(
    content: Content, person: Person, route: Route, t: datetime, rng: random.Random
) -> Composed:
    domain = _domain(content.from_addr)
    mg = f"mg.{domain}"
    mail_from = (
        f"bounce+{rand_str(rng, 6, HEX)}.{rand_str(rng, 6, HEX)}-"
        f"{person.email.replace('@', '=')}@{mg}"
    )
    mime_headers, body = _mime(content, rng, rand_str(rng, 32, HEX), "quoted-printable")
    headers: list[Header] = [
        _dkim_signature(
            rng,
            mg,
            "k1",
            "Date: Message-Id: To: To: From: From: Subject: Subject: "
            "Content-Type: Mime-Version: Sender: Sender;",
            t,
            "\n ",
        ),
        ("Date", rfc_date(t, "UTC")),
        ("Message-Id", f"<{t:%Y%m%d%H%M%S}.1.{rand_str(rng, 16, HEX.upper())}@{mg}>"),
        ("X-Mailgun-Sid", rand_str(rng, 64, B64)),
        ("Received", f"by luna.mailgun.net with HTTP; {rfc_date(t, 'UTC')}"),
        ("X-Mailgun-Sending-Ip", route.edge_ip),
        ("Sender", f"{content.from_addr.split('@')[0]}={domain}@{mg}"),
        *_esp_common(content, person, rng),
        ("Mime-Version", "1.0"),
        *mime_headers,
    ]
    hand = _handover(
        route,
        content,
        mail_from,
        t + timedelta(seconds=rng.randint(1, 5)),
        rng,
        "pass",
        "pass",
        mg,
        "k1",
    )
    return Composed(tuple(headers), body, hand, "mailgun")


PROFILES: dict[str, Profile] = {
    "phpmailer-cpanel": phpmailer_cpanel,
    "relay-postfix": relay_postfix,
    "relay-exim": relay_exim,
    "vps-postfix": vps_postfix,
    "sendgrid": sendgrid,
    "amazon-ses": amazon_ses,
    "mailgun": mailgun,
}
ESP_BLOCK = {"sendgrid": "sendgrid", "amazon-ses": "ses", "mailgun": "mailgun"}


def esp_route(profile: str, domain: str, rng: random.Random) -> Route:
    block_key = ESP_BLOCK[profile]
    block = SERVICES[block_key]
    ip = pick_ip(block, rng)
    host = rdns(block, ip) or f"{block_key}.net"
    return Route(edge=block, edge_ip=ip, edge_host=host, mail_domain=domain)
