"""Analysis: one parsed message -> the :class:`~pollwatch.analyze.record.Analysis` record.

Entry point: :func:`analyze_message`. Each section comes from its own module
(``path``, ``auth``, ``sender``, ``content``, ``personal``); side effects and
settings arrive in one :class:`AnalysisContext`.

::

    from pollwatch.analyze import AnalysisContext, analyze_message
    from pollwatch.analyze.geo import open_resolver

    context = AnalysisContext(geo=open_resolver())
    record = analyze_message(parsed, context, source, ReportSection())
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import msgspec

from pollwatch.analyze.auth import analyze_auth
from pollwatch.analyze.content import analyze_content
from pollwatch.analyze.context import AnalysisContext, NoGeo
from pollwatch.analyze.path import PathResult, analyze_path
from pollwatch.analyze.personal import find_personalization
from pollwatch.analyze.record import (
    Analysis,
    AuthSection,
    Iocs,
    MessageSection,
    PathSection,
    ReportSection,
    SenderSection,
)
from pollwatch.analyze.sender import find_impersonation
from pollwatch.models import ParsedMessage, SourceRef
from pollwatch.parse.headers import parse_addresses
from pollwatch.parse.urls import extract_urls

__all__ = ["AnalysisContext", "NoGeo", "analyze_message", "message_section"]


def analyze_message(
    parsed: ParsedMessage,
    context: AnalysisContext,
    source: SourceRef,
    report: ReportSection,
    raw: bytes | None = None,
) -> Analysis:
    """Everything pollwatch concludes about one message.

    For an inline report (``report.headers_available`` false) the message's
    own headers are the reporter's: path and authentication are left empty and
    the sender, content and personal-data stages read the recovered original.
    ``raw`` (the message's exact bytes) lets DKIM and ARC be re-verified.
    """
    path, auth, sender = PathSection(), AuthSection(), SenderSection()
    if report.headers_available:
        result = analyze_path(parsed, context)
        path = result.path
        auth = analyze_auth(parsed, path, context.dns, raw=raw)
        sender = _sender(result)
    view = original_view(parsed, report)
    impersonation = find_impersonation(view, context.identities, auth=auth)
    sender = msgspec.structs.replace(sender, impersonation=impersonation)
    content = analyze_content(view, context.rules, path=path, auth=auth, sender=sender)
    return Analysis(
        source=source,
        message=message_section(view),
        report=report,
        path=path,
        auth=auth,
        sender=sender,
        findings=content.findings,
        categories=content.categories,
        personalization=find_personalization(view),
        iocs=_iocs(view, path),
        errors=content.errors,
        language=content.language,
    )


def original_view(parsed: ParsedMessage, report: ReportSection) -> ParsedMessage:
    """The original as far as it can be known: for an inline report, the quoted
    From/To/Subject/Date and body recovered from the forward, not the forward's own."""
    recovered = report.recovered
    if report.headers_available or recovered is None:
        return parsed
    senders = parse_addresses(recovered.from_)
    return msgspec.structs.replace(
        parsed,
        subject=recovered.subject or "",
        from_=senders[0] if senders else None,
        to=parse_addresses(recovered.to),
        cc=(),
        reply_to=(),
        return_path=None,
        message_id=None,
        date=recovered.date,
        text_body=recovered.body,
        html_body="",
        html_text="",
        urls=extract_urls((recovered.body,)),
    )


def message_section(parsed: ParsedMessage) -> MessageSection:
    return MessageSection(
        sha256=parsed.sha256,
        message_id=parsed.message_id,
        date=parsed.date,
        subject=parsed.subject,
        from_=parsed.from_,
        reply_to=parsed.reply_to,
        to=parsed.to,
        return_path=parsed.return_path,
    )


def _sender(result: PathResult) -> SenderSection:
    signatures = result.signatures
    return SenderSection(
        mailer=signatures.mailer,
        script=signatures.script,
        web_server_evidence=signatures.web_server_evidence,
    )


def _iocs(parsed: ParsedMessage, path: PathSection) -> Iocs:
    ips = [ip for ip in (path.edge.ip if path.edge else None,
                         path.origin.ip if path.origin else None) if ip]  # fmt: skip
    hosts: list[str] = []
    for url in parsed.urls:
        host = _url_host(url)
        if host:
            hosts.append(host)
    emails = [a.address for a in (parsed.from_, *parsed.reply_to) if a and a.address]
    return Iocs(
        ips=_unique(ips),
        domains=_unique(hosts),
        urls=_unique(parsed.urls),
        emails=_unique(e.lower() for e in emails),
        hashes=_unique(a.sha256 for a in parsed.attachments),
    )


def _url_host(url: str) -> str | None:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return tuple(seen)
