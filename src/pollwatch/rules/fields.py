"""The field vocabulary rules can match, and the per-message resolver.

A field resolves to a tuple of values: strings or numbers. A field with no
value (a missing header, an analysis section that was not run) resolves to
the empty tuple, which every operator except ``exists`` treats as "no match".
``docs/rules.md`` documents every field listed in ``FIELDS``; a test checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pollwatch.analyze.record import AuthResult, AuthSection, PathSection, SenderSection
from pollwatch.models import Address, ParsedMessage
from pollwatch.rules.text import Folded, fold

Kind = Literal["text", "string", "number"]
Value = str | float
HEADER_PREFIX = "headers."


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind  # text: prose with spans; string: short values; number
    description: str


class Subject:
    """What rules look at for one message: the parsed message and earlier sections."""

    def __init__(
        self,
        parsed: ParsedMessage,
        *,
        path: PathSection | None = None,
        auth: AuthSection | None = None,
        sender: SenderSection | None = None,
        language: str | None = None,
    ) -> None:
        self.parsed = parsed
        self.path = path
        self.auth = auth
        self.sender = sender
        self.language = language
        self.categories: tuple[str, ...] = ()
        self._values: dict[str, tuple[Value, ...]] = {}
        self._folded: dict[tuple[str, int], Folded] = {}

    def values(self, name: str) -> tuple[Value, ...]:
        cached = self._values.get(name)
        if cached is None:
            if name.startswith(HEADER_PREFIX):
                cached = self.parsed.header_all(name[len(HEADER_PREFIX) :])
            else:
                cached = _RESOLVERS[name](self)
            if name != "categories":
                self._values[name] = cached
        return cached

    def folded(self, name: str, index: int) -> Folded:
        key = (name, index)
        cached = self._folded.get(key)
        if cached is None:
            value = self.values(name)[index]
            cached = fold(value if isinstance(value, str) else str(value))
            self._folded[key] = cached
        return cached


def _addr(a: Address | None, part: Literal["display", "address", "domain"]) -> tuple[str, ...]:
    if a is None:
        return ()
    value = getattr(a, part)
    return (value,) if value else ()


def _addrs(items: tuple[Address, ...], part: str) -> tuple[str, ...]:
    return tuple(v for a in items if (v := getattr(a, part)))


def _url_domain(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].lower().rstrip(".")


def _results(items: tuple[AuthResult, ...]) -> tuple[str, ...]:
    return tuple(r.result.lower() for r in items)


def _auth(part: Literal["spf", "dkim", "dmarc", "arc"]) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        return _results(getattr(s.auth, part)) if s.auth is not None else ()

    return resolve


def _auth_domains(part: Literal["spf", "dkim", "dmarc"]) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        if s.auth is None:
            return ()
        return tuple(r.domain.lower() for r in getattr(s.auth, part) if r.domain)

    return resolve


def _edge(attr: str) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        edge = s.path.edge if s.path is not None else None
        value = getattr(edge, attr) if edge is not None else None
        return () if value is None else (value,)

    return resolve


def _origin(attr: str) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        origin = s.path.origin if s.path is not None else None
        value = getattr(origin, attr) if origin is not None else None
        return () if value is None else (value,)

    return resolve


def _hops(attr: str) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        if s.path is None:
            return ()
        return tuple(v for h in s.path.hops if (v := getattr(h, attr)) is not None)

    return resolve


def _impersonation(attr: str) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        if s.sender is None:
            return ()
        return tuple(getattr(i, attr) for i in s.sender.impersonation)

    return resolve


def _sender(attr: str) -> Callable[[Subject], tuple[Value, ...]]:
    def resolve(s: Subject) -> tuple[Value, ...]:
        value = getattr(s.sender, attr) if s.sender is not None else None
        return (value,) if value else ()

    return resolve


def _one(value: str) -> tuple[Value, ...]:
    return (value,) if value else ()


_SPECS: tuple[tuple[str, Kind, str, Callable[[Subject], tuple[Value, ...]]], ...] = (
    ("subject", "text", "The decoded Subject header.", lambda s: _one(s.parsed.subject)),
    (
        "body",
        "text",
        "The readable body: the text/plain part, or the rendered HTML when there is none "
        "(the recovered body for inline-forwarded reports).",
        lambda s: _one(s.parsed.body_text),
    ),
    ("text_body", "text", "The text/plain body only.", lambda s: _one(s.parsed.text_body)),
    ("html_text", "text", "The HTML body rendered to text.", lambda s: _one(s.parsed.html_text)),
    ("from.display", "text", "From display name.", lambda s: _addr(s.parsed.from_, "display")),
    ("from.address", "string", "From mailbox.", lambda s: _addr(s.parsed.from_, "address")),
    ("from.domain", "string", "From domain.", lambda s: _addr(s.parsed.from_, "domain")),
    (
        "reply_to.address",
        "string",
        "Reply-To mailboxes.",
        lambda s: _addrs(s.parsed.reply_to, "address"),
    ),
    (
        "reply_to.domain",
        "string",
        "Reply-To domains.",
        lambda s: _addrs(s.parsed.reply_to, "domain"),
    ),
    ("to.address", "string", "To mailboxes.", lambda s: _addrs(s.parsed.to, "address")),
    ("to.display", "text", "To display names.", lambda s: _addrs(s.parsed.to, "display")),
    ("return_path", "string", "Return-Path.", lambda s: _one(s.parsed.return_path or "")),
    ("urls", "string", "URLs found in the bodies.", lambda s: s.parsed.urls),
    (
        "urls.domain",
        "string",
        "Host part of each URL, lower case.",
        lambda s: tuple(dict.fromkeys(_url_domain(u) for u in s.parsed.urls)),
    ),
    ("urls.count", "number", "How many URLs.", lambda s: (float(len(s.parsed.urls)),)),
    (
        "attachments.name",
        "string",
        "Attachment file names (sanitised).",
        lambda s: tuple(a.safe_name for a in s.parsed.attachments),
    ),
    (
        "attachments.type",
        "string",
        "Attachment content types.",
        lambda s: tuple(a.content_type.lower() for a in s.parsed.attachments),
    ),
    (
        "attachments.count",
        "number",
        "How many attachments.",
        lambda s: (float(len(s.parsed.attachments)),),
    ),
    ("path.edge.ip", "string", "Edge hop IP (path section).", _edge("ip")),
    ("path.edge.country", "string", "Edge hop country code.", _edge("country")),
    ("path.edge.asn", "number", "Edge hop AS number.", _edge("asn")),
    ("path.origin.country", "string", "Estimated origin country code.", _origin("country")),
    ("path.origin.asn", "number", "Estimated origin AS number.", _origin("asn")),
    ("path.hops.country", "string", "Country of every hop that has one.", _hops("country")),
    (
        "path.hops.count",
        "number",
        "Number of hops.",
        lambda s: _count(s.path.hops if s.path else None),
    ),
    (
        "path.anomalies.kind",
        "string",
        "Path anomaly codes.",
        lambda s: tuple(a.kind for a in s.path.anomalies) if s.path else (),
    ),
    ("auth.spf.result", "string", "SPF results, lower case.", _auth("spf")),
    ("auth.dkim.result", "string", "DKIM results.", _auth("dkim")),
    ("auth.dmarc.result", "string", "DMARC results.", _auth("dmarc")),
    ("auth.arc.result", "string", "ARC results.", _auth("arc")),
    ("auth.spf.domain", "string", "Domains SPF was evaluated for.", _auth_domains("spf")),
    ("auth.dkim.domain", "string", "DKIM signing domains (d=).", _auth_domains("dkim")),
    ("auth.dmarc.domain", "string", "DMARC policy domains.", _auth_domains("dmarc")),
    (
        "sender.impersonation.kind",
        "string",
        "Impersonation kinds from the sender analysis.",
        _impersonation("kind"),
    ),
    (
        "sender.impersonation.target",
        "string",
        "Impersonated identities.",
        _impersonation("target"),
    ),
    (
        "sender.impersonation.evidence",
        "text",
        "Why the sender analysis concluded impersonation.",
        _impersonation("evidence"),
    ),
    ("sender.mailer", "string", "X-Mailer / User-Agent summary.", _sender("mailer")),
    ("sender.script", "string", "Originating script.", _sender("script")),
    ("language", "string", "Detected language code.", lambda s: _one(s.language or "")),
    (
        "categories",
        "string",
        "Categories of findings from rules that do not use this field (second pass).",
        lambda s: s.categories,
    ),
)


def _count(items: tuple[object, ...] | None) -> tuple[Value, ...]:
    return () if items is None else (float(len(items)),)


FIELDS: dict[str, FieldSpec] = {n: FieldSpec(n, k, d) for n, k, d, _ in _SPECS}
_RESOLVERS: dict[str, Callable[[Subject], tuple[Value, ...]]] = {n: f for n, _, _, f in _SPECS}
HEADER_FIELD = FieldSpec(
    "headers.<name>", "text", "Every value of the named header (case-insensitive), decoded."
)


def field_spec(name: str) -> FieldSpec | None:
    if name.startswith(HEADER_PREFIX) and len(name) > len(HEADER_PREFIX):
        return HEADER_FIELD
    return FIELDS.get(name)
