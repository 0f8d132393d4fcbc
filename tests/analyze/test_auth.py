"""Recorded results, the trust decision, and DMARC evaluation."""

from __future__ import annotations

from pollwatch.analyze.auth import (
    analyze_auth,
    evaluate_dmarc,
    recorded_verdict,
)
from pollwatch.analyze.auth_headers import parse_authentication_results, parse_received_spf
from pollwatch.analyze.dns import DnsSource, txt_record
from pollwatch.analyze.record import AuthResult, Edge, Hop, PathSection
from pollwatch.models import ParsedMessage
from pollwatch.parse import parse_message

MICROSOFT = (
    b"Received: from HE1EUR04FT016.eop-eur04.prod.protection.outlook.com (2603:10a6:150:b:cafe::85)"
    b" by GV3P280CA0019.outlook.office365.com with Microsoft SMTP Server; Sun, 13 Aug 2023 18:45:07 +0000\r\n"
    b"Authentication-Results: spf=none (sender IP is 89.144.9.90) smtp.mailfrom=voluptasjnqww.co.uk;"
    b" dkim=none (message not signed) header.d=none;dmarc=permerror action=none"
    b" header.from=access-accsecurity.com;compauth=fail reason=001\r\n"
    b"Received-SPF: None (protection.outlook.com: voluptasjnqww.co.uk does not designate permitted sender hosts)\r\n"
    b"Received: from voluptasjnqww.co.uk (89.144.9.90) by HE1EUR04FT016.mail.protection.outlook.com"
    b" (10.152.26.93) with Microsoft SMTP Server; Sun, 13 Aug 2023 18:45:06 +0000\r\n"
    b"Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=access-accsecurity.com;"
    b" dkim=pass header.d=access-accsecurity.com; dmarc=pass header.from=access-accsecurity.com\r\n"
    b"Received: from attacker.example (203.0.113.9) by mx.example with SMTP; Sun, 13 Aug 2023 18:45:00 +0000\r\n"
    b"From: Microsoft account team <no-reply@access-accsecurity.com>\r\n"
    b"Return-Path: bounce@voluptasjnqww.co.uk\r\nSubject: x\r\n\r\nbody\r\n"
)


def _hop(index: int, raw: str, zone: str, by: str, ip: str | None = None) -> Hop:
    return Hop(
        index=index,
        from_helo=None,
        from_rdns=None,
        from_ip=ip,
        by=by,
        protocol=None,
        id=None,
        timestamp=None,
        delay_s=None,
        zone=zone,
        country=None,
        asn=None,  # type: ignore[arg-type]
        as_org=None,
        raw=raw,
    )


def _microsoft_path(parsed: ParsedMessage) -> PathSection:
    top, edge, forged = parsed.received
    hops = (
        _hop(0, forged, "internet", "mx.example", "203.0.113.9"),
        _hop(1, edge, "recipient", "HE1EUR04FT016.mail.protection.outlook.com", "89.144.9.90"),
        _hop(2, top, "recipient", "GV3P280CA0019.outlook.office365.com"),
    )
    return PathSection(
        hops=hops,
        edge=Edge(
            ip="89.144.9.90",
            country=None,
            asn=None,
            as_org=None,
            rdns=None,
            helo="voluptasjnqww.co.uk",
            hop_index=1,
        ),
    )


def test_microsoft_results_without_authserv_id_are_trusted_via_the_received_below() -> None:
    parsed = parse_message(MICROSOFT)
    section = analyze_auth(parsed, _microsoft_path(parsed), DnsSource.offline())
    spf = recorded_verdict(section, "spf")
    assert spf is not None and (spf.result, spf.ip, spf.header) == (
        "none",
        "89.144.9.90",
        "Authentication-Results",
    )
    assert "protection.outlook.com" in (spf.trust_reason or "")
    dmarc = recorded_verdict(section, "dmarc")
    assert dmarc is not None and (dmarc.result, dmarc.policy) == ("permerror", "none")
    assert [r.result for r in section.compauth] == ["fail"]


def test_results_below_the_edge_are_untrusted_claims_even_from_a_known_provider() -> None:
    parsed = parse_message(MICROSOFT)
    section = analyze_auth(parsed, _microsoft_path(parsed), DnsSource.offline())
    forged = [r for r in section.dmarc if r.authserv_id == "mx.google.com"]
    assert forged and forged[0].result == "pass" and not forged[0].trusted
    assert "below the edge" in (forged[0].trust_reason or "")


def test_without_an_edge_nothing_recorded_is_trusted() -> None:
    parsed = parse_message(MICROSOFT)
    section = analyze_auth(parsed, PathSection(), DnsSource.offline())
    assert section.spf and not any(r.trusted for r in section.spf)
    assert recorded_verdict(section, "spf") is None


def test_a_header_above_the_edge_by_a_stranger_is_not_trusted() -> None:
    raw = MICROSOFT.replace(
        b"Authentication-Results: spf=none", b"Authentication-Results: evil.example; spf=pass", 1
    )
    parsed = parse_message(raw)
    section = analyze_auth(parsed, _microsoft_path(parsed), DnsSource.offline())
    stranger = [r for r in section.spf if r.authserv_id == "evil.example"]
    assert stranger and not stranger[0].trusted
    assert "evil.example" in (stranger[0].trust_reason or "")


def test_authentication_results_parser_handles_comments_versions_and_quotes() -> None:
    header = parse_authentication_results(
        'mx.example.org 1; dkim=pass (2048-bit key; "quoted; text") header.d=a.org header.s=s1;'
        " spf=softfail (domain of a.org does not designate 192.0.2.1) smtp.mailfrom=x@a.org;"
    )
    assert header.authserv_id == "mx.example.org"
    assert [(r.method, r.result) for r in header.results] == [("dkim", "pass"), ("spf", "softfail")]
    assert header.results[0].prop("header.s") == "s1"


def test_arc_authentication_results_carry_the_instance() -> None:
    header = parse_authentication_results(
        "i=2; mx.microsoft.com 1; spf=pass (sender ip is 52.100.166.210) smtp.mailfrom=n.com",
        "ARC-Authentication-Results",
    )
    assert (header.instance, header.authserv_id) == (2, "mx.microsoft.com")


def test_received_spf_names_its_receiver_from_the_key_or_the_comment() -> None:
    keyed = parse_received_spf(
        "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1;"
        " receiver=mx.example.org; envelope-from=a@b.org"
    )
    assert keyed.authserv_id == "mx.example.org" and keyed.results[0].result == "pass"
    comment = parse_received_spf(
        "Fail (protection.outlook.com: domain of b.org does not designate"
        " 1.2.3.4 as permitted sender) client-ip=1.2.3.4;"
    )
    assert comment.authserv_id == "protection.outlook.com"


def _verified(result: str, domain: str, detail: str = "") -> AuthResult:
    return AuthResult(result, domain=domain, source="verified", trusted=True, detail=detail)


def test_dmarc_policy_is_found_at_the_organisational_domain_with_sp_and_pct() -> None:
    dns = DnsSource.injected(
        {
            "_dmarc.county.example": {
                "TXT": [txt_record("v=DMARC1; p=reject; sp=quarantine; pct=25; aspf=s")]
            }
        }
    )
    spf = [_verified("pass", "county.example", "smtp.mailfrom: ok")]
    result = evaluate_dmarc("news.county.example", spf, [], dns)
    assert (result.result, result.policy) == ("fail", "quarantine")  # strict SPF: no alignment
    assert "organisational domain" in (result.detail or "") and "25%" in (result.detail or "")
    relaxed = evaluate_dmarc("news.county.example", [], [_verified("pass", "county.example")], dns)
    assert relaxed.result == "pass"


def test_dmarc_without_a_record_is_none_and_dns_failure_is_temperror() -> None:
    assert evaluate_dmarc("a.example", [], [], DnsSource.injected({})).result == "none"
    slow = DnsSource.injected({"_dmarc.a.example": {"TXT": ["TIMEOUT"]}})
    assert evaluate_dmarc("a.example", [], [], slow).result == "temperror"


def test_headers_mode_never_verifies() -> None:
    parsed = parse_message(MICROSOFT)
    section = analyze_auth(parsed, _microsoft_path(parsed), DnsSource.injected({}), "headers")
    assert all(r.source == "header" for r in (*section.spf, *section.dkim, *section.dmarc))


def test_verification_without_raw_bytes_says_why_dkim_was_not_checked() -> None:
    parsed = parse_message(MICROSOFT)
    section = analyze_auth(parsed, _microsoft_path(parsed), DnsSource.injected({}))
    verified = [r for r in section.dkim if r.source == "verified"]
    assert verified[0].detail == "raw bytes not supplied: cannot re-verify"
    spf = [r for r in section.spf if r.source == "verified"]
    assert spf[0].identity == "bounce@voluptasjnqww.co.uk" and spf[0].ip == "89.144.9.90"
