"""What the cluster stage keeps of one analysed message (computed in the worker).

The body is masked before it is compared: the recipient's data found by the
content stage becomes ``{name}``, ``{address}`` ..., and numbers, URL paths,
mail addresses and long tokens become ``{number}``, ``{url}``, ``{email}``,
``{token}``. Variants of one template then read the same. From the masked text:

* ``fingerprint``: 63-bit hash of the claimed sender and of the display name
  and masked subject and body: the template's identity. A template therefore
  has one claimed sender (or none), fixed when it is created, which keeps the
  sender-conflict rule independent of arrival order;
* ``shingles``: MinHash (rensa) of word 3-shingles of subject and body, for
  near-duplicate templates;
* ``words``: MinHash of the masked word set, the looser similarity that guards
  links through shared senders, URLs or infrastructure;
* ``keys``: values that may join templates into one campaign (identity:
  ``from:``, ``org:`` (the sender's registrable domain, not a mailbox
  provider's), ``reply:``, ``url:``, ``wallet:``, ``display:``;
  infrastructure: ``edge24:``, ``msgid:``, ``mailer:``, ``script:``, ``html:``
  (the HTML tag skeleton); weak evidence: ``asn:`` (the edge's network, which
  only supports a near-duplicate link and is never looked up on its own);
  ``text:``, the hash of the masked text without the sender, so a campaign
  that rotates sender addresses under one text is found whole; ``phrase:``,
  each long masked sentence of a message that makes claims, so waves written
  from one pool of sentences (spintax) are found together).
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import msgspec
from rensa import RMinHash

from pollwatch.analyze.dns import organisational_domain
from pollwatch.analyze.record import Analysis, Personalization
from pollwatch.models import ParsedMessage

PERMUTATIONS = 64
SEED = 20201020
SHINGLE = 3
MIN_WORDS = 12  # shorter texts join only through identical fingerprints of one sender
MAX_BODY = 20_000
KEEP_BODY = 4_000  # masked text kept per template, for the template view
MAX_SLOT_VALUE = 120
SELF_SENDER = "from:{self}"  # a claimed identity that never links on its own
PHRASE_WORDS = 8  # a sentence this long (words, not slots) is distinctive
MAX_PHRASES = 12
MAX_PHRASE = 200

# URL hosts that appear in unrelated mail everywhere: never a campaign key.
COMMON_HOSTS = frozenset({
    "www.w3.org", "w3.org", "schemas.microsoft.com", "www.google.com", "google.com",
    "support.google.com", "accounts.google.com", "www.facebook.com", "facebook.com",
    "twitter.com", "www.twitter.com", "x.com", "www.instagram.com", "www.linkedin.com",
    "www.youtube.com", "youtube.com", "go.microsoft.com", "aka.ms", "www.microsoft.com",
    "apple.com", "www.apple.com", "play.google.com", "apps.apple.com", "fonts.googleapis.com",
    "schema.org", "www.w3schools.com", "outlook.office365.com", "login.microsoftonline.com",
})  # fmt: skip
# Mailbox providers: two addresses there are two people, not one organisation.
MAILBOX_PROVIDERS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "pm.me",
    "tutanota.com", "tuta.io", "zoho.com", "mail.com", "gmx.com", "gmx.net", "gmx.de", "web.de",
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "yandex.ru", "yandex.com", "qq.com", "163.com",
    "126.com", "sina.com", "naver.com", "daum.net", "comcast.net", "att.net", "verizon.net",
    "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net", "earthlink.net", "optonline.net",
    "rediffmail.com", "libero.it", "orange.fr", "free.fr", "laposte.net", "t-online.de",
})  # fmt: skip
MAILBOX_PREFIXES = ("yahoo.", "ymail.", "hotmail.", "outlook.", "live.", "gmx.", "yandex.")
MIN_HTML_TAGS = 20  # shorter HTML skeletons are shared by unrelated mail
GENERIC_NAMES = frozenset({
    "", "admin", "administrator", "support", "info", "no-reply", "noreply", "service",
    "customer service", "team", "help desk", "helpdesk", "security", "mail", "webmaster",
    "notification", "notifications", "account", "accounts",
})  # fmt: skip

US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR",
})  # fmt: skip
_STATE = re.compile(r",\s*([A-Z]{2})\s+\d{5}(?:-\d{4})?\b")
_URL = re.compile(r"\b((?:https?|hxxps?)://|www\.)([^\s/<>\"']+)[^\s<>\"']*", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TOKEN = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,}\b")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_WALLET = re.compile(r"\b(bc1[02-9ac-hj-np-z]{25,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})\b")
_WORD = re.compile(r"\{[a-z_]+\}|[^\W\d_]+(?:'[^\W\d_]+)?")
_SPACE = re.compile(r"[ \t\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")


class MessageFeatures(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    fingerprint: int
    arrival: float | None  # epoch seconds: when the recipient's side received it
    recipient: str | None
    sender: str | None
    display: str | None
    subject: str  # masked
    body: str  # masked, first KEEP_BODY characters
    words: int  # masked word count
    shingles: bytes  # PERMUTATIONS uint32, MinHash of 3-shingles
    vocabulary: bytes  # PERMUTATIONS uint32, MinHash of the word set
    keys: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]  # (slot, value) as masked, in order
    categories: tuple[str, ...]
    language: str | None
    edge_ip: str | None
    edge_country: str | None
    edge_asn: int | None
    edge_org: str | None
    origin_ip: str | None
    origin_country: str | None
    mailer: str | None
    report: str | None  # "attachment" | "inline" | None
    state: str | None
    indicators: tuple[tuple[str, str, str], ...]  # (type, value, role)


def message_features(view: ParsedMessage, analysis: Analysis) -> MessageFeatures:
    """The cluster stage's view of one message (``view``: the original, as analysed)."""
    body, slots = mask(view.body_text[:MAX_BODY], _spans(analysis.personalization, "body"))
    subject, subject_slots = mask(view.subject, _spans(analysis.personalization, "subject"))
    tokens = _WORD.findall(body.lower())
    sender = analysis.message.from_.address.lower() if analysis.message.from_ else None
    display = analysis.message.from_.display.strip() if analysis.message.from_ else ""
    short = len(tokens) < MIN_WORDS
    edge, origin = analysis.path.edge, analysis.path.origin
    claimed = _claimed_sender(view, sender)
    text = f"{display.lower()}\n{subject}\n{body}"
    return MessageFeatures(
        sha256=analysis.message.sha256,
        fingerprint=_hash(text, claimed),
        arrival=_arrival(analysis),
        recipient=_recipient(view, analysis),
        sender=sender,
        display=analysis.message.from_.display if analysis.message.from_ else None,
        subject=subject,
        body=body[:KEEP_BODY],
        words=len(tokens),
        shingles=b"" if short else _minhash(_shingles(_WORD.findall(subject.lower()) + tokens)),
        vocabulary=_minhash(sorted(set(tokens))) if tokens else b"",
        keys=_all_keys(view, analysis, claimed, None if short else text, body),
        slots=(*subject_slots, *slots),
        categories=analysis.categories,
        language=analysis.language,
        edge_ip=edge.ip if edge else None,
        edge_country=edge.country if edge else None,
        edge_asn=edge.asn if edge else None,
        edge_org=edge.as_org if edge else None,
        origin_ip=origin.ip if origin else None,
        origin_country=origin.country if origin else None,
        mailer=analysis.sender.mailer,
        report=analysis.report.kind,
        state=_state(analysis.personalization),
        indicators=tuple(_indicators(analysis)),
    )


def mask(
    text: str, spans: Iterable[tuple[int, int, str]]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``text`` with personal data and variable parts replaced by ``{slot}`` names."""
    pieces: list[str] = []
    slots: list[tuple[str, str]] = []
    pos = 0
    for start, end, field in sorted(spans):
        if start < pos:
            continue
        pieces.append(_mask_generic(text[pos:start], slots))
        pieces.append("{" + field + "}")
        slots.append((field, text[start:end][:MAX_SLOT_VALUE]))
        pos = end
    pieces.append(_mask_generic(text[pos:], slots))
    masked = _LINES.sub("\n", _SPACE.sub(" ", "".join(pieces))).strip()
    return masked, tuple(slots)


def _mask_generic(text: str, slots: list[tuple[str, str]]) -> str:
    def keep(name: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            slots.append((name, match.group(0)[:MAX_SLOT_VALUE]))
            return "{" + name + "}"

        return replace

    text = _URL.sub(lambda m: _url_slot(m, slots), text)
    text = _EMAIL.sub(keep("email"), text)
    text = _WALLET.sub(keep("wallet"), text)
    text = _TOKEN.sub(keep("token"), text)
    return _NUMBER.sub(keep("number"), text)


def _url_slot(match: re.Match[str], slots: list[tuple[str, str]]) -> str:
    """A URL keeps its host (part of the template); its path and query are a slot."""
    host = match.group(2).lower()
    slots.append(("url", match.group(0)[:MAX_SLOT_VALUE]))
    return f"{match.group(1).lower()}{host}/{{url}}"


def _spans(items: tuple[Personalization, ...], where: str) -> Iterator[tuple[int, int, str]]:
    for item in items:
        if item.where == where:
            yield item.start, item.end, item.field


def _claimed_sender(view: ParsedMessage, sender: str | None) -> str | None:
    """The sender key: ``from:ADDRESS``, or SELF_SENDER when it is the recipient's own."""
    if not sender:
        return None
    if any(a.address and a.address.lower() == sender for a in view.to):
        return SELF_SENDER
    return f"from:{sender}"


def _hash(text: str, sender: str | None) -> int:
    data = text.lower().encode("utf-8", "surrogatepass")
    if sender is not None:
        data += b"\0" + sender.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") >> 1


def _phrases(body: str) -> Iterator[str]:
    """``phrase:`` keys: the message's long masked sentences, normalised."""
    found = 0
    for sentence in _SENTENCE.split(body):
        if len(_LETTERS.findall(sentence)) >= PHRASE_WORDS:
            yield "phrase:" + " ".join(sentence.lower().split())[:MAX_PHRASE]
            found += 1
            if found == MAX_PHRASES:
                return


def _shingles(tokens: list[str]) -> list[str]:
    if len(tokens) < SHINGLE:
        return [" ".join(tokens)]
    return sorted({" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)})


def _minhash(items: list[str]) -> bytes:
    sketch = RMinHash(num_perm=PERMUTATIONS, seed=SEED)
    sketch.update(items)
    return array("I", sketch.digest()).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two MinHash signatures (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    left, right = array("I", a), array("I", b)
    return sum(x == y for x, y in zip(left, right, strict=True)) / len(left)


def _arrival(analysis: Analysis) -> float | None:
    path = analysis.path
    if path.edge is not None:
        for hop in path.hops:
            if hop.index >= path.edge.hop_index and hop.timestamp is not None:
                return hop.timestamp.timestamp()
    when: datetime | None = analysis.message.date or analysis.report.reported_at
    return when.timestamp() if when else None


def _recipient(view: ParsedMessage, analysis: Analysis) -> str | None:
    if analysis.report.reporter:
        return analysis.report.reporter.lower()
    return view.to[0].address.lower() if view.to and view.to[0].address else None


def _all_keys(
    view: ParsedMessage, analysis: Analysis, claimed: str | None, text: str | None, body: str
) -> tuple[str, ...]:
    keys = set(_keys(view, analysis, claimed))
    if text is not None:  # long enough to be a template of its own
        keys.add(f"text:{_hash(text, None):016x}")
    if analysis.categories:
        keys.update(_phrases(body))
    return tuple(sorted(keys))


def _keys(view: ParsedMessage, analysis: Analysis, claimed: str | None) -> Iterator[str]:
    recipients = {a.address.lower() for a in view.to if a.address}
    if claimed is not None:
        yield claimed
    if claimed is not None and claimed != SELF_SENDER:
        organisation = _organisation(claimed)
        if organisation:
            yield f"org:{organisation}"
        display = (analysis.message.from_.display if analysis.message.from_ else "").strip()
        if display.lower() not in GENERIC_NAMES and len(display) >= 4:
            yield f"display:{display.lower()}"
    for address in analysis.message.reply_to:
        if address.address and address.address.lower() not in recipients:
            yield f"reply:{address.address.lower()}"
    for host in analysis.iocs.domains:
        if host not in COMMON_HOSTS:
            yield f"url:{host}"
    for wallet in _WALLET.findall(view.body_text[:MAX_BODY]):
        yield f"wallet:{wallet}"
    yield from _infrastructure_keys(view, analysis)


def _organisation(claimed: str) -> str | None:
    """The registrable domain of a claimed sender, unless it is a mailbox provider's."""
    domain = claimed.rpartition("@")[2]
    if "." not in domain:
        return None
    organisation = organisational_domain(domain)
    if organisation in MAILBOX_PROVIDERS or organisation.startswith(MAILBOX_PREFIXES):
        return None
    return organisation


def _infrastructure_keys(view: ParsedMessage, analysis: Analysis) -> Iterator[str]:
    edge = analysis.path.edge
    if edge is not None and "." in edge.ip:
        yield "edge24:" + edge.ip.rsplit(".", 1)[0]
    if edge is not None and edge.asn:
        yield f"asn:{edge.asn}"
    if view.message_id and "@" in view.message_id:
        host = view.message_id.rsplit("@", 1)[1].strip("<> ").lower()
        yield "msgid:" + _NUMBER.sub("#", host)
    if analysis.sender.mailer:
        yield "mailer:" + _NUMBER.sub("#", analysis.sender.mailer.lower())[:MAX_PHRASE]
    if analysis.sender.script:
        yield "script:" + analysis.sender.script.lower()[:MAX_PHRASE]
    tags = _TAG.findall(view.html_body[:MAX_BODY])
    if len(tags) >= MIN_HTML_TAGS:
        skeleton = " ".join(tags).lower()
        yield f"html:{_hash(skeleton, None):016x}"


def _state(items: tuple[Personalization, ...]) -> str | None:
    for item in items:
        if item.field == "address":
            match = _STATE.search(item.text)
            if match and match.group(1) in US_STATES:
                return match.group(1)
    return None


def _indicators(analysis: Analysis) -> Iterator[tuple[str, str, str]]:
    edge, origin = analysis.path.edge, analysis.path.origin
    if edge is not None:
        yield ("ipv6" if ":" in edge.ip else "ipv4", edge.ip, "edge")
    if origin is not None and (edge is None or origin.ip != edge.ip):
        yield ("ipv6" if ":" in origin.ip else "ipv4", origin.ip, "origin")
    message = analysis.message
    if message.from_ is not None and message.from_.address:
        yield ("email", message.from_.address.lower(), "from")
        if message.from_.domain:
            yield ("domain", message.from_.domain.lower(), "from")
    for address in message.reply_to:
        if address.address:
            yield ("email", address.address.lower(), "reply_to")
    if message.return_path and "@" in message.return_path:
        yield ("email", message.return_path.lower(), "return_path")
    for host in analysis.iocs.domains[:20]:
        yield ("domain", host, "url")
    for url in analysis.iocs.urls[:20]:
        yield ("url", url, "url")
    for digest in analysis.iocs.hashes[:20]:
        yield ("sha256", digest, "attachment")
