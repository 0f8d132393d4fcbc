"""End to end against a real authoritative DNS server on 127.0.0.1 (dnslib), no mocks.

A message is DKIM-signed with a key generated here, passed through a relay
chain (each relay adds its Received line, the recipient's MX adds
Authentication-Results), and verified through pollwatch's DNS adapter asking
the loopback server. A tampered body fails DKIM. A snapshot recorded in one
run reproduces every verdict with DNS turned off (the server stopped).
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

from pollwatch.analyze.auth import analyze_auth
from pollwatch.analyze.dns import DnsSource
from pollwatch.analyze.posture import check_posture
from pollwatch.analyze.record import AuthSection, Edge, Hop, PathSection
from pollwatch.models import ParsedMessage
from pollwatch.parse import parse_message

EDGE_IP = "198.51.100.25"


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Authoritative answers from zone text: NXDOMAIN for unknown names, NODATA otherwise."""

    def __init__(self, zone: str) -> None:
        self.records = RR.fromZone(zone)
        self.names = {str(r.rname).lower() for r in self.records}

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname).lower()
        qtype = QTYPE[request.q.qtype]
        for rr in self.records:
            if str(rr.rname).lower() == qname and (QTYPE[rr.rtype] in (qtype, "CNAME")):
                reply.add_answer(rr)
        if not reply.rr and qname not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        reply.header.aa = 1
        return reply


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _txt(name: str, text: str) -> str:
    chunks = [text[i : i + 250] for i in range(0, len(text), 250)]
    return f"{name} 300 IN TXT " + " ".join(f'"{c}"' for c in chunks)


def _keys() -> tuple[bytes, str, bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = base64.b64encode(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_priv = base64.b64encode(
        ed.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )
    ed_pub = base64.b64encode(
        ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    return pem, pub, ed_priv, ed_pub


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, str, bytes, str]:
    return _keys()


@pytest.fixture(scope="module")
def server(keys: tuple[bytes, str, bytes, str]) -> Iterator[int]:
    _pem, pub, _ed_priv, ed_pub = keys
    zone = "\n".join(
        [
            _txt("county.example.", f"v=spf1 ip4:{EDGE_IP} include:_spf.mailer.example -all"),
            _txt("_spf.mailer.example.", "v=spf1 ip4:203.0.113.0/24 ~all"),
            _txt("_dmarc.county.example.", "v=DMARC1; p=reject; rua=mailto:d@county.example"),
            _txt("rsa1._domainkey.county.example.", f"v=DKIM1; k=rsa; p={pub}"),
            _txt("ed1._domainkey.county.example.", f"v=DKIM1; k=ed25519; p={ed_pub}"),
            f"relay.county.example. 300 IN A {EDGE_IP}",
            _txt("relay.county.example.", "v=spf1 a -all"),
            "county.example. 300 IN MX 10 mx.county.example.",
            _txt("_dmarc.proudboys-spoof.example.", "v=DMARC1; p=none"),
        ]
    )
    port = _free_port()
    dns_server = DNSServer(ZoneResolver(zone), port=port, address="127.0.0.1")
    dns_server.start_thread()
    try:
        yield port
    finally:
        dns_server.stop()


BODY = b"Your polling place is open 7am-7pm.\r\n"


def _signed(keys: tuple[bytes, str, bytes, str]) -> bytes:
    pem, _pub, ed_priv, _ed_pub = keys
    msg = (
        b"From: County Elections <info@county.example>\r\nTo: voter@voters.example\r\n"
        b"Subject: Polling hours\r\nDate: Tue, 03 Nov 2020 07:00:00 +0000\r\n"
        b"Message-ID: <1@county.example>\r\n\r\n" + BODY
    )
    heads = [b"from", b"to", b"subject", b"date", b"message-id"]
    sig = dkim.sign(msg, b"rsa1", b"county.example", pem, include_headers=heads)
    ed = dkim.sign(
        sig + msg,
        b"ed1",
        b"county.example",
        ed_priv,
        include_headers=heads,
        signature_algorithm=b"ed25519-sha256",
    )
    return ed + sig + msg


def _relay(raw: bytes) -> bytes:
    """Through the county's relay to the recipient's MX, which records its results."""
    relay = (
        b"Received: from laptop.county.example (10.0.0.5) by relay.county.example"
        b" with ESMTP id r1; Tue, 03 Nov 2020 07:00:01 +0000\r\n"
    )
    edge = (
        f"Received: from relay.county.example (relay.county.example [{EDGE_IP}]) by"
        f" mx.voters.example with ESMTPS id m1; Tue, 03 Nov 2020 07:00:02 +0000\r\n"
    ).encode()
    results = (
        b"Authentication-Results: mx.voters.example; spf=pass"
        b" smtp.mailfrom=county.example; dkim=pass header.d=county.example\r\n"
    )
    return results + b"Return-Path: <bounce@county.example>\r\n" + edge + relay + raw


def _path(parsed: ParsedMessage) -> PathSection:
    def hop(index: int, raw: str, zone: str, ip: str, helo: str, by: str) -> Hop:
        return Hop(
            index=index,
            from_helo=helo,
            from_rdns=helo,
            from_ip=ip,
            by=by,
            protocol="ESMTP",
            id=None,
            timestamp=None,
            delay_s=None,
            zone=zone,
            country=None,
            asn=None,
            as_org=None,
            raw=raw,
        )  # type: ignore[arg-type]

    top, bottom = parsed.received
    hops = (
        hop(0, bottom, "sender", "10.0.0.5", "laptop.county.example", "relay.county.example"),
        hop(1, top, "recipient", EDGE_IP, "relay.county.example", "mx.voters.example"),
    )
    edge = Edge(
        ip=EDGE_IP,
        country=None,
        asn=None,
        as_org=None,
        rdns=None,
        helo="relay.county.example",
        hop_index=1,
    )
    return PathSection(hops=hops, edge=edge)


def _verdicts(section: AuthSection) -> list[tuple[str, str, str | None]]:
    return [
        (m, r.result, r.domain)
        for m in ("spf", "dkim", "dmarc", "arc")
        for r in getattr(section, m)
        if r.source == "verified"
    ]


def test_signed_message_through_relays_verifies_against_loopback_dns(
    server: int, keys: tuple[bytes, str, bytes, str]
) -> None:
    raw = _relay(_signed(keys))
    parsed = parse_message(raw)
    section = analyze_auth(parsed, _path(parsed), DnsSource.live(["127.0.0.1"], server), raw=raw)
    assert _verdicts(section) == [
        ("spf", "pass", "county.example"),
        ("spf", "pass", "relay.county.example"),
        ("dkim", "pass", "county.example"),
        ("dkim", "pass", "county.example"),
        ("dmarc", "pass", "county.example"),
        ("arc", "none", None),
    ]
    assert all(r.dns == "live" for r in section.dkim if r.source == "verified")
    recorded = [r for r in section.spf if r.source == "header"]
    assert recorded[0].trusted and recorded[0].authserv_id == "mx.voters.example"


def test_tampered_body_fails_dkim_and_dmarc_falls_back_to_spf(
    server: int, keys: tuple[bytes, str, bytes, str]
) -> None:
    raw = _relay(_signed(keys)).replace(b"7am-7pm", b"8am-9am")
    parsed = parse_message(raw)
    section = analyze_auth(parsed, _path(parsed), DnsSource.live(["127.0.0.1"], server), raw=raw)
    dkim_results = [r for r in section.dkim if r.source == "verified"]
    assert [r.result for r in dkim_results] == ["fail", "fail"]
    assert "body hash" in (dkim_results[0].detail or "")
    dmarc = section.dmarc[0]
    assert dmarc.result == "pass" and "aligned DKIM: none" in (dmarc.detail or "")


def test_spoofed_sender_from_a_foreign_ip_fails_spf_and_dmarc(
    server: int, keys: tuple[bytes, str, bytes, str]
) -> None:
    raw = _relay(_signed(keys)).replace(EDGE_IP.encode(), b"192.0.2.66").replace(b"7am", b"6am")
    parsed = parse_message(raw)
    path = _path(parsed)
    path = PathSection(
        hops=path.hops,
        edge=Edge(
            ip="192.0.2.66",
            country=None,
            asn=None,
            as_org=None,
            rdns=None,
            helo="relay.county.example",
            hop_index=1,
        ),
    )
    section = analyze_auth(parsed, path, DnsSource.live(["127.0.0.1"], server), raw=raw)
    assert [r.result for r in section.spf if r.source == "verified"] == ["fail", "fail"]
    dmarc = section.dmarc[0]
    assert (dmarc.result, dmarc.policy) == ("fail", "reject")


def test_snapshot_recorded_once_replays_the_same_verdicts_with_dns_off(
    server: int, keys: tuple[bytes, str, bytes, str], tmp_path: Path
) -> None:
    raw = _relay(_signed(keys))
    parsed = parse_message(raw)
    snap = tmp_path / "case.dns.json"
    with DnsSource.record(snap, ["127.0.0.1"], server) as recording:
        live = analyze_auth(parsed, _path(parsed), recording, raw=raw)
    # DNS off: an unused port on loopback answers nothing; replay must not ask it
    replayed = analyze_auth(parsed, _path(parsed), DnsSource.replay(snap), raw=raw)
    assert _verdicts(replayed) == _verdicts(live)
    assert {r.dns for r in replayed.dkim if r.source == "verified"} == {f"snapshot:{snap}"}
    tampered = raw.replace(b"7am-7pm", b"8am-9am")
    again = analyze_auth(
        parse_message(tampered), _path(parsed), DnsSource.replay(snap), raw=tampered
    )
    assert [r.result for r in again.dkim if r.source == "verified"] == ["fail", "fail"]


def test_live_dns_failure_gives_temperror_not_an_exception(
    keys: tuple[bytes, str, bytes, str],
) -> None:
    raw = _relay(_signed(keys))
    parsed = parse_message(raw)
    dead = DnsSource.live(["127.0.0.1"], _free_port(), timeout=0.5)
    section = analyze_auth(parsed, _path(parsed), dead, raw=raw)
    assert {r.result for r in section.spf if r.source == "verified"} == {"temperror"}
    assert {r.result for r in section.dkim if r.source == "verified"} == {"temperror"}
    assert section.dmarc[0].result == "temperror"


def test_posture_against_loopback_dns(server: int) -> None:
    result = check_posture(
        "county.example",
        DnsSource.live(["127.0.0.1"], server),
        selectors=("default", "rsa1", "ed1"),
    )
    assert result.verdict == "protected"
    assert result.spf.lookups == 1 and result.spf.all_qualifier == "-all"
    assert result.dmarc.policy == "reject" and result.mx.hosts == ("mx.county.example",)
    assert result.dkim_selectors == ("rsa1", "ed1")
