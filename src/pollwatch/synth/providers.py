"""The receiving side: each provider's own trace and authentication headers.

``receive`` returns the headers a provider prepends (top first) and those it
appends after the original block (Exchange Online stamps its
``X-MS-Exchange-Organization-*`` headers at the bottom). Formats follow what
each provider wrote in 2020-2024 mail: Gmail's ``mx.google.com`` hop with
ARC, Exchange Online Protection's three-hop chain and ``compauth``, Yahoo's
``atlas`` HTTPS hop, Comcast's ``resimta`` hosts, and a university on Postfix
with OpenDKIM/OpenDMARC and policyd-spf.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pollwatch.synth.labels import Provider
from pollwatch.synth.mime import ALNUM, B64, HEX, Header, fold, rand_str, rfc_date
from pollwatch.synth.people import M365_TENANTS, UNIVERSITY_DOMAIN
from pollwatch.synth.senders import Handover

Received = tuple[list[Header], list[Header], datetime]  # top, bottom, delivered at

TLS_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
)


def _from_part(h: Handover, style: str) -> str:
    """``from helo (rdns [ip])`` as each MTA writes it."""
    if style == "google":
        return f"{h.helo} ({h.rdns}. [{h.edge_ip}])" if h.rdns else f"{h.helo} ([{h.edge_ip}])"
    if style == "postfix":
        return f"{h.helo} ({h.rdns or 'unknown'} [{h.edge_ip}])"
    return f"{h.helo} ({h.rdns} [{h.edge_ip}])" if h.rdns else f"{h.helo} ([{h.edge_ip}])"


def _mf_domain(h: Handover) -> str:
    return h.mail_from.rsplit("@", 1)[1]


def _v6(rng: random.Random, parts: int) -> str:
    return ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(parts))


# --- Gmail ------------------------------------------------------------------


def _google_spf(h: Handover) -> str:
    who = f"domain of {h.mail_from}"
    return {
        "pass": f"pass (google.com: {who} designates {h.edge_ip} as permitted sender)",
        "fail": f"fail (google.com: {who} does not designate {h.edge_ip} as permitted sender)",
        "softfail": f"softfail (google.com: domain of transitioning {h.mail_from} does not "
        f"designate {h.edge_ip} as permitted sender)",
        "neutral": f"neutral (google.com: {h.edge_ip} is neither permitted nor denied by best "
        f"guess record for {who})",
        "none": f"none (google.com: {h.mail_from} does not designate permitted sender hosts)",
    }[h.spf]


def _google_auth(h: Handover, rng: random.Random) -> str:
    lines = []
    if h.dkim != "none" and h.dkim_domain:
        lines.append(
            f"dkim={h.dkim} header.i=@{h.dkim_domain} header.s={h.dkim_selector} "
            f"header.b={rand_str(rng, 8)}"
        )
    lines.append(f"spf={_google_spf(h)} smtp.mailfrom={h.mail_from}")
    dis = "NONE" if h.dmarc == "pass" else h.dmarc_policy
    lines.append(
        f"dmarc={h.dmarc} (p={h.dmarc_policy} sp={h.dmarc_policy} dis={dis}) "
        f"header.from={h.from_domain}"
    )
    return "mx.google.com;\n       " + ";\n       ".join(lines)


def _arc_b(rng: random.Random) -> str:
    b = rand_str(rng, 342, B64) + "=="
    return "\n         ".join(b[i : i + 70] for i in range(0, len(b), 70))


def gmail(h: Handover, rcpt: str, rng: random.Random) -> Received:
    t_edge = h.at
    t_in = t_edge + timedelta(seconds=rng.randint(0, 2))
    ts = int(t_in.timestamp())
    auth = _google_auth(h, rng)
    sid = (
        f"{rng.randint(1, 99)}-20020a17090{rand_str(rng, 6, HEX)}00b00{rand_str(rng, 10, HEX)}"
        f"si{rng.randint(10**6, 10**7)}{rand_str(rng, 3, 'abcdefghijklmnopqrstuvwxyz')}."
        f"{rng.randint(1, 600)}.{t_edge:%Y.%m.%d.%H.%M.%S}"
    )
    spf_line = _google_spf(h)
    top: list[Header] = [
        ("Delivered-To", rcpt),
        (
            "Received",
            f"by 2002:a05:6a10:{_v6(rng, 1)}:0:0:0:0 with SMTP id "
            f"{rand_str(rng, 2, 'abcdefghijklmnopqrstuvwxyz')}{rng.randint(1, 9)}csp"
            f"{rng.randint(10**5, 10**7)}pxa;\n        "
            f"{rfc_date(t_in, 'US/Pacific', '', True)}",
        ),
        ("X-Google-Smtp-Source", f"ABdhPJ{rand_str(rng, 66, B64)}"),
        (
            "X-Received",
            f"by 2002:a17:906:{_v6(rng, 2)}:: with SMTP id "
            f"{rand_str(rng, 2, 'abcdefghijklmnopqrstuvwxyz')}{rng.randint(1, 99)}mr"
            f"{rng.randint(10**6, 10**8)}ejb.{rng.randint(1, 500)}."
            f"{ts}{rng.randint(100, 999)};\n        "
            f"{rfc_date(t_in, 'US/Pacific', '0', True)}",
        ),
        (
            "ARC-Seal",
            f"i=1; a=rsa-sha256; t={ts}; cv=none;\n        d=google.com; "
            f"s=arc-20160816;\n        b={_arc_b(rng)}",
        ),
        (
            "ARC-Message-Signature",
            "i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; "
            "s=arc-20160816;\n        h=to:subject:message-id:date:from:"
            f"mime-version;\n        bh={rand_str(rng, 43, B64)}=;\n"
            f"        b={_arc_b(rng)}",
        ),
        ("ARC-Authentication-Results", f"i=1; {auth}"),
        ("Return-Path", f"<{h.mail_from}>"),
        (
            "Received",
            f"from {_from_part(h, 'google')}\n        by mx.google.com with ESMTPS id "
            f"{sid}\n        for <{rcpt}>\n        (version=TLS1_2 cipher="
            f"{rng.choice(TLS_CIPHERS)} bits=128/128);\n        "
            f"{rfc_date(t_edge, 'US/Pacific', '0', True)}",
        ),
        ("Received-SPF", f"{spf_line} client-ip={h.edge_ip};"),
        ("Authentication-Results", auth),
    ]
    return top, [], t_in


# --- Microsoft 365 ----------------------------------------------------------


def _ms_host(rng: random.Random, region: str, kind: str) -> str:
    letters = rng.choice(("BN", "BY", "CH", "CO", "DM", "MW", "SN", "SA", "PH"))
    if kind == "mbx":
        return (
            f"{letters}{rng.randint(1, 9)}PR{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}."
            f"{region}.prod.outlook.com"
        )
    if kind == "fe":
        return f"{letters}{rng.randint(1, 9)}PR{rng.randint(10, 19)}CA{rng.randint(1, 299):04d}"
    return f"{letters}{rng.randint(1, 9)}NAM{rng.randint(10, 12):02d}FT{rng.randint(1, 70):03d}"


def _ms_auth(h: Handover, rcpt_domain: str) -> tuple[str, str]:
    spf_word = {
        "pass": "pass",
        "fail": "fail",
        "softfail": "softfail",
        "neutral": "neutral",
        "none": "none",
    }[h.spf]
    dkim = (
        "none (message not signed) header.d=none"
        if h.dkim == "none"
        else f"{h.dkim} (signature was verified) header.d={h.dkim_domain}"
    )
    action = (
        "none"
        if h.dmarc == "pass" or h.dmarc_policy == "NONE"
        else ("quarantine" if h.dmarc_policy == "QUARANTINE" else "oreject")
    )
    comp = "pass reason=100" if h.dmarc == "pass" else "fail reason=000"
    auth = (
        f"spf={spf_word} (sender IP is {h.edge_ip}) smtp.mailfrom={_mf_domain(h)}; "
        f"{rcpt_domain}; dkim={dkim};{rcpt_domain}; dmarc={h.dmarc} action={action} "
        f"header.from={h.from_domain};compauth={comp}"
    )
    verb = "designates" if h.spf == "pass" else "does not designate"
    spf = (
        f"{spf_word.capitalize()} (protection.outlook.com: domain of {_mf_domain(h)} {verb} "
        f"{h.edge_ip} as permitted sender) receiver=protection.outlook.com; "
        f"client-ip={h.edge_ip}; helo={h.helo};"
    )
    if h.spf == "none":
        spf = (
            f"None (protection.outlook.com: {_mf_domain(h)} does not designate permitted "
            f"sender hosts)"
        )
    return auth, spf


def m365(h: Handover, rcpt: str, rng: random.Random) -> Received:
    rcpt_domain = rcpt.rsplit("@", 1)[1]
    region = dict(M365_TENANTS).get(rcpt_domain, "namprd04")
    eop, fe, mbx = (
        _ms_host(rng, region, "eop"),
        _ms_host(rng, region, "fe"),
        _ms_host(rng, region, "mbx"),
    )
    build = f"15.20.{rng.randint(3400, 3600)}.{rng.randint(10, 40)}"
    cipher = "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)"
    t0 = h.at
    t1, t2 = t0 + timedelta(seconds=rng.randint(0, 1)), t0 + timedelta(seconds=rng.randint(1, 3))
    base = f"2603:10b6:{_v6(rng, 1)}:{_v6(rng, 1)}"
    v6 = f"{base}::{rng.randint(10, 99)}"
    auth, spf = _ms_auth(h, rcpt_domain)
    top: list[Header] = [
        (
            "Received",
            fold(
                "Received",
                f"from {fe}.{region}.prod.outlook.com ({v6}) by {mbx} "
                f"({base}::{rng.randint(10, 99)}) with Microsoft SMTP Server "
                f"{cipher} id {build}; {rfc_date(t2, 'UTC', '')}",
            ),
        ),
        (
            "Received",
            fold(
                "Received",
                f"from {eop}.eop-nam{eop[6:8]}.prod.protection.outlook.com "
                f"({base}:cafe::{rng.randint(10, 99)}) by {fe}.outlook.office365.com "
                f"({v6}) with Microsoft SMTP Server {cipher} id {build} via Frontend "
                f"Transport; {rfc_date(t1, 'UTC', '')}",
            ),
        ),
        ("Authentication-Results", fold("Authentication-Results", auth)),
        ("Received-SPF", fold("Received-SPF", spf)),
        (
            "Received",
            fold(
                "Received",
                f"from {h.helo} ({h.edge_ip}) by "
                f"{eop}.mail.protection.outlook.com (10.13.{rng.randint(1, 254)}."
                f"{rng.randint(1, 254)}) with Microsoft SMTP Server {cipher} id "
                f"{build} via Frontend Transport; {rfc_date(t0, 'UTC', '')}",
            ),
        ),
        (
            "X-IncomingTopHeaderMarker",
            fold(
                "X-IncomingTopHeaderMarker",
                f"OriginalChecksum:{rand_str(rng, 64, HEX.upper())};"
                f"UpperCasedChecksum:{rand_str(rng, 64, HEX.upper())};"
                f"SizeAsReceived:{rng.randint(900, 4000)};Count:"
                f"{rng.randint(8, 30)}",
            ),
        ),
    ]
    mid = (
        f"{rand_str(rng, 8, HEX)}-{rand_str(rng, 4, HEX)}-{rand_str(rng, 4, HEX)}-"
        f"{rand_str(rng, 4, HEX)}-{rand_str(rng, 12, HEX)}"
    )
    scl = "1" if h.dmarc == "pass" else rng.choice(("1", "5", "5", "9"))
    bottom: list[Header] = [
        (
            "X-MS-Exchange-Organization-ExpirationStartTime",
            f"{t0:%d %b %Y %H:%M:%S}.{rng.randint(0, 9999):04d} (UTC)",
        ),
        ("X-MS-Exchange-Organization-Network-Message-Id", mid),
        ("X-EOPAttributedMessage", "0"),
        ("X-MS-Exchange-Organization-MessageDirectionality", "Incoming"),
        ("X-MS-PublicTrafficType", "Email"),
        (
            "X-MS-Exchange-Organization-AuthSource",
            f"{eop}.eop-nam{eop[6:8]}.prod.protection.outlook.com",
        ),
        ("X-MS-Exchange-Organization-AuthAs", "Anonymous"),
        ("X-MS-Office365-Filtering-Correlation-Id", mid),
        ("X-Sender-IP", h.edge_ip),
        ("X-SID-PRA", h.from_domain.upper()),
        ("X-MS-Exchange-Organization-SCL", scl),
        (
            "X-MS-Exchange-CrossTenant-OriginalArrivalTime",
            f"{t0:%d %b %Y %H:%M:%S}.{rng.randint(0, 9999):04d} (UTC)",
        ),
        ("X-MS-Exchange-CrossTenant-FromEntityHeader", "Internet"),
        (
            "X-MS-Exchange-Transport-EndToEndLatency",
            f"00:00:0{rng.randint(1, 9)}.{rng.randint(10**6, 10**7 - 1)}",
        ),
    ]
    return top, bottom, t2


# --- Yahoo ------------------------------------------------------------------


def yahoo(h: Handover, rcpt: str, rng: random.Random) -> Received:
    atlas = f"atlas{rng.randint(100, 330)}.free.mail.{rng.choice(('bf1', 'ne1', 'gq1'))}.yahoo.com"
    inner = f"10.{rng.randint(192, 223)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    t1 = h.at + timedelta(seconds=rng.randint(0, 1))
    dkim = (
        "unknown"
        if h.dkim == "none"
        else f"{h.dkim} header.i=@{h.dkim_domain} header.s={h.dkim_selector}"
    )
    spf_text = {"pass": "designates", "none": "does not designate permitted sender hosts"}.get(
        h.spf, "does not designate"
    )
    spf_line = (
        f"{h.spf} (domain of {_mf_domain(h)} {spf_text} {h.edge_ip} as permitted sender)"
        if h.spf != "none"
        else f"none (domain of {_mf_domain(h)} {spf_text})"
    )
    top: list[Header] = [
        ("Received", f"from {inner}\n by {atlas} pod-id NONE with HTTPS; {rfc_date(t1, 'UTC')}"),
        ("Return-Path", f"<{h.mail_from}>"),
        ("X-Originating-Ip", f"[{h.edge_ip}]"),
        ("Received-SPF", spf_line),
        (
            "Authentication-Results",
            f"{atlas};\n dkim={dkim};\n spf={h.spf} smtp.mailfrom="
            f"{_mf_domain(h)};\n dmarc={h.dmarc}(p={h.dmarc_policy}) "
            f"header.from={h.from_domain};",
        ),
        ("X-Apparently-To", f"{rcpt}; {rfc_date(t1, 'UTC')}"),
        (
            "X-YMailISG",
            fold("X-YMailISG", " ".join(rand_str(rng, 60, ALNUM + "._") for _ in range(4))),
        ),
        (
            "Received",
            f"from {h.edge_ip} (EHLO {h.helo})\n by {inner} with SMTPs\n "
            f"(version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256);\n "
            f"{rfc_date(h.at, 'UTC')}",
        ),
    ]
    return top, [], t1


# --- Comcast ----------------------------------------------------------------


def comcast(h: Handover, rcpt: str, rng: random.Random) -> Received:
    host = (
        f"resimta-{rng.choice(('c1p', 'h1p', 'po'))}-{rng.randint(10**5, 10**6 - 1):06d}"
        ".sys.comcast.net"
    )
    t1 = h.at + timedelta(seconds=rng.randint(0, 2))
    dkim = (
        "none"
        if h.dkim == "none"
        else f"{h.dkim} header.d={h.dkim_domain} header.b={rand_str(rng, 8)}"
    )
    top: list[Header] = [
        ("Return-Path", f"<{h.mail_from}>"),
        ("Delivered-To", rcpt),
        (
            "Received",
            f"from {_from_part(h, 'comcast')}\n\tby {host} with ESMTPS\n\tid "
            f"{rand_str(rng, 22)}; {rfc_date(h.at, 'UTC')}",
        ),
        (
            "X-Xfinity-VAAS",
            fold(
                "X-Xfinity-VAAS",
                "gggruggvucftvghtrhhoucdtuddrgedu"
                + rand_str(rng, 120, "abcdefghijklmnopqrstuvwxyz"),
            ),
        ),
        (
            "X-Xfinity-VMeta",
            f"sc={'-100.00' if h.dmarc == 'pass' else '75.00'};"
            f"st={'legit' if h.dmarc == 'pass' else 'spam'}",
        ),
        (
            "Authentication-Results",
            f"{host};\tdkim={dkim};\tspf={h.spf} smtp.mailfrom="
            f"{h.mail_from};\tdmarc={h.dmarc} header.from={h.from_domain}",
        ),
        (
            "X-Xfinity-Message-Heuristics",
            f"IPv6:N;TLS=1;SPF={int(h.spf == 'pass')};DMARC={'P' if h.dmarc == 'pass' else 'F'}",
        ),
    ]
    return top, [], t1


# --- University on Postfix ----------------------------------------------------


def university(h: Handover, rcpt: str, rng: random.Random) -> Received:
    mx = f"mx{rng.randint(1, 2)}.{UNIVERSITY_DOMAIN}"
    store = f"mailstore{rng.randint(1, 4)}.{UNIVERSITY_DOMAIN}"
    t1 = h.at + timedelta(seconds=rng.randint(0, 2))
    q1, q2 = (f"4C{rand_str(rng, 2)}{rand_str(rng, 7, ALNUM)}z{rand_str(rng, 4)}" for _ in "12")
    spf_word = {
        "pass": "Pass",
        "fail": "Fail",
        "softfail": "Softfail",
        "neutral": "Neutral",
        "none": "None",
    }[h.spf]
    dkim = (
        "none"
        if h.dkim == "none"
        else f"{h.dkim} (2048-bit key) header.d={h.dkim_domain} "
        f'header.i=@{h.dkim_domain} header.b="'
        f'{rand_str(rng, 8)}"'
    )
    top: list[Header] = [
        ("Return-Path", f"<{h.mail_from}>"),
        ("Delivered-To", rcpt),
        (
            "Received",
            f"from {mx} ({mx} [10.36.2.{rng.randint(11, 14)}])\n\tby {store} (Postfix) "
            f"with ESMTPS id {q2}\n\tfor <{rcpt}>; "
            f"{rfc_date(t1, 'US/Eastern', ' ', True)}",
        ),
        (
            "Authentication-Results",
            f"{mx};\n\tdkim={dkim};\n\tspf={h.spf} smtp.mailfrom="
            f"{h.mail_from};\n\tdmarc={h.dmarc} (p={h.dmarc_policy.lower()} "
            f"dis={'none' if h.dmarc == 'pass' else h.dmarc_policy.lower()}"
            f") header.from={h.from_domain}",
        ),
        (
            "Received-SPF",
            f"{spf_word} (mailfrom) identity=mailfrom; client-ip={h.edge_ip}; "
            f"helo={h.helo};\n envelope-from={h.mail_from}; receiver=<UNKNOWN>",
        ),
        (
            "Received",
            f"from {_from_part(h, 'postfix')}\n\t(using TLSv1.2 with cipher "
            f"ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))\n\t(No client certificate "
            f"requested)\n\tby {mx} (Postfix) with ESMTPS id {q1}\n\tfor <{rcpt}>; "
            f"{rfc_date(h.at, 'US/Eastern', ' ', True)}",
        ),
    ]
    return top, [], t1


RECEIVERS = {
    "gmail": gmail,
    "m365": m365,
    "yahoo": yahoo,
    "comcast": comcast,
    "university": university,
}


def receive(provider: Provider, h: Handover, rcpt: str, rng: random.Random) -> Received:
    return RECEIVERS[provider](h, rcpt, rng)
