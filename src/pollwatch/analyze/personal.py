"""What recipient-specific data a message quotes: the fingerprint of a voter file.

``find_personalization(parsed)`` returns ``Personalization`` spans (field,
text, start, end, where) for the body (``ParsedMessage.body_text``) and the
subject:

* ``name``    the recipient's name, from the To display name or mailbox;
* ``email``   the recipient's own address;
* ``address`` a US street address (candidates found by pattern, confirmed by
  ``usaddress``), with unit, city, state and ZIP when they follow;
* ``phone``   a phone number (``phonenumbers``), except toll-free numbers;
* ``party``   a party affiliation statement ("registered as a Democrat");
* ``precinct``, ``voter_id``  numbers introduced as such.

Offsets are character offsets into the text named by ``where``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
import usaddress

from pollwatch.analyze.record import Personalization
from pollwatch.models import ParsedMessage
from pollwatch.rules.text import fold

MAX_TEXT = 100_000
# No valid phone number has fewer digits: 2 + 4 with a country code (Austria, Germany),
# 7 written without a plus sign (North American, as Canada's 310- numbers, or longer
# after the 011 prefix). Candidates with fewer are not parsed; a test derives both
# bounds from the phonenumbers metadata.
MIN_PHONE_DIGITS = 6
MIN_PHONE_DIGITS_WITHOUT_PLUS = 7
_NOT_NAMES = frozenset(
    [
        "info",
        "admin",
        "user",
        "users",
        "voter",
        "voters",
        "support",
        "contact",
        "mail",
        "email",
        "office",
        "team",
        "hello",
        "noreply",
        "reply",
        "abuse",
        "phishing",
        "security",
        "help",
        "desk",
        "service",
        "services",
        "news",
        "newsletter",
        "the",
        "and",
        "dear",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "madam",
        "friend",
        "member",
        "account",
        "report",
        "reports",
        "postmaster",
        "webmaster",
        "sales",
        "billing",
        "elections",
        "election",
        "county",
        "good",
        "morning",
        "afternoon",
        "evening",
        "everyone",
        "all",
        "folks",
        "friends",
        "neighbor",
        "neighbors",
        "buenos",
        "buenas",
        "dias",
        "tardes",
        "hola",
    ]
)
_GREETINGS = frozenset(
    [
        "dear",
        "hello",
        "hi",
        "hey",
        "estimado",
        "estimada",
        "querido",
        "querida",
        "hola",
        "mr",
        "mrs",
        "ms",
        "dr",
    ]
)
_NEIGHBOUR = re.compile(r"[A-ZÁÉÍÓÚÑÜ][\w'’\-]*")
_STREET_TYPES = (
    r"St|Street|Ave|Avenue|Av|Rd|Road|Dr|Drive|Ln|Lane|Ct|Court|Blvd|Boulevard|Way|Pl|Place|"
    r"Ter|Terrace|Cir|Circle|Pkwy|Parkway|Hwy|Highway|Trl|Trail|Sq|Square|Loop|Pike|Row|Run|"
    r"Path|Walk|Xing|Crossing|Cv|Cove|Pt|Point"
)
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Lot|#)\.?\s*#?\s*[0-9]{1,5}[A-Za-z]?)?"
_CITY_STATE = (
    r"(?:,\s*[A-Z][A-Za-z.'\- ]{1,30}?,?\s+"
    r"(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|"
    r"S[CD]|T[NX]|UT|V[TA]|W[AVIY]|PR|GU|VI)\b(?:\s+\d{5}(?:-\d{4})?)?)?"
)
_ADDRESS_RE = re.compile(
    r"(?<![\w-])\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+|(?:North|South|East|West)\s+)?"
    r"(?:[A-Z0-9][\w'.\-]*\s+){0,4}?(?:"
    + _STREET_TYPES
    + r")\.?(?![\w])"
    + _UNIT
    + _CITY_STATE
    + r"|(?<![\w-])\d{1,6}\s+(?:Calle|Avenida|Camino|Carretera)\s+(?:[A-Z][\w'.\-]*\s*){1,4}"
    + _UNIT
    + _CITY_STATE
    + r"|\bP\.?\s?O\.?\s+Box\s+\d{1,6}"
    + _CITY_STATE
)
_PARTY_WORDS = (
    r"Democrat|Democratic|Republican|Independent|Libertarian|Green|Unaffiliated|NPA|"
    r"No Party Affiliation|dem[oó]crata|republican[oa]|independiente|libertari[oa]|verde"
)
_PARTY_RE = re.compile(
    r"(?:registered|registrad[oa]|affiliation|afiliaci[oó]n|party|partido|record says|"
    r"record shows|registro electoral dice|you are an?|usted es|inscrit[oa])"
    r"(?:\W+(?:as|a|an|como|with|the|is|de|el|la|:)){0,3}\W+(" + _PARTY_WORDS + r")\b",
    re.IGNORECASE,
)
_PRECINCT_RE = re.compile(
    r"\b(?:precinct|precinto|pct\.?|distrito electoral)\s*(?:#|no\.?|number|n[uú]mero)?\s*:?\s*"
    r"(\d{1,4}[A-Z]?(?:-\d{1,4}[A-Z]?)?)\b",
    re.IGNORECASE,
)
_VOTER_ID_RE = re.compile(
    r"\b(?:voter\s*(?:id|identification|number|no\.?|registration\s+number|#)|"
    r"registration\s+(?:number|no\.?|#)|n[uú]mero\s+de\s+(?:votante|elector|registro)|"
    r"id\s+de\s+votante)\s*[:#]?\s*([0-9][0-9A-Z\-]{5,14})\b",
    re.IGNORECASE,
)
_CHANGE = re.compile(r"\b(?:change|switch|cambie|cambiar|camb[ií]e)\b", re.IGNORECASE)
_TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")
_SPLIT = re.compile(r"[._\-+\d]+")
_SALUTATION = re.compile(
    r"\A\s*(?:(?:dear|hello|hi|hey|estimad[oa](?:\(a\))?|querid[oa](?:\(a\))?|hola|buenos d[ií]as)"
    r"\s+)?([A-ZÁÉÍÓÚÑÜ][\w'’\-]+(?:\s+[A-ZÁÉÍÓÚÑÜ][\w'’\-]+){0,2})\s*(?:[,:!\n]|\s-)",
    re.IGNORECASE,
)


def _names(parsed: ParsedMessage) -> list[tuple[str, bool]]:
    """(candidate, is_full_name): full names first, then single name words."""
    full: list[str] = []
    words: list[str] = []
    for addr in parsed.to:
        display = re.sub(r"[\"'()]", " ", addr.display).strip()
        if "," in display:  # "Hollowmere, Travis"
            last, _, first = display.partition(",")
            display = f"{first.strip()} {last.strip()}"
        parts = [p for p in display.split() if len(p) > 1 and "@" not in p]
        if len(parts) >= 2:
            full.append(" ".join(parts))
        words.extend(parts)
        words.extend(p for p in _SPLIT.split(addr.address.split("@", 1)[0]) if len(p) >= 3)
    seen: set[str] = set()
    out: list[tuple[str, bool]] = []
    for cand, is_full in [(f, True) for f in full] + [(w, False) for w in words]:
        key = fold(cand).text
        if key in seen or (not is_full and (key in _NOT_NAMES or not key.isalpha())):
            continue
        seen.add(key)
        out.append((cand, is_full))
    return out


def _squash(text: str) -> str:
    return re.sub(r"[\W_\d]+", "", fold(text).text)


def _salutation(text: str, parsed: ParsedMessage) -> tuple[str, int, int] | None:
    """A greeting name that fits a To mailbox: contained in it, or its initial + surname."""
    m = _SALUTATION.match(text[:300])
    if m is None or not m.group(1)[:1].isupper():
        return None
    words = m.group(1).split()
    if any(_squash(w) in _NOT_NAMES for w in words):
        return None
    for addr in parsed.to:
        local = _squash(addr.address.split("@", 1)[0])
        first = _squash(words[0])
        if not local or not first:
            continue
        if _squash(m.group(1)) in local or first in local or local.startswith(first[0]):
            return "name", m.start(1), m.end(1)
    return None


class _Recipient(NamedTuple):
    """What identifies the recipient, derived once per message."""

    names: list[tuple[list[str], bool]]  # folded words of each candidate, is_full_name
    own: set[str]  # folded name words (and greetings) that are the recipient's own
    emails: set[str]  # lower-case To and Cc addresses


def _recipient(parsed: ParsedMessage) -> _Recipient:
    names = _names(parsed)
    own = {fold(w).text for cand, _ in names for w in cand.split()} | _GREETINGS
    emails = {a.address.lower() for a in (*parsed.to, *parsed.cc) if a.address}
    return _Recipient([(fold(c).text.split(), full) for c, full in names], own, emails)


def _find_names(
    text: str, parsed: ParsedMessage, recipient: _Recipient
) -> Iterator[tuple[str, int, int]]:
    greeting = _salutation(text, parsed)
    if greeting is not None:
        yield greeting
    folded = fold(text)
    for words, is_full in recipient.names:
        if not words or not all(w in folded.text for w in words):
            continue  # a match holds every word as written (no words: only empty matches)
        for m_start, m_end in _name_spans(folded.text, words):
            start, end = folded.span(m_start, m_end)
            if is_full or (
                text[start : start + 1].isupper()
                and not _other_name(text, start, end, recipient.own)
            ):
                yield "name", start, end


def _name_spans(text: str, words: list[str]) -> Iterator[tuple[int, int]]:
    r"""The spans of ``re.finditer(r"(?<!\w)w1\W{1,3}w2...(?!\w)", text)``.

    When every word after the first starts with a word character, the run of
    non-word characters before it is the only way to reach it, so the matches
    are found without compiling a pattern per name (most names). Otherwise
    the pattern is compiled.
    """
    if not all(_is_word_char(w[0]) for w in words[1:]):
        pattern = r"(?<!\w)" + r"\W{1,3}".join(re.escape(w) for w in words) + r"(?!\w)"
        yield from (m.span() for m in re.finditer(pattern, text))
        return
    pos = text.find(words[0])
    while pos >= 0:
        end = _name_end(text, pos, words)
        if end is None:
            pos = text.find(words[0], pos + 1)
        else:
            yield pos, end
            pos = text.find(words[0], end)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what ``\w`` matches in a str pattern


def _name_end(text: str, start: int, words: list[str]) -> int | None:
    """Where the words matched at ``start`` end, or None (see :func:`_name_spans`)."""
    if start > 0 and _is_word_char(text[start - 1]):
        return None
    end = start + len(words[0])
    for word in words[1:]:
        run = 0
        while run < 4 and end + run < len(text) and not _is_word_char(text[end + run]):
            run += 1
        if not 1 <= run <= 3 or not text.startswith(word, end + run):
            return None
        end += run + len(word)
    if end < len(text) and _is_word_char(text[end]):
        return None
    return end


def _other_name(text: str, start: int, end: int, own: set[str]) -> bool:
    """True when a name word sits next to a capitalised word that is not the recipient's:
    "Dana" in "Dana Greythorne" is someone else when the recipient is Dana Saltonbury."""
    after = _NEIGHBOUR.match(text, end + 1) if text[end : end + 1] == " " else None
    before = re.search(r"([A-ZÁÉÍÓÚÑÜ][\w'’\-]*) $", text[max(0, start - 40) : start])
    return any(m is not None and fold(m.group(0).strip()).text not in own for m in (after, before))


def _find_emails(text: str, recipient: _Recipient) -> Iterator[tuple[str, int, int]]:
    r"""The recipient's addresses, as ``(?<![\w.+-])ADDRESS(?![\w-])`` finds them."""
    lowered = text.lower()
    for addr in recipient.emails:
        pos = lowered.find(addr)
        while pos >= 0:
            end = pos + len(addr)
            before = lowered[pos - 1] if pos else " "
            after = lowered[end] if end < len(lowered) else " "
            if _is_word_char(before) or before in ".+-" or _is_word_char(after) or after == "-":
                pos = lowered.find(addr, pos + 1)
            else:
                yield "email", pos, end
                pos = lowered.find(addr, end)


@lru_cache(maxsize=4096)
def _is_street(candidate: str) -> bool:
    try:
        tags, kind = usaddress.tag(candidate)
    except usaddress.RepeatedLabelError:
        return True  # a parse ambiguity, but the pattern already looks like an address
    return kind in ("Street Address", "Ambiguous") and (
        "AddressNumber" in tags or "USPSBoxID" in tags
    )


def _find_addresses(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _ADDRESS_RE.finditer(text):
        candidate = m.group(0).rstrip(" ,.")
        if _is_street(candidate):
            yield "address", m.start(), m.start() + len(candidate)


class _PhoneMatcher(phonenumbers.PhoneNumberMatcher):
    """phonenumbers' matcher, not parsing candidates with too few digits to be valid.

    Letters count as digits (phonenumbers reads them as keypad digits); inner
    matches are parts of the candidate, so they have no more.
    """

    def _extract_match(self, candidate: str, offset: int) -> phonenumbers.PhoneNumberMatch | None:
        digits = sum(c.isalnum() for c in candidate)
        plus = "+" in candidate or "\uff0b" in candidate  # fullwidth plus
        if digits < (MIN_PHONE_DIGITS if plus else MIN_PHONE_DIGITS_WITHOUT_PLUS):
            return None
        return super()._extract_match(candidate, offset)


def _find_phones(text: str) -> Iterator[tuple[str, int, int]]:
    matcher = _PhoneMatcher(
        text, "US", leniency=phonenumbers.Leniency.VALID, min_candidate_length=MIN_PHONE_DIGITS
    )
    for match in matcher:
        national = str(match.number.national_number)
        if match.number.country_code == 1 and national[:3] in _TOLL_FREE:
            continue
        yield "phone", match.start, match.end


# Characters that re.IGNORECASE matches to an ASCII letter other than by str.lower()
_RE_CASE_FOLDS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})
# Per pattern, groups of lower-case words: every match holds one word of each group
_GROUPS: tuple[tuple[str, re.Pattern[str], tuple[tuple[str, ...], ...]], ...] = (
    ("party", _PARTY_RE, (
        ("registered", "registrad", "affiliation", "afiliaci", "party", "partido", "record says",
         "record shows", "registro electoral dice", "you are a", "usted es", "inscrit"),
        ("democrat", "demócrata", "republican", "independ", "libertari", "green",
         "unaffiliated", "npa", "no party affiliation", "verde"),
    )),
    ("precinct", _PRECINCT_RE, (("precinct", "precinto", "pct", "distrito electoral"),)),
    ("voter_id", _VOTER_ID_RE, (("voter", "registration", "numero", "número", "votante"),)),
)  # fmt: skip


def _case_probe(text: str) -> str:
    """``text`` lower-cased so that every re.IGNORECASE match of a lower-case word is in it."""
    if not text.isascii() and any(c in text for c in "İıſ"):
        text = text.translate(_RE_CASE_FOLDS)
    return text.lower()


def _find_groups(text: str) -> Iterator[tuple[str, int, int]]:
    probe = _case_probe(text)
    for field, regex, anchors in _GROUPS:
        if not all(any(word in probe for word in group) for group in anchors):
            continue
        for m in regex.finditer(text):
            if field == "party" and _CHANGE.search(text[max(0, m.start() - 30) : m.start() + 12]):
                continue  # "change your affiliation to ...": a demand, not the recipient's party
            yield field, m.start(1), m.end(1)


def _spans(
    text: str, parsed: ParsedMessage, recipient: _Recipient
) -> Iterable[tuple[str, int, int]]:
    yield from _find_emails(text, recipient)
    yield from _find_addresses(text)
    yield from _find_phones(text)
    yield from _find_groups(text)
    yield from _find_names(text, parsed, recipient)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _scan(
    text: str, where: str, parsed: ParsedMessage, recipient: _Recipient
) -> list[Personalization]:
    text = text[:MAX_TEXT]
    out: list[Personalization] = []
    taken: list[tuple[int, int]] = []
    for field, start, end in _spans(text, parsed, recipient):
        if start >= end or any(_overlaps((start, end), t) for t in taken):
            continue  # first claim wins, in the order of _spans
        taken.append((start, end))
        out.append(Personalization(field, text[start:end], start, end, where))
    return _merge_names(sorted(out, key=lambda p: p.start), text)


def _merge_names(items: list[Personalization], text: str) -> list[Personalization]:
    """'Heather' + 'Galloshire' separated by a space become one name span."""
    out: list[Personalization] = []
    for item in items:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.field == item.field == "name"
            and text[prev.end : item.start].strip() == ""
            and item.start - prev.end <= 2
        ):
            out[-1] = Personalization(
                "name", text[prev.start : item.end], prev.start, item.end, prev.where
            )
        else:
            out.append(item)
    return out


def find_personalization(parsed: ParsedMessage) -> tuple[Personalization, ...]:
    """Recipient-specific data quoted in the body and subject, with spans."""
    recipient = _recipient(parsed)
    body = _scan(parsed.body_text, "body", parsed, recipient)
    return (*body, *_scan(parsed.subject, "subject", parsed, recipient))
