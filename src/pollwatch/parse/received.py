"""Received header lines -> typed hops.

Entry points: :func:`parse_received` (one header value, never raises) and
:func:`parse_received_chain` (a message's Received values, newest first as
they appear in the header, -> hops ordered origin -> recipient with signed
delays).

A Received value is read in two passes, both linear in its length:

1. A tokenizer splits the (capped, whitespace-collapsed) text into top-level
   words, balanced ``( comments )`` and ``;`` separators. The date is what
   follows the last top-level ``;`` (or, failing that, the first thing that
   looks like a date).
2. Top-level words are grouped into RFC 5321 clauses (``from``, ``by``,
   ``via``, ``with``, ``id``, ``for``), and each clause's comments are read for
   TCP information (``rdns [ip]``, ``HELO x``, ``helo=x``, ``(ip)``, ident).

Most lines take a shortcut with the same result: one regex matches the
whole line in the common shapes (Microsoft 365, Gmail, Postfix) and yields
the clauses directly; when the ``from`` and ``by`` comments are bare
addresses the hop is built without the clause reader, from what the ``with``
clause means (remembered per distinct text).

Hops that are not network hops (local pickup, LMTP, POP/IMAP retrieval,
content scanners, ``invoked by uid``, loopback, by-only) are kept with
``is_local`` and a ``local_reason``. See ``docs/received.md``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import msgspec

from pollwatch.models import Defect
from pollwatch.parse.received_date import find_date, read_date

__all__ = [
    "MAX_SCAN_CHARS",
    "ChainHop",
    "ReceivedHop",
    "parse_received",
    "parse_received_chain",
]

MAX_SCAN_CHARS = 4096  # characters of one Received value that are read


class ReceivedHop(msgspec.Struct, frozen=True):
    """One Received header value, parsed.

    ``flags`` is drawn from ``may_be_forged`` (the receiving MTA said so),
    ``authenticated`` (SMTP AUTH or an ``...A`` protocol) and ``tls``.
    """

    raw: str
    from_helo: str | None = None  # the name the peer gave, as written
    from_rdns: str | None = None  # the peer's reverse DNS as the receiver recorded it
    from_ip: str | None = None  # validated, normalised (no brackets, ports, IPv6: or %zone)
    ident: str | None = None
    by: str | None = None
    by_ip: str | None = None
    protocol: str | None = None  # the ``with`` value (``ESMTPS``, ``Microsoft SMTP Server``)
    via: str | None = None
    id: str | None = None
    envelope_for: str | None = None
    envelope_from: str | None = None
    software: str | None = None  # the receiving software's comment (``Postfix``, ``Exim 4.96``)
    timestamp: datetime | None = None  # aware, UTC
    timestamp_raw: str | None = None
    is_local: bool = False
    local_reason: str | None = None
    parsed: bool = False  # every top-level part was understood
    flags: tuple[str, ...] = ()
    defects: tuple[Defect, ...] = ()


class ChainHop(msgspec.Struct, frozen=True):
    """A hop in its place on the path: ``index`` 0 is the origin-most hop.

    ``delay_s`` is this hop's timestamp minus the previous (origin-side) hop's,
    in seconds; negative when clocks disagree; None when either is missing.
    """

    index: int
    hop: ReceivedHop
    delay_s: float | None = None


def parse_received_chain(lines: Sequence[str]) -> tuple[ChainHop, ...]:
    """Parse a message's Received values (header order, newest first).

    Returns the hops ordered origin -> recipient with signed delays.
    """
    hops = [parse_received(line) for line in reversed(lines)]
    chain: list[ChainHop] = []
    previous: datetime | None = None
    for index, hop in enumerate(hops):
        delay: float | None = None
        if index and previous is not None and hop.timestamp is not None:
            delay = (hop.timestamp - previous).total_seconds()
        chain.append(ChainHop(index=index, hop=hop, delay_s=delay))
        previous = hop.timestamp
    return tuple(chain)


def parse_received(raw: str) -> ReceivedHop:
    """Parse one Received header value. Never raises; problems become defects."""
    defects: list[Defect] = []
    text = raw
    if len(text) > MAX_SCAN_CHARS:
        text = text[:MAX_SCAN_CHARS]
        defects.append(Defect("received.truncated", f"read the first {MAX_SCAN_CHARS} chars"))
    text = " ".join(text.split())
    if text[:9].lower() in ("received:", "received "):
        text = text[9:].lstrip()
        defects.append(Defect("received.header_name_repeated", "value began with 'Received'"))
    if text[:1] == "[" and text[-1:] == "]" and text[1:6].lower().startswith(("from ", "by ")):
        text = text[1:-1]
        defects.append(Defect("received.bracketed", "value was wrapped in [ ]"))
    fast = _FAST_LINE.fullmatch(text) if not defects else None
    if fast is not None and _regular(fast, text):
        dated = read_date(fast.group(11).strip(), defects)
        hop = _plain_hop(raw, fast, dated, defects)
        return hop if hop is not None else _read(raw, _fast_clauses(fast), dated, defects)
    body, date_text = _split_date(text, defects)
    dated = read_date(date_text, defects)
    grouped = _group(_FAST_TOKEN.findall(body))
    if grouped is None:  # a lone paren: count them token by token
        grouped = _group(_tokenize_slow(body, defects))
    return _read(raw, grouped or (_Clause(""), {}), dated, defects)


_Dated = tuple[datetime | None, str | None, str | None]  # as read_date returns it


def _read(
    raw: str, grouped: tuple[_Clause, dict[str, _Clause]], dated: _Dated, defects: list[Defect]
) -> ReceivedHop:
    build = _Builder(raw, defects)
    build.read(*grouped)
    stamp, stamp_raw, trailing_id = dated
    if trailing_id and build.id is None:
        build.id = trailing_id  # Courier writes its queue id after the date
    return build.finish(stamp, stamp_raw)


# --- tokenizer -------------------------------------------------------------

# A comment nested up to three deep is one token; deeper or unbalanced text
# goes to the counting tokenizer. Possessive quantifiers never backtrack.
_FAST_TOKEN = re.compile(
    r"(\((?:[^()]++|\((?:[^()]++|\([^()]*+\))*+\))*+\))|(;)|([^\s();]++)|([()])"
)
_TOKEN = re.compile(r"[()]|;|[^\s();]+")
_Token = tuple[str, str, str, str]  # (comment with its parens, ";", word, lone paren)
_SEMICOLON_TRIES = 8  # last ';'s tried as the date separator before the slow path


def _tokenize_slow(text: str, defects: list[Defect]) -> list[_Token]:
    """Count parens token by token: deep nesting and unbalanced text."""
    tokens: list[_Token] = []
    depth = start = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "(":
            start = match.start() if depth == 0 else start
            depth += 1
        elif token == ")" and depth == 0:
            defects.append(Defect("received.unbalanced_parens", "')' without '('"))
        elif token == ")":
            depth -= 1
            if depth == 0:
                tokens.append((text[start : match.end()], "", "", ""))
        elif depth == 0:
            tokens.append(("", token, "", "") if token == ";" else ("", "", token, ""))
    if depth:
        defects.append(Defect("received.unbalanced_parens", "'(' never closed"))
        tokens.append((text[start:] + ")", "", "", ""))
    return tokens


def _split_date(text: str, defects: list[Defect]) -> tuple[str, str | None]:
    """The clause text and the date text: after the last top-level ``;``."""
    end = len(text)
    for _ in range(_SEMICOLON_TRIES):
        position = text.rfind(";", 0, end)
        if position < 0:
            break
        if _outside_comments(text, position + 1):
            return text[:position], text[position + 1 :].strip()
        end = position
    if end < len(text):  # a ';' inside a comment: count parens over the whole text
        slow = _tokenize_slow(text, [])
        semis = [i for i, token in enumerate(slow) if token[1]]
        if semis:
            return _joined(slow[: semis[-1]]), _joined(slow[semis[-1] + 1 :])
    found = find_date(text)
    if found is None:
        return text, None
    defects.append(Defect("received.date_without_semicolon", "date not after ';'"))
    return text[:found], text[found:]


def _outside_comments(text: str, start: int) -> bool:
    """Whether the text from ``start`` never closes a paren it did not open."""
    tail = text[start:]
    if ")" not in tail:
        return True
    depth = 0
    for paren in _PARENS.findall(tail):
        depth += 1 if paren == "(" else -1
        if depth < 0:
            return False
    return True


def _joined(tokens: list[_Token]) -> str:
    return " ".join(comment or semi or word for comment, semi, word, _ in tokens)


_PARENS = re.compile(r"[()]")


# --- whole-line fast path --------------------------------------------------

# The common shapes in one match: Microsoft 365 ``from X (ip) by Y (ip) with
# Microsoft SMTP Server (...) id N via Frontend Transport``, ``with HTTPS``,
# Gmail ``by 2002:... with SMTP id N`` and ``mx.google.com with ESMTPS id N for
# <a> (...)``, Postfix ``from h (rdns [ip]) by m (Postfix) with ESMTP id X for
# <a>``: lower-case keywords in RFC order, at most one comment each, the date
# after the only top-level ``;``. Its clauses are the ones the tokenizer would
# build; any other line is tokenized.
_WORD = r"[^\s();]++"
_BARE_IP = re.compile(r"\[?[0-9A-Fa-f:.]++\]?")
_NOTE = r"(?: \(([^()]*+)\))?"
_FAST_LINE = re.compile(
    rf"(?:from ({_WORD}){_NOTE} )?by ({_WORD}){_NOTE}(?: with ({_WORD}(?: {_WORD})*?){_NOTE})?"
    rf"(?: id ({_WORD}))?(?: via ({_WORD}(?: {_WORD})*?))?(?: for ({_WORD}))?{_NOTE};([^;]*+)"
)


def _regular(match: re.Match[str], text: str) -> bool:
    """Whether the tokenizer would group a :data:`_FAST_LINE` match as its groups
    say: no keyword as a value, the last ``;`` outside comments, and a closing
    comment only after ``id``, ``via`` or ``for``."""
    helo, _, by, _, protocol, _, id_, via, for_, end_note, date = match.groups()
    values = (helo, by, id_, for_, *(protocol or "").split(" "), *(via or "").split(" "))
    if not _KEYWORD_SPELLINGS.isdisjoint(values):
        return False
    if ")" in date and not _outside_comments(text, match.start(11)):
        return False
    return end_note is None or id_ is not None or via is not None or for_ is not None


def _fast_clauses(match: re.Match[str]) -> tuple[_Clause, dict[str, _Clause]]:
    """The clauses of a :func:`_regular` line, as :func:`_group` builds them."""
    helo, peer, by, by_note, protocol, with_note, id_, via, for_, end_note, _ = match.groups()
    clauses: dict[str, _Clause] = {}
    for name, words, note in (("from", helo, peer), ("by", by, by_note),
                              ("with", protocol, with_note), ("id", id_, None),
                              ("via", via, None), ("for", for_, None)):  # fmt: skip
        if words is not None:
            clauses[name] = _clause(name, words.split(" "), note)
    if end_note is not None:
        last = clauses["for" if for_ is not None else "via" if via is not None else "id"]
        last.comments.append(end_note.strip())
        last.head = len(last.words)
    return _Clause(""), clauses


def _clause(name: str, words: list[str], note: str | None) -> _Clause:
    clause = _Clause(name)
    clause.words = words
    if note is not None:
        clause.comments.append(note.strip())
        clause.head = len(words)
    return clause


def _plain_hop(
    raw: str, match: re.Match[str], dated: _Dated, defects: list[Defect]
) -> ReceivedHop | None:
    """The hop of a :func:`_regular` line whose ``from`` and ``by`` comments are
    bare addresses (Microsoft 365, Gmail), exactly as :class:`_Builder` reads it;
    None for other lines."""
    helo, peer, by, by_note, protocol, note, id_, via, for_, end_note, _ = match.groups()
    from_ip = by_ip = None
    if peer is not None and (not _BARE_IP.fullmatch(peer) or not (from_ip := _clean_ip(peer))):
        return None
    if by_note is not None and (
        not _BARE_IP.fullmatch(by_note) or not (by_ip := _first_ip(by_note))
    ):
        return None
    if peer is None and helo is not None and (_is_literal(helo) or helo[:1].isdigit()):
        from_ip = _clean_ip(helo)
    tail = _plain_tail(protocol, note, end_note)
    reason = tail.reason
    if reason is None:
        reason = _peerless(from_ip, helo, None, helo is not None)
    elif reason == "queue-injection" and from_ip:
        reason = None
    stamp, stamp_raw, trailing_id = dated
    hop_id = id_.strip("<>") if id_ is not None else None
    if trailing_id and hop_id is None:
        hop_id = trailing_id  # Courier writes its queue id after the date
    return ReceivedHop(
        raw=raw, from_helo=helo, from_ip=from_ip, by=by, by_ip=_clean_ip(by) or by_ip,
        protocol=tail.protocol, via=via, id=hop_id,
        envelope_for=_recipients([for_]) if for_ is not None else None,
        envelope_from=tail.envelope_from, software=tail.software, timestamp=stamp,
        timestamp_raw=stamp_raw, is_local=reason is not None, local_reason=reason, parsed=True,
        flags=tail.flags, defects=tuple(defects),
    )  # fmt: skip


class _Tail(NamedTuple):
    protocol: str | None
    software: str | None
    envelope_from: str | None
    flags: tuple[str, ...]
    reason: str | None  # the local reason the text gives, before the peer is looked at


@functools.lru_cache(maxsize=1024)
def _plain_tail(protocol: str | None, note: str | None, end_note: str | None) -> _Tail:
    """What a ``with`` clause and a closing comment make of a hop, as :class:`_Builder`
    reads them (Microsoft and Gmail lines repeat them verbatim)."""
    build = _Builder("", [])
    if protocol is not None:
        build._protocol(protocol, [note.strip()] if note is not None else [])
    if end_note is not None:
        build._comment(end_note.strip())
    get = build.fields.get
    flags = tuple(sorted(build.flags))
    reason = _text_reason(get("protocol"), build.markers)
    return _Tail(get("protocol"), get("software"), get("envelope_from"), flags, reason)


# --- addresses -------------------------------------------------------------

_IP_CHARS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_V4_MAPPED = bytes(10) + b"\xff\xff"
_V4_COMPAT = bytes(12)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


@functools.lru_cache(maxsize=8192)
def _clean_ip(token: str) -> str | None:
    """A validated, normalised IP from ``1.2.3.4``, ``[1.2.3.4]:25``, ``[IPv6:..]``, ``user@ip``."""
    text = token.rstrip(",;")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        text = text[1:end]
    if "@" in text:
        text = text[text.rfind("@") + 1 :]
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    if "%" in text:
        text = text[: text.find("%")]
    if text.count(":") == 1 and "." in text:
        text = text[: text.find(":")]  # ipv4:port
    if _IPV4.fullmatch(text):
        return text
    if ":" not in text or not _IP_CHARS.fullmatch(text):
        return None
    return _ipv6(text)


def _ipv6(text: str) -> str | None:
    """RFC 5952 text of an IPv6 address; IPv4-mapped addresses become IPv4."""
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):
        return None
    if packed[:12] == _V4_MAPPED:
        return socket.inet_ntop(socket.AF_INET, packed[12:])
    if packed[:12] == _V4_COMPAT:  # inet_ntop would print ``::a.b.c.d``
        return str(ipaddress.IPv6Address(packed))
    return socket.inet_ntop(socket.AF_INET6, packed)


def _is_literal(token: str) -> bool:
    return token.startswith("[") and "]" in token


def _name(token: str) -> str | None:
    """A host name as recorded: trailing dot dropped, ``unknown`` read as None."""
    name = token.rstrip(".")
    return None if not name or name.lower() == "unknown" else name


# --- clauses ---------------------------------------------------------------

_KEYWORDS = frozenset(("from", "by", "via", "with", "id", "for"))
_KEYWORD_SPELLINGS = frozenset(  # every upper/lower-case spelling: one set lookup per word
    "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(keyword))
    for keyword in _KEYWORDS
    for mask in range(1 << len(keyword))
)


class _Clause:
    """One keyword's words and comments; ``head`` counts the words before the first comment."""

    __slots__ = ("comments", "head", "name", "words")

    def __init__(self, name: str) -> None:
        self.name = name
        self.words: list[str] = []
        self.comments: list[str] = []
        self.head = -1


def _group(tokens: list[_Token]) -> tuple[_Clause, dict[str, _Clause]] | None:
    """Prefix items (before any keyword) and the first clause of each keyword.

    None when a lone paren shows that the fast tokenizer could not pair them.
    """
    prefix = current = _Clause("")
    clauses: dict[str, _Clause] = {}
    words = current.words
    for comment, _, word, paren in tokens:
        if word:
            if word not in _KEYWORD_SPELLINGS or (keyword := word.lower()) in clauses:
                words.append(word)
            elif current is not prefix and not words and not current.comments:
                words.append(word)  # a keyword right after a keyword is a value
            else:
                current = clauses[keyword] = _Clause(keyword)
                words = current.words
        elif comment:
            if current.head < 0:
                current.head = len(words)
            current.comments.append(comment[1:-1].strip())
        elif paren:
            return None
    return prefix, clauses


class _PeerInfo:
    """TCP information gathered from the comments of a ``from`` clause."""

    __slots__ = ("helo", "hit", "ident", "ip", "rdns")

    def __init__(self) -> None:
        self.helo: str | None = None
        self.rdns: str | None = None
        self.ip: str | None = None
        self.ident: str | None = None
        self.hit = False  # the comment last read carried TCP information

    def read(self, comment: str, defects: list[Defect]) -> bool:
        """Take what ``comment`` says about the peer; whether it said anything."""
        self.hit = False
        if " " not in comment and "(" not in comment:
            self._single(comment, defects)
            return self.hit
        words = _split_literals(comment.translate(_COMMENT_PUNCTUATION).split())
        index = 0
        while index < len(words):
            index = self._word(words, index, defects)
        return self.hit

    def _single(self, word: str, defects: list[Defect]) -> None:
        lower = word.lower()
        if lower.startswith(("helo=", "ehlo=")):  # Exim ``(helo=[ip])``: a claim, not the peer
            self._set_helo(word[5:])
        elif "[" in word[1:]:  # ``user@[ip]``, ``IDENT:user@[ip]``, ``host[ip]``
            parts = _split_literals([word])
            self._literal(parts[-1], parts[0] if len(parts) > 1 else None, defects)
        elif lower == "unknown":
            self.hit = True
        elif _is_literal(word):
            self._literal(word, None, defects)
        elif (address := _clean_ip(word)) is not None:
            self._set_ip(address, word)
        elif self.rdns is None and self.ip is None and ("." in word or "@" in word):
            self._set_rdns(word)  # ``(host.example)``, Sendmail ``(user@localhost)``

    def _word(self, words: list[str], index: int, defects: list[Defect]) -> int:
        word = words[index]
        lower = word.lower()
        if lower in ("helo", "ehlo", "lhlo") and index + 1 < len(words):
            self._set_helo(words[index + 1])
            return index + 2
        if lower.startswith(("helo=", "ehlo=")):
            self._set_helo(word[5:])
        elif lower.startswith("ident="):
            self.ident = self.ident or word[6:] or None
        elif _is_literal(word):
            self._literal(word, words[index - 1] if index else None, defects)
        elif (address := _clean_ip(word)) is not None:
            self._set_ip(address, word)
        return index + 1

    def _set_helo(self, value: str) -> None:
        self.hit = True
        if self.helo is None and value:
            self.helo = value

    def _set_ip(self, address: str, word: str) -> None:
        self.hit = True
        if self.ip is None:
            self.ip = address
            if "@" in word:  # qmail ``(user@1.2.3.4)``
                self.ident = self.ident or word[: word.rfind("@")] or None

    def _literal(self, word: str, before: str | None, defects: list[Defect]) -> None:
        if "/" in word:  # qmail ``invoked from network[ip/rdns]``
            slash = word.find("/")
            word, before = word[:slash] + "]", word[slash + 1 :].rstrip("]") or None
        address = _clean_ip(word)
        if address is None:
            self.hit = word in ("[]", "[local]")  # OpenSMTPD ``[local]``: a local socket
            if not self.hit and ("." in word or ":" in word):
                defects.append(Defect("received.ip_invalid", word[:80]))
            return
        self.hit = True
        if self.ip is not None:
            return
        self.ip = address
        if before is None or _is_literal(before) or before.lower().startswith("helo"):
            return
        self._set_rdns(before)

    def _set_rdns(self, word: str) -> None:
        host = word[6:] if word[:6].upper() == "IDENT:" else word
        if "@" in host:
            self.ident = self.ident or host[: host.rfind("@")] or None
            host = host[host.rfind("@") + 1 :]
        self.rdns, self.hit = _name(host) if host else None, True


_COMMENT_PUNCTUATION = str.maketrans('()"', "   ")


def _split_literals(words: list[str]) -> list[str]:
    """``host[ip]`` -> ``host``, ``[ip]``; ``user@[ip]`` -> ``user@``, ``[ip]``."""
    if not any("[" in word[1:] for word in words):
        return words
    split: list[str] = []
    for word in words:
        cut = word.find("[", 1)
        split.extend((word[:cut], word[cut:]) if cut > 0 else (word,))
    return split


# --- classification tables -------------------------------------------------

_LOCAL_PROTOCOLS = {
    "local": "local", "local-bsmtp": "local", "local-esmtp": "local", "local-smtp": "local",
    "lmtp": "lmtp", "lmtpa": "lmtp", "lmtps": "lmtp", "lmtpsa": "lmtp", "utf8lmtp": "lmtp",
    "utf8lmtpa": "lmtp", "utf8lmtps": "lmtp", "utf8lmtpsa": "lmtp",
    "pop3": "retrieval", "pop3s": "retrieval", "pop": "retrieval", "imap": "retrieval",
    "imap4": "retrieval", "imaps": "retrieval", "odmr": "retrieval",
    "mapi": "mapi", "bsmtp": "local", "spool": "local", "uucp": "local",
}  # fmt: skip
_LOCAL_MARKERS = {
    "from userid": "local-submission", "/submit": "local-submission",
    "invoked by": "local-submission", "invoked for bounce": "local-submission",
    "amavis": "scanner", "spamd": "scanner", "mailscanner": "scanner", "-scanner": "scanner",
    "spam-scanned": "scanner", " with spamassassin": "scanner", "clamsmtp": "scanner",
    "dspam": "scanner",
    "fetchmail": "retrieval", "getmail": "retrieval", "invoked from network": "queue-injection",
    " from mail pickup service": "pickup", " [local]": "local-submission",
}  # fmt: skip
_MARKER = re.compile("|".join(re.escape(marker) for marker in _LOCAL_MARKERS))
_FLAG_HINTS = re.compile(
    r"(may be forged)|(\bauthenticated\b|\bAUTH:)|(\b(?:TLS|SSL)|\bcipher|transport security)",
    re.IGNORECASE,
)
_FLAG_NAMES = ("may_be_forged", "authenticated", "tls")
_LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain", "127.0.0.1", "::1"))
_TLS_PROTOCOLS = frozenset(("esmtps", "esmtpsa", "smtps", "https", "lmtps", "utf8smtps"))


class _Builder:
    """Collects one hop's fields from its grouped clauses."""

    def __init__(self, raw: str, defects: list[Defect]) -> None:
        self.raw = raw
        self.defects = defects
        self.fields: dict[str, str | None] = {}
        self.id: str | None = None
        self.flags: set[str] = set()
        self.parsed = False
        self.local_reason: str | None = None
        self.markers = ""  # lower-cased text searched for local markers

    def read(self, prefix: _Clause, clauses: dict[str, _Clause]) -> None:
        peer = _PeerInfo()
        for comment in prefix.comments:
            self._comment(comment)
            self.markers += " " + comment.lower()
        if "from" not in clauses and prefix.comments and not prefix.words:
            for comment in prefix.comments:  # Exim ``(helo=x) by ...`` and qmail-style notes
                peer.read(comment, self.defects)
        self._from(clauses.get("from"), peer)
        self._by(clauses.get("by"))
        self._with(clauses)
        self._ends(clauses)
        self.parsed = self._understood(prefix, clauses)
        if self.parsed:
            self.local_reason = self._local(prefix.comments, "from" in clauses)

    def _comment(self, comment: str) -> None:
        """Flags and envelope-from from a comment the receiver wrote (not a HELO)."""
        flags, has_envelope, envelope = _note_facts(comment)
        self.flags.update(flags)
        if has_envelope and self.fields.get("envelope_from") is None:
            self.fields["envelope_from"] = envelope

    def _from(self, clause: _Clause | None, peer: _PeerInfo) -> None:
        if clause is None:
            self._set_peer(None, peer)
            return
        for comment in clause.comments:
            if peer.read(comment, self.defects):
                if "may be forged" in comment:  # Sendmail ``(rdns [ip] (may be forged))``
                    self.flags.add("may_be_forged")
            else:
                self._comment(comment)
        for word in clause.words[1:8]:  # fetchmail ``from host [ip]``, Smail ``from [ip]``
            if peer.ip is None and (word[:1] == "[" or word[:1].isdigit()):
                peer.ip = _clean_ip(word)
        if peer.ip is None and any(c.endswith("[local]") for c in clause.comments):
            self.markers += " [local]"  # OpenSMTPD: a local socket, no address
        value = clause.words[0] if clause.words else None
        if value is not None and len(clause.words) > 1:
            self.markers += " from " + " ".join(clause.words).lower()
        self._set_peer(value, peer)

    def _set_peer(self, value: str | None, peer: _PeerInfo) -> None:
        helo, rdns, ip = value, peer.rdns, peer.ip
        if peer.helo is not None:  # the value is then the rDNS name (qmail, Exim) or a literal
            helo = peer.helo
            if value is not None and _clean_ip(value) is None:
                rdns = rdns or _name(value)
        if ip is None and value is not None and (_is_literal(value) or value[:1].isdigit()):
            ip = _clean_ip(value)
        self.fields.update(from_helo=helo, from_rdns=rdns, from_ip=ip, ident=peer.ident)

    def _by(self, clause: _Clause | None) -> None:
        if clause is None:
            return
        value = clause.words[0] if clause.words else None
        by_ip = _clean_ip(value) if value else None
        software: str | None = None
        for comment in clause.comments:
            address = _first_ip(comment)
            if address is not None:
                by_ip = by_ip or address
                continue
            self._comment(comment)
            self.markers += " " + comment.lower()
            if software is None and _looks_like_software(comment):
                software = comment
        self.fields.update(by=value, by_ip=by_ip, software=software)

    def _with(self, clauses: dict[str, _Clause]) -> None:
        clause = clauses.get("with")
        if clause is None:
            return
        words = clause.words if clause.head < 0 else clause.words[: clause.head]
        self._protocol(" ".join(words), clause.comments)  # Exim 4.97 adds ``tls <cipher>``

    def _protocol(self, words: str, comments: list[str]) -> None:
        self.fields["protocol"] = words or None
        for comment in comments:
            self._comment(comment)
            self.markers += " " + comment.lower()
            if self.fields.get("software") is None and _looks_like_software(comment):
                self.fields["software"] = comment
        protocol = (self.fields["protocol"] or "").lower()
        self.markers += " with " + protocol
        if protocol in _TLS_PROTOCOLS:
            self.flags.add("tls")
        if (protocol.endswith("a") and "smtp" in protocol) or protocol == "asmtp":
            self.flags.add("authenticated")

    def _ends(self, clauses: dict[str, _Clause]) -> None:
        for name in ("via", "id", "for"):
            clause = clauses.get(name)
            if clause is None:
                continue
            for comment in clause.comments:
                self._comment(comment)
            if name == "via":
                self.fields["via"] = " ".join(clause.words) or None
            elif name == "id":
                self.id = clause.words[0].strip("<>") if clause.words else None
            else:
                self.fields["envelope_for"] = _recipients(clause.words)

    def _understood(self, prefix: _Clause, clauses: dict[str, _Clause]) -> bool:
        leading = prefix.words
        if leading:
            self.defects.append(Defect("received.unrecognised", " ".join(leading)[:80]))
            return False
        if not clauses and not prefix.comments:
            self.defects.append(Defect("received.unrecognised", "no clauses"))
            return False
        return True

    def _local(self, prefix_comments: list[str], has_from: bool) -> str | None:
        get = self.fields.get
        reason = _text_reason(get("protocol"), self.markers)
        if reason is not None:
            if reason == "queue-injection" and get("from_ip"):
                return None  # qmail ``invoked from network[ip/host]`` names the peer
            return reason
        if any(c.lower().startswith("from ") for c in prefix_comments):
            return "local-submission"  # Sendmail ``(from user@localhost) by ...``
        return _peerless(get("from_ip"), get("from_helo"), get("from_rdns"), has_from)

    def finish(self, stamp: datetime | None, stamp_raw: str | None) -> ReceivedHop:
        get = self.fields.get
        return ReceivedHop(
            raw=self.raw,
            from_helo=get("from_helo"),
            from_rdns=get("from_rdns"),
            from_ip=get("from_ip"),
            ident=get("ident"),
            by=get("by"),
            by_ip=get("by_ip"),
            protocol=get("protocol"),
            via=get("via"),
            id=self.id,
            envelope_for=get("envelope_for"),
            envelope_from=get("envelope_from"),
            software=get("software"),
            timestamp=stamp,
            timestamp_raw=stamp_raw,
            is_local=self.local_reason is not None,
            local_reason=self.local_reason,
            parsed=self.parsed,
            flags=tuple(sorted(self.flags)),
            defects=tuple(self.defects),
        )


@functools.lru_cache(maxsize=4096)
def _note_facts(comment: str) -> tuple[frozenset[str], bool, str | None]:
    """A receiver's comment -> its flags, whether it names an envelope-from, and that."""
    flags = frozenset(_FLAG_NAMES[(h.lastindex or 1) - 1] for h in _FLAG_HINTS.finditer(comment))
    position = comment.find("envelope-from")
    if position < 0:
        return flags, False, None
    value = comment[position + 13 :].lstrip(" =:").split(" ", 1)[0]
    return flags, True, value.strip("<>,;") or None


@functools.lru_cache(maxsize=4096)
def _marker_reason(markers: str) -> str | None:
    """The local reason of the first local marker in the collected text (Sendmail
    and Microsoft lines repeat it verbatim)."""
    marker = _MARKER.search(markers)
    return _LOCAL_MARKERS[marker.group()] if marker is not None else None


def _text_reason(protocol: str | None, markers: str) -> str | None:
    """The local reason the protocol or a marker in the collected text gives."""
    first = (protocol or "").lower().split(" ", 1)[0]
    return _LOCAL_PROTOCOLS[first] if first in _LOCAL_PROTOCOLS else _marker_reason(markers)


def _peerless(ip: str | None, helo: str | None, rdns: str | None, has_from: bool) -> str | None:
    """The local reason of a hop whose peer is loopback, a spool, or not recorded."""
    if ip is not None:
        return "loopback" if ip.startswith("127.") or ip == "::1" else None
    name = (helo or "").lower()
    if name in _LOOPBACK_NAMES or (rdns or "") in _LOOPBACK_NAMES:
        return "loopback"
    if name.endswith("spooldir"):
        return "pickup"  # Mercury ``from SpoolDir by ...``
    if not has_from and not name:
        return "no-peer"  # by-only and comment-only lines: no sending peer recorded
    return None


def _recipients(words: list[str]) -> str | None:
    """``for <a@x>`` -> ``a@x``; a list continues only after a comma."""
    taken: list[str] = []
    for word in words[:20]:
        if taken and not taken[-1].endswith(","):
            break
        taken.append(word)
    return " ".join(word.strip("<>") for word in taken).replace(">,", ",").strip(" ,") or None


def _first_ip(comment: str) -> str | None:
    for word in comment.replace("(", " ").replace(")", " ").split():
        if (word[:1] == "[" or word[:1].isdigit() or ":" in word) and (ip := _clean_ip(word)):
            return ip
    return None


_NOT_SOFTWARE = (
    "tls", "using", "envelope-from", "version", "cipher", "single-drop", "no client",
    "authenticated",
)  # fmt: skip


def _looks_like_software(comment: str) -> bool:
    return (
        bool(comment) and "=" not in comment and not comment[:16].lower().startswith(_NOT_SOFTWARE)
    )
