"""What receivers recorded, and whether to believe it.

Parsing: Authentication-Results (RFC 8601), Authentication-Results (RFC 8601),
ARC-Authentication-Results (RFC 8617), Received-SPF (RFC 7208 section 9.1) and
Microsoft's variants (no authserv-id, ``compauth=``, ``action=``).

Trust (:func:`judge_trust`): a header is believed only when it sits above the
edge hop's Received line and its writer (authserv-id, or the ``by`` host of the
Received line just below it) is the recipient's own infrastructure.

The parser is tolerant: real headers omit the authserv-id (Microsoft), put
free text in comments, repeat properties or end with stray semicolons. It
never raises; what it cannot read is skipped.

Example::

    >>> h = parse_authentication_results(
    ...     "mx.google.com; spf=pass (google.com: domain of a@b.org designates 192.0.2.1"
    ...     " as permitted sender) smtp.mailfrom=a@b.org; dkim=pass header.d=b.org")
    >>> h.authserv_id, [(r.method, r.result) for r in h.results]
    ('mx.google.com', [('spf', 'pass'), ('dkim', 'pass')])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec

from pollwatch.analyze.dns import organisational_domain
from pollwatch.analyze.record import AuthResult, AuthSection, Hop, PathSection
from pollwatch.models import ParsedMessage

Method = Literal["spf", "dkim", "dmarc", "arc", "compauth"]

# methods pollwatch reports; others (iprev, auth, bimi, ...) are kept but not shown
REPORTED_METHODS = frozenset({"spf", "dkim", "dmarc", "arc", "compauth"})
_SENDER_IP = re.compile(r"sender ip is ([0-9a-f:.]+)", re.I)


class ResInfo(msgspec.Struct, frozen=True):
    """One ``method=result`` with its properties and comments."""

    method: str
    result: str
    props: tuple[tuple[str, str], ...] = ()  # ("smtp.mailfrom", "x.org"), ("reason", ...)
    comment: str = ""

    def prop(self, *names: str) -> str | None:
        for name in names:
            for key, value in self.props:
                if key == name:
                    return value
        return None


class RecordedHeader(msgspec.Struct, frozen=True):
    """One trace header as parsed; ``authserv_id`` None when the writer left it out."""

    name: str
    position: int  # index in the message's header list, top = 0
    authserv_id: str | None
    results: tuple[ResInfo, ...]
    instance: int | None = None  # ARC i=
    raw: str = ""


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside comments and quoted strings (a backslash escapes
    the next character). Only the characters that matter are visited."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    escaped_at = -1
    for match in _split_specials(sep).finditer(text):
        i = match.start()
        if i == escaped_at:
            continue
        ch = text[i]
        if ch == "\\":
            escaped_at = i + 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "(" and not quoted:
            depth += 1
        elif ch == ")" and not quoted and depth:
            depth -= 1
        elif ch == sep and depth == 0 and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


@functools.cache
def _split_specials(sep: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape('\\"()' + sep) + "]")


def _strip_comments(text: str) -> tuple[str, str]:
    """``text`` without (comments), and the comments joined. Only quotes and
    parentheses are visited; the text between them is copied in slices."""
    out: list[str] = []
    comments: list[str] = []
    depth = 0
    current: list[str] = []
    quoted = False
    position = 0
    for match in _COMMENT_SPECIALS.finditer(text):
        i = match.start()
        (current if depth else out).append(text[position:i])
        position = i + 1
        ch = text[i]
        if ch == '"' and depth == 0:
            quoted = not quoted
            out.append(ch)
        elif ch == "(" and not quoted:
            if depth:
                current.append(ch)
            depth += 1
        elif ch == ")" and not quoted and depth:
            depth -= 1
            if depth:
                current.append(ch)
            else:
                comments.append("".join(current).strip())
                current = []
                out.append(" ")
        elif depth:
            current.append(ch)
        else:
            out.append(ch)
    (current if depth else out).append(text[position:])
    return "".join(out), "; ".join(c for c in comments if c)


_COMMENT_SPECIALS = re.compile(r'[()"]')


def _tokens(text: str) -> list[str]:
    """Whitespace tokens, re-joining ``key = value`` written with spaces."""
    raw = re.sub(r"\s*=\s*", "=", text.strip())
    return [t for t in raw.split() if t]


def parse_resinfo(segment: str) -> ResInfo | None:
    bare, comment = _strip_comments(segment)
    tokens = _tokens(bare)
    if not tokens or "=" not in tokens[0]:
        return None
    method, _, result = tokens[0].partition("=")
    method = method.split("/")[0].strip().lower()
    props: list[tuple[str, str]] = []
    for token in tokens[1:]:
        key, eq, value = token.partition("=")
        if eq:
            props.append((key.lower(), value.strip('"')))
    return ResInfo(method, result.strip().lower().strip('"'), tuple(props), comment)


def parse_authentication_results(
    value: str, name: str = "Authentication-Results", position: int = -1
) -> RecordedHeader:
    """Parse an Authentication-Results (or ARC-Authentication-Results) value."""
    segments = _split_top(value, ";")
    instance: int | None = None
    first = _strip_comments(segments[0])[0].strip()
    if name.lower().startswith("arc-") and first.lower().startswith("i="):
        try:
            instance = int(first[2:].strip())
        except ValueError:
            instance = None
        segments = segments[1:]
        first = _strip_comments(segments[0])[0].strip() if segments else ""
    authserv: str | None = None
    rest = segments
    if segments and "=" not in first:
        authserv = (first.split() or [""])[0].lower() or None  # drop the version number
        rest = segments[1:]
    results = tuple(r for r in (parse_resinfo(s) for s in rest) if r is not None)
    return RecordedHeader(name, position, authserv, results, instance, value)


_SPF_KEYS = ("client-ip", "envelope-from", "helo", "problem", "receiver", "identity", "mechanism")
_RECEIVER_IN_COMMENT = re.compile(r"^\s*([a-z0-9.-]+\.[a-z]{2,}):", re.I)


def parse_received_spf(value: str, position: int = -1) -> RecordedHeader:
    """Parse a Received-SPF value into one ``spf`` result; the receiver is the authserv-id."""
    bare, comment = _strip_comments(value)
    head, _, tail = bare.strip().partition(" ")
    props: list[tuple[str, str]] = []
    for part in _split_top(tail, ";"):
        for token in _tokens(part):
            key, eq, val = token.partition("=")
            if eq and key.lower() in _SPF_KEYS:
                props.append((key.lower(), val.strip('"')))
    receiver = dict(props).get("receiver")
    if receiver is None:
        match = _RECEIVER_IN_COMMENT.match(comment)
        receiver = match.group(1).lower() if match else None
    result = ResInfo("spf", head.strip().lower().rstrip(";"), tuple(props), comment)
    return RecordedHeader("Received-SPF", position, receiver, (result,), None, value)


def sender_ip(info: ResInfo) -> str | None:
    """The connecting IP a receiver named: ``(sender IP is X)`` or ``client-ip=X``."""
    match = _SENDER_IP.search(info.comment)
    if match:
        return match.group(1)
    return info.prop("client-ip", "smtp.remote-ip", "policy.iprev")


def result_domain(info: ResInfo) -> str | None:
    """The domain a result is about: DKIM d=, SPF MAIL FROM domain, DMARC header.from."""
    if info.method == "dkim":
        value = info.prop("header.d", "header.i")
    elif info.method == "spf":
        value = info.prop("smtp.mailfrom", "envelope-from", "smtp.helo", "helo")
    else:
        value = info.prop("header.from", "header.d")
    if not value or value.lower() == "none":
        return None
    return value.rpartition("@")[2].strip("<>").lower() or None


# Organisational domains whose mail systems write trace headers for their customers.
KNOWN_RECEIVER_ORGS = frozenset(
    {
        "google.com", "outlook.com", "office365.com", "microsoft.com", "hotmail.com",
        "yahoo.com", "yahoodns.net", "aol.com", "comcast.net", "protonmail.ch", "proton.ch",
        "icloud.com", "me.com", "messagingengine.com", "zoho.com", "gmx.net", "web.de",
        "mail.ru", "yandex.net", "mimecast.com", "pphosted.com", "barracudanetworks.com",
    }
)  # fmt: skip

_TRACE_HEADERS = {
    "authentication-results": "Authentication-Results",
    "x-ms-exchange-authentication-results": "X-MS-Exchange-Authentication-Results",
    "arc-authentication-results": "ARC-Authentication-Results",
    "authentication-results-original": "Authentication-Results-Original",
    "received-spf": "Received-SPF",
}
_COPIES = frozenset({"authentication-results-original"})  # earlier results kept by Microsoft
_BY_HOST = re.compile(r"\bby\s+([A-Za-z0-9._:\[\]-]+)", re.I)


# ------------------------------------------------------------------ trust


@dataclass(frozen=True)
class TrustContext:
    """Where the recipient's own infrastructure begins in the header order."""

    edge_position: int | None  # header index of the edge hop's Received line
    edge_ip: str | None
    recipient_hosts: frozenset[str]
    recipient_orgs: frozenset[str]
    received: tuple[tuple[int, str | None], ...]  # (header index, by host), top first


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _received_positions(parsed: ParsedMessage) -> list[tuple[int, str]]:
    return [(i, h.value) for i, h in enumerate(parsed.headers) if h.name.lower() == "received"]


def _hop_positions(parsed: ParsedMessage, hops: Sequence[Hop]) -> dict[int, int]:
    """Hop index -> header index of its Received line (by text, else by order)."""
    received = _received_positions(parsed)
    found: dict[int, int] = {}
    for hop in hops:
        for pos, value in received:
            if _same(value, hop.raw) and pos not in found.values():
                found[hop.index] = pos
                break
    if len(found) < len(hops) and len(hops) == len(received):
        ordered = sorted(hops, key=lambda h: h.index)
        for rank, hop in enumerate(ordered):
            found.setdefault(hop.index, received[len(received) - 1 - rank][0])
    return found


def _by_host(raw: str) -> str | None:
    match = _BY_HOST.search(raw)
    return match.group(1).strip("[]").lower().rstrip(".") if match else None


def trust_context(parsed: ParsedMessage, path: PathSection) -> TrustContext:
    positions = _hop_positions(parsed, path.hops)
    hosts = {h.by.lower().rstrip(".") for h in path.hops if h.zone == "recipient" and h.by}
    edge_position: int | None = None
    if path.edge is not None:
        edge_position = positions.get(path.edge.hop_index)
        edge_hop = next((h for h in path.hops if h.index == path.edge.hop_index), None)
        if edge_hop is not None and edge_hop.by:
            hosts.add(edge_hop.by.lower().rstrip("."))
    received = tuple((pos, _by_host(value)) for pos, value in _received_positions(parsed))
    orgs = frozenset(organisational_domain(h) for h in hosts if "." in h)
    edge_ip = path.edge.ip if path.edge else None
    return TrustContext(edge_position, edge_ip, frozenset(hosts), orgs, received)


def _writer(header: RecordedHeader, ctx: TrustContext) -> str | None:
    """The authserv-id, or the ``by`` host of the Received line just below the header."""
    if header.authserv_id:
        return header.authserv_id
    below = [host for pos, host in ctx.received if pos > header.position]
    return below[0] if below else None


def _belongs(writer: str, ctx: TrustContext) -> str | None:
    """Why ``writer`` is the recipient's own infrastructure, or None."""
    host = writer.lower().rstrip(".")
    if host in ctx.recipient_hosts:
        return f"{host} is a recipient-zone hop"
    if "." not in host:
        return None
    org = organisational_domain(host)
    if org in ctx.recipient_orgs:
        return f"{host} shares {org} with the recipient-zone hops"
    if org in KNOWN_RECEIVER_ORGS:
        return f"{host} is a known mailbox provider ({org})"
    return None


def judge_trust(header: RecordedHeader, ctx: TrustContext) -> tuple[bool, str]:
    """Whether a recorded header can be believed, and why (in words)."""
    if header.name.lower() in _COPIES:
        return False, "a copy of results recorded before the message reached the recipient"
    if ctx.edge_position is None:
        return False, "no edge hop: where the recipient's infrastructure begins is unknown"
    if header.position > ctx.edge_position:
        return _judge_below_edge(header, ctx)
    writer = _writer(header, ctx)
    if writer is None:
        return False, "no authserv-id and no Received line below to attribute it to"
    why = _belongs(writer, ctx)
    if why is None:
        return False, f"written by {writer}, not the recipient's infrastructure"
    named = "authserv-id" if header.authserv_id else "writer (Received below)"
    return True, f"above the edge; {named} {why}"


def _judge_below_edge(header: RecordedHeader, ctx: TrustContext) -> tuple[bool, str]:
    """Trust a result the edge host wrote just below its own Received line.

    Several receivers (Comcast, and milter-based Postfix or Sendmail setups)
    put their Authentication-Results under the Received line they added. The
    sender controls that space too, so only a header that names the
    recipient's authserv-id and sits above the next Received line down is
    believed: RFC 8601 section 5 obliges the receiver to delete or rename
    results claiming its own authserv-id that arrive from outside.
    """
    edge = ctx.edge_position if ctx.edge_position is not None else -1
    below_edge = [pos for pos, _host in ctx.received if pos > edge]
    if below_edge and header.position > below_edge[0]:
        return False, "below the edge hop's Received line: written before the recipient had it"
    host = (header.authserv_id or "").lower().rstrip(".")
    if host in ctx.recipient_hosts:
        why = f"{host} is a recipient-zone hop"
    elif "." in host and organisational_domain(host) in ctx.recipient_orgs:
        why = f"{host} shares {organisational_domain(host)} with the recipient-zone hops"
    else:  # a known provider's name is not enough here: the sender can write it
        return False, "below the edge's Received line and not named for the recipient's own hosts"
    return True, f"just below the edge's own Received line; authserv-id {why} (RFC 8601 s5)"


# ------------------------------------------------------------------ recorded


def recorded_headers(parsed: ParsedMessage) -> tuple[RecordedHeader, ...]:
    """Every trace header with authentication results, parsed, top first."""
    out: list[RecordedHeader] = []
    for pos, header in enumerate(parsed.headers):
        key = header.name.lower()
        if key not in _TRACE_HEADERS:
            continue
        if key == "received-spf":
            out.append(parse_received_spf(header.value, pos))
        else:
            out.append(parse_authentication_results(header.value, _TRACE_HEADERS[key], pos))
    return tuple(out)


def _recorded_result(
    info: ResInfo, header: RecordedHeader, trusted: bool, why: str, ctx: TrustContext
) -> AuthResult:
    ip = sender_ip(info)
    detail = info.comment or None
    if trusted and ip and ctx.edge_ip and ip != ctx.edge_ip:
        detail = f"{detail or ''} [receiver names {ip}, edge is {ctx.edge_ip}]".strip()
    return AuthResult(
        result=info.result,
        domain=result_domain(info),
        source="header",
        trusted=trusted,
        detail=detail,
        selector=info.prop("header.s") if info.method == "dkim" else None,
        authserv_id=header.authserv_id,
        header=header.name,
        position=header.position,
        instance=header.instance,
        trust_reason=why,
        identity=info.prop("smtp.mailfrom", "envelope-from", "header.i", "smtp.helo", "helo"),
        ip=ip,
        policy=info.prop("action", "policy.dmarc", "reason") if info.method != "dkim" else None,
    )


def recorded_results(parsed: ParsedMessage, path: PathSection) -> dict[str, list[AuthResult]]:
    """Results receivers recorded, by method, each with its trust decision."""
    ctx = trust_context(parsed, path)
    by_method: dict[str, list[AuthResult]] = {m: [] for m in REPORTED_METHODS}
    for header in recorded_headers(parsed):
        trusted, why = judge_trust(header, ctx)
        for info in header.results:
            if info.method in by_method:
                by_method[info.method].append(_recorded_result(info, header, trusted, why, ctx))
    for results in by_method.values():
        results.sort(key=lambda r: (not r.trusted, -(r.position or 0)))
    return by_method


# Which trusted header states the receiver's verdict, best first: the header made for
# it, Microsoft's internal copy, Received-SPF, then results an ARC sealer carried.
_VERDICT_RANK = {
    "Authentication-Results": 0,
    "X-MS-Exchange-Authentication-Results": 1,
    "Received-SPF": 2,
    "ARC-Authentication-Results": 3,
}


def recorded_verdict(section: AuthSection, method: Method) -> AuthResult | None:
    """The receiver's own verdict: the best trusted header, nearest the edge among equals."""
    results: tuple[AuthResult, ...] = getattr(section, method)
    trusted = [r for r in results if r.source == "header" and r.trusted]
    if not trusted:
        return None
    return min(trusted, key=lambda r: (_VERDICT_RANK.get(r.header or "", 9), -(r.position or 0)))
