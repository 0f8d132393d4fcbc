"""Who does a message impersonate? Protected identities, lookalikes and divergence.

A registry of protected identities (election authorities, parties, campaigns,
groups that have been impersonated) is read from YAML: the starter set in
``pollwatch/resources/identities/*.yml`` plus the user's own files
(``--identities FILE`` or the settings file, see :class:`pollwatch.config.SenderSettings`)::

    identities:
      - name: U.S. Election Assistance Commission
        aliases: [EAC, Election Assistance Commission]
        domains: [eac.gov]
        country: US
        kind: election_authority

:func:`find_impersonation` reports, each naming its target and evidence:

``display_name``         the display name names an identity; the address is not its own
``lookalike_domain``     From / Reply-To / Return-Path domain imitates an identity's
                         (``technique``: homoglyph, idn_confusable, tld_swap, typo, affix,
                         embedded)
``unauthenticated_domain`` the From domain *is* the identity's, but DMARC failed (spoofing)
``reply_to_divergence``  replies go to another organisation than the From domain
``return_path_divergence`` bounces go to another organisation (not a bulk-mail service)
``message_id_host``      the Message-ID host is unrelated to the From domain

Common first names and generic words never fire on their own: a single-word
alias must be distinctive, acronyms must appear in capitals, and edit distance
is used only on long names and domains.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, NamedTuple

import msgspec
import yaml

from pollwatch.analyze.dns import organisational_domain
from pollwatch.analyze.record import AuthSection, Impersonation
from pollwatch.errors import ConfigError
from pollwatch.models import Address, ParsedMessage
from pollwatch.parse.headers import address_domain

IdentityKind = Literal[
    "election_authority",
    "government_agency",
    "party",
    "campaign",
    "group",
    "fundraising",
    "media",
    "other",
]


class Identity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One protected identity."""

    name: str
    kind: IdentityKind
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    country: str | None = None
    note: str | None = None
    unrelated_domains: tuple[str, ...] = ()  # real, unrelated domains that must not be flagged


class IdentityFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    identities: tuple[Identity, ...]


class IdentityRegistry:
    """Protected identities with their normalised names and domains, ready to match."""

    def __init__(self, identities: Iterable[Identity]) -> None:
        self.identities: tuple[Identity, ...] = tuple(identities)
        self.lookalikes: dict[str, tuple[Identity, str, str] | None] = {}
        self.display_names: dict[str, tuple[tuple[Identity, str], ...]] = {}
        self._owner: dict[str, Identity] = {}
        for ident in self.identities:
            for domain in ident.domains:
                self._owner.setdefault(domain.lower().rstrip("."), ident)
        self.index = LookalikeIndex(self.identities)
        self.alias_matchers = tuple((i, _alias_matchers(i)) for i in self.identities)

    def __len__(self) -> int:
        return len(self.identities)

    def owner(self, domain: str) -> Identity | None:
        """The identity that owns ``domain`` (itself or a parent domain), if any."""
        name = domain.lower().rstrip(".")
        while name:
            if name in self._owner:
                return self._owner[name]
            _, _, name = name.partition(".")
        return None


def _decode_file(path: Path, text: bytes) -> tuple[Identity, ...]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return msgspec.convert(data, IdentityFile).identities
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def builtin_identity_files() -> list[Path]:
    folder = resources.files("pollwatch") / "resources" / "identities"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yml", ".yaml")))


def load_identities(paths: Sequence[Path] = (), *, builtin: bool = True) -> IdentityRegistry:
    """The starter registry (unless ``builtin=False``) extended by the user's files."""
    files = [*(builtin_identity_files() if builtin else []), *paths]
    found: list[Identity] = []
    for path in files:
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read identities ({exc.strerror or exc})") from exc
        found.extend(_decode_file(path, text))
    return IdentityRegistry(found)


# ------------------------------------------------------------------ normalising text

# Characters that look like Latin letters (Unicode confusables, the common subset)
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ɡ": "g",
    "ο": "o", "α": "a", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "ε": "e", "ɑ": "a", "ı": "i", "0": "o", "1": "l", "i": "l", "|": "l", "5": "s",
    "$": "s", "@": "a",
})  # fmt: skip
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("nn", "m"))


def skeleton(text: str) -> str:
    """A form in which look-alike spellings coincide (``eаc`` Cyrillic ``а`` -> ``eac``)."""
    out = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
    out = "".join(c for c in unicodedata.normalize("NFKD", out) if not unicodedata.combining(c))
    for seq, repl in _SEQUENCES:
        out = out.replace(seq, repl)
    return out


def _words(text: str) -> str:
    plain = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"[^\W_]+", plain))


def to_unicode(domain: str) -> str:
    labels = []
    for label in domain.lower().rstrip(".").split("."):
        labels.append(_idna_label(label) if label.startswith("xn--") else label)
    return ".".join(labels)


def _idna_label(label: str) -> str:
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that alone never identify anyone, and first names that alone never do.
GENERIC_WORDS = _wordset("""
admin alert alerts account accounts ballot ballots board campaign center citizen citizens
committee county customer department elect election elections email gov government help
info information mail member members news notice office official party people poll polls
registration secure security service services state support team the united update vote
voter voters votes voting we your
""")
COMMON_FIRST_NAMES = _wordset("""
james john robert michael william david richard joseph thomas charles christopher daniel
matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy
ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin
scott brandon benjamin samuel frank gregory raymond alexander patrick jack dennis jerry
tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan jeremy walter
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela
emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria
heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan
evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison
frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn
danielle beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori
mike joe bob tom bill jim dave chris dan matt tony steve nick rick ron ben sam max alex
""")
AFFIX_WORDS = (
    "official",
    "offical",
    "vote",
    "voter",
    "voting",
    "votes",
    "gov",
    "govt",
    "usa",
    "us",
    "secure",
    "security",
    "verify",
    "verification",
    "info",
    "support",
    "team",
    "online",
    "portal",
    "elections",
    "election",
    "ballot",
    "register",
    "registration",
    "mail",
    "help",
    "update",
    "login",
    "account",
    "service",
    "services",
    "center",
    "the",
    "real",
    "my",
    "hq",
    "news",
    "alert",
    "alerts",
    "notice",
    "dept",
    "department",
    "org",
    "inc",
    "group",
    "app",
)


def _distinctive(alias_words: str) -> bool:
    words = alias_words.split()
    if not words:
        return False
    if len(words) == 1:
        word = words[0]
        return len(word) >= 5 and word not in GENERIC_WORDS and word not in COMMON_FIRST_NAMES
    return any(w not in GENERIC_WORDS and w not in COMMON_FIRST_NAMES for w in words)


class _AliasMatcher(NamedTuple):
    """One alias, prepared: an acronym matched as written, or a phrase on skeletons."""

    alias: str
    acronym: re.Pattern[str] | None
    phrase: re.Pattern[str] | None
    skeleton: str
    limit: int  # edit distance allowed between the whole display and the alias (0: none)
    counts: Counter[str]  # of the skeleton's characters


class _Display(NamedTuple):
    text: str
    shape: str  # the skeleton of its words
    counts: Counter[str]  # of the shape's characters


def _display(text: str) -> _Display:
    shape = skeleton(_words(text))
    return _Display(text, shape, Counter(shape))


@lru_cache(maxsize=1024)
def _alias_matchers(ident: Identity) -> tuple[_AliasMatcher, ...]:
    out: list[_AliasMatcher] = []
    for alias in (ident.name, *ident.aliases):
        if alias.isupper() and len(alias) <= 5 and " " not in alias:
            acronym = re.compile(rf"(?<![A-Za-z]){re.escape(alias)}(?![A-Za-z])")
            out.append(_AliasMatcher(alias, acronym, None, "", 0, Counter()))
            continue
        alias_words = _words(alias)
        if not _distinctive(alias_words):
            continue
        shape = skeleton(alias_words)
        limit = 0
        if len(alias_words) >= 8 and " " in alias_words:
            limit = 2 if len(alias_words) >= 14 else 1
        phrase = re.compile(rf"(?:^| ){re.escape(shape)}(?: |$)")
        out.append(_AliasMatcher(alias, None, phrase, shape, limit, Counter(shape)))
    return tuple(out)


def _match_alias(display: _Display, matchers: Iterable[_AliasMatcher]) -> str | None:
    """The first alias that ``display`` names."""
    for m in matchers:
        if m.acronym is not None:
            hit = m.acronym.search(display.text) is not None
        else:
            hit = (m.phrase is not None and m.phrase.search(display.shape) is not None) or (
                m.limit > 0 and _within(display, m)
            )
        if hit:
            return m.alias
    return None


def _within(display: _Display, m: _AliasMatcher) -> bool:
    """Whether the display's shape is within ``m.limit`` edits of the alias.

    An edit changes the character counts by at most 2, so counts further apart
    than twice the limit rule the distance out without computing it.
    """
    if abs(len(display.shape) - len(m.skeleton)) > m.limit:
        return False
    ours, theirs = display.counts, m.counts
    gap = sum(abs(n - theirs[c]) for c, n in ours.items())
    gap += sum(n for c, n in theirs.items() if c not in ours)
    return gap <= 2 * m.limit and distance(display.shape, m.skeleton, m.limit) <= m.limit


def display_name_match(display: str, ident: Identity) -> str | None:
    """The alias of ``ident`` that ``display`` names, or None."""
    return _match_alias(_display(display), _alias_matchers(ident))


# ------------------------------------------------------------------ domains


def _split_suffix(domain: str) -> tuple[list[str], str]:
    """Labels left of the public suffix, and the suffix (``dos.fl.gov`` -> [dos, fl], gov)."""
    org = organisational_domain(domain)
    suffix = org.partition(".")[2] or org
    left = domain[: -len(suffix)].rstrip(".") if domain.endswith(suffix) else domain
    return [x for x in left.split(".") if x], suffix


_AFFIXES = tuple(AFFIX_WORDS)


def _strip_affixes(label: str) -> str:
    flat = label.replace("-", "").replace("_", "")
    changed = True
    while changed:
        changed = False
        if not (flat.startswith(_AFFIXES) or flat.endswith(_AFFIXES)):
            break  # no word can be stripped in this pass
        for word in AFFIX_WORDS:
            if flat.startswith(word) and len(flat) > len(word) + 2:
                flat, changed = flat[len(word) :], True
            if flat.endswith(word) and len(flat) > len(word) + 2:
                flat, changed = flat[: -len(word)], True
    return flat.strip("0123456789") or flat


class _Shape(NamedTuple):
    """The parts of a domain that :func:`lookalike` compares, computed once per domain."""

    domain: str
    labels: tuple[str, ...]  # left of the public suffix
    suffix: str
    org: str
    label: str  # the last label left of the suffix
    skeleton: str  # of ``label``
    flat: str  # the labels joined


def _shape(domain: str) -> _Shape:
    labels, suffix = _split_suffix(domain)
    label = labels[-1] if labels else ""
    org = organisational_domain(domain)
    return _Shape(domain, tuple(labels), suffix, org, label, skeleton(label), "".join(labels))


class _Candidate(NamedTuple):
    """A candidate's shape and the affix-free forms its checks compare."""

    shape: _Shape
    flat: str  # labels joined, hyphens dropped
    parts: str  # the last label's hyphen-separated parts that are not affix words
    stripped_label: str
    stripped_flat: str


def _candidate(domain: str) -> _Candidate:
    shape = _shape(to_unicode(domain))
    flat = shape.flat.replace("-", "")
    parts = "".join(x for x in shape.label.split("-") if x not in AFFIX_WORDS)
    return _Candidate(shape, flat, parts, _strip_affixes(shape.label), _strip_affixes(flat))


def lookalike(candidate: str, protected: str) -> str | None:
    """How ``candidate`` imitates the protected domain, or None."""
    return _technique(_candidate(candidate), _shape(protected))


def _technique(cand: _Candidate, prot: _Shape) -> str | None:
    c = cand.shape
    if c.domain == prot.domain or c.domain.endswith("." + prot.domain):
        return None
    if not c.labels or not prot.labels or c.org == prot.org:
        return None
    c_label, p_label, p_flat = c.label, prot.label, prot.flat
    if not c.domain.isascii() and c.skeleton == prot.skeleton:
        return "idn_confusable"
    if c_label != p_label and c.skeleton == prot.skeleton:
        return "homoglyph"
    if p_label in GENERIC_WORDS or len(p_flat) < 3:
        return None
    if c_label == p_label and c.suffix != prot.suffix:
        return "tld_swap"
    if c.domain.startswith(prot.domain + "."):
        return "embedded"
    if len(p_flat) >= 4 and cand.flat == p_flat:
        return "hyphen"
    return _affix_or_typo(cand, prot)


def _affix_or_typo(cand: _Candidate, prot: _Shape) -> str | None:
    c_label, p_label, p_flat = cand.shape.label, prot.label, prot.flat
    if len(p_label) >= 3 and "-" in c_label and cand.parts in (p_label, p_flat):
        return "affix"
    if len(p_label) >= 3 and cand.stripped_label in (p_label, p_flat) and c_label != p_label:
        return "affix"
    if len(p_flat) >= 5 and cand.flat != p_flat and cand.stripped_flat == p_flat:
        return "affix"
    if len(p_label) >= 5:
        limit = _typo_limit(p_label)
        if 0 < distance(c_label, p_label, limit) <= limit:
            return "typo"
    return None


def _typo_limit(label: str) -> int:
    return 2 if len(label) >= 10 else 1


_MAX_TYPO = 2  # the largest typo distance: see _typo_limit


def _deletions(word: str, count: int) -> set[str]:
    """``word`` with up to ``count`` characters deleted (itself included)."""
    out, frontier = {word}, {word}
    for _ in range(count):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


class _Protected(NamedTuple):
    ident: Identity
    domain: str  # as the identity lists it
    shape: _Shape


class LookalikeIndex:
    """Protected domains keyed by everything :func:`lookalike` can fire on.

    A candidate is compared only with the protected domains that share its
    label skeleton (confusable, homoglyph, TLD swap), that it starts with
    (embedded), whose label or joined labels equal one of its affix-free forms
    (hyphen, affix), or that share a deletion variant with its label (typo:
    two strings within edit distance k have a common form with at most k
    characters deleted from each). :func:`lookalike` returns None for every
    other protected domain, so the first hit in registry order is the one a
    scan of every protected domain finds.
    """

    def __init__(self, identities: Iterable[Identity]) -> None:
        self.entries: list[_Protected] = []
        self._keys: dict[tuple[str, str], list[int]] = {}
        self._typos: dict[str, list[int]] = {}  # deletion variant of a label -> entries
        for ident in identities:
            for domain in ident.domains:
                self._add(_Protected(ident, domain, _shape(domain.lower())))
        self._typo_keys = frozenset(self._typos)
        longest = max(map(len, self._typos), default=0)
        self._lengths = range(5 - _MAX_TYPO, longest + _MAX_TYPO + 1)

    def _add(self, entry: _Protected) -> None:
        shape = entry.shape
        if not shape.labels:
            return  # a bare public suffix is never imitated
        at = len(self.entries)
        self.entries.append(entry)
        keys = [
            ("skeleton", shape.skeleton),
            ("domain", shape.domain),
            ("name", shape.label),
            ("name", shape.flat),
        ]
        for key in dict.fromkeys(keys):
            self._keys.setdefault(key, []).append(at)
        if len(shape.label) >= 5:
            for variant in sorted(_deletions(shape.label, _typo_limit(shape.label))):
                self._typos.setdefault(variant, []).append(at)

    def candidates(self, cand: _Candidate) -> list[_Protected]:
        """The protected domains ``cand`` might imitate, in registry order."""
        shape = cand.shape
        found: set[int] = set()
        for key in self._probe_keys(cand):
            found.update(self._keys.get(key, ()))
        if len(shape.label) in self._lengths:
            # a label within the distance of one of 10+ characters has 8 or more
            deletions = 2 if len(shape.label) >= 10 - _MAX_TYPO else 1
            for variant in _deletions(shape.label, deletions) & self._typo_keys:
                found.update(self._typos[variant])
        return [self.entries[i] for i in sorted(found)]

    @staticmethod
    def _probe_keys(cand: _Candidate) -> Iterator[tuple[str, str]]:
        shape = cand.shape
        yield "skeleton", shape.skeleton
        dot = shape.domain.find(".")
        while dot > 0:
            yield "domain", shape.domain[:dot]
            dot = shape.domain.find(".", dot + 1)
        for form in (cand.flat, cand.parts, cand.stripped_label, cand.stripped_flat):
            yield "name", form


def find_lookalike(domain: str, registry: IdentityRegistry) -> tuple[Identity, str, str] | None:
    """(identity, its domain, technique) that ``domain`` imitates, if any.

    Remembered per registry: a campaign repeats its domains.
    """
    name = domain.lower().rstrip(".")
    if name not in registry.lookalikes:
        if len(registry.lookalikes) >= _MEMO_LIMIT:
            registry.lookalikes.clear()
        registry.lookalikes[name] = _find_lookalike(name, registry)
    return registry.lookalikes[name]


_MEMO_LIMIT = 65_536


def _find_lookalike(name: str, registry: IdentityRegistry) -> tuple[Identity, str, str] | None:
    if registry.owner(name) is not None:
        return None
    cand = _candidate(name)
    for entry in registry.index.candidates(cand):
        ident = entry.ident
        if any(name == u or name.endswith("." + u) for u in ident.unrelated_domains):
            continue
        technique = _technique(cand, entry.shape)
        if technique:
            return ident, entry.domain, technique
    return None


# ------------------------------------------------------------------ the checks


def _named_identities(display: str, registry: IdentityRegistry) -> tuple[tuple[Identity, str], ...]:
    """The identities a display name names, with the alias matched (remembered per registry)."""
    if display not in registry.display_names:
        if len(registry.display_names) >= _MEMO_LIMIT:
            registry.display_names.clear()
        named = _display(display)
        matches = ((i, _match_alias(named, m)) for i, m in registry.alias_matchers)
        registry.display_names[display] = tuple((i, a) for i, a in matches if a)
    return registry.display_names[display]


def _claims(sender: Address, registry: IdentityRegistry) -> list[Impersonation]:
    found: list[Impersonation] = []
    domain = sender.domain.lower()
    named = _named_identities(sender.display, registry) if sender.display else ()
    for ident, alias in named:
        if registry.owner(domain) is not ident and not _same_org(domain, ident):
            found.append(
                Impersonation(
                    ident.name,
                    "display_name",
                    f"display name {sender.display!r} names {alias!r}; the address "
                    f"{sender.address} is outside {', '.join(ident.domains) or 'its domains'}",
                    field="from",
                    value=sender.display,
                )
            )
    return found


def _same_org(domain: str, ident: Identity) -> bool:
    org = organisational_domain(domain) if "." in domain else domain
    return any(organisational_domain(d) == org for d in ident.domains)


def _lookalikes(
    fields: Sequence[tuple[str, str | None]], registry: IdentityRegistry
) -> list[Impersonation]:
    found: list[Impersonation] = []
    seen: set[str] = set()
    for field, domain in fields:
        if not domain or domain in seen:
            continue
        seen.add(domain)
        hit = find_lookalike(domain, registry)
        if hit:
            ident, protected, technique = hit
            found.append(
                Impersonation(
                    ident.name,
                    "lookalike_domain",
                    f"{field} domain {domain} imitates {protected} ({technique})",
                    field=field,
                    value=domain,
                    technique=technique,
                )
            )
    return found


def _spoofed(domain: str, registry: IdentityRegistry, auth: AuthSection) -> Impersonation | None:
    ident = registry.owner(domain)
    if ident is None:
        return None
    trusted = [r for r in auth.dmarc if r.trusted and r.result in ("pass", "fail")]
    if not trusted or trusted[0].result != "fail":
        return None
    verdict = trusted[0]
    how = (
        f"verified with {verdict.dns} DNS"
        if verdict.source == "verified"
        else (f"recorded by {verdict.authserv_id or 'the receiver'} in {verdict.header}")
    )
    return Impersonation(
        ident.name,
        "unauthenticated_domain",
        f"From uses {domain}, a domain of {ident.name}, but DMARC fails ({how})",
        field="from",
        value=domain,
    )


def _divergence(parsed: ParsedMessage, target: str, protected: bool) -> list[Impersonation]:
    from_domain = parsed.from_.domain.lower() if parsed.from_ else ""
    if not from_domain:
        return []
    org = organisational_domain(from_domain)
    found: list[Impersonation] = []
    for reply in parsed.reply_to:
        domain = reply.domain.lower()
        if domain and organisational_domain(domain) != org:
            found.append(
                Impersonation(
                    target,
                    "reply_to_divergence",
                    f"replies go to {reply.address} ({domain}), not {from_domain}",
                    field="reply-to",
                    value=reply.address,
                    protected=protected,
                )
            )
            break
    bounce = address_domain(parsed.return_path)
    bounce_org = organisational_domain(bounce) if bounce else None
    if bounce and bounce_org != org and bounce_org not in MAILER_ORGS:
        found.append(
            Impersonation(
                target,
                "return_path_divergence",
                f"bounces go to {bounce} (Return-Path), not {from_domain}",
                field="return-path",
                value=parsed.return_path,
                protected=protected,
            )
        )
    mid = _message_id_host(parsed, org, bounce)
    if mid:
        found.append(
            Impersonation(
                target,
                "message_id_host",
                mid,
                field="message-id",
                value=parsed.message_id,
                protected=protected,
            )
        )
    return found


# Hosts that write Message-IDs for mail sent through them on behalf of any domain.
MAILER_ORGS = frozenset({
    "gmail.com", "google.com", "outlook.com", "office365.com", "exchangelabs.com",
    "amazonses.com", "sendgrid.net", "mailgun.org", "mcsv.net", "mailchimp.com", "mandrillapp.com",
    "sparkpostmail.com", "mailjet.com", "yahoo.com", "protonmail.com", "proton.me", "zoho.com",
    "salesforce.com", "exacttarget.com", "hubspot.com", "constantcontact.com", "mailerlite.com",
})  # fmt: skip


def _message_id_host(parsed: ParsedMessage, org: str, bounce: str | None) -> str | None:
    mid = (parsed.message_id or "").strip("<>")
    if "@" not in mid:
        return None
    host = mid.rpartition("@")[2].lower().rstrip(".")
    if "." not in host:
        return f"Message-ID host {host!r} is a bare machine name, not a domain of {org}"
    host_org = organisational_domain(host)
    if host_org == org or host_org in MAILER_ORGS:
        return None
    if bounce and organisational_domain(bounce) == host_org:
        return None
    return f"Message-ID host {host} is unrelated to the From domain {org}"


def find_impersonation(
    parsed: ParsedMessage,
    identities: IdentityRegistry,
    *,
    auth: AuthSection | None = None,
) -> tuple[Impersonation, ...]:
    """Every impersonation signal in one message, each naming its target and evidence."""
    sender = parsed.from_
    if sender is None:
        return ()
    from_domain = sender.domain.lower()
    found = _claims(sender, identities)
    fields = [
        ("from", from_domain),
        *(("reply-to", r.domain.lower()) for r in parsed.reply_to),
        ("return-path", address_domain(parsed.return_path)),
    ]
    found += _lookalikes(fields, identities)
    if auth is not None:
        spoof = _spoofed(from_domain, identities, auth)
        if spoof:
            found.append(spoof)
    owner = identities.owner(from_domain) if from_domain else None
    if found:
        target, protected = found[0].target, True
    elif owner is not None:
        target, protected = owner.name, True
    else:
        target, protected = from_domain or sender.address, False
    if not _dmarc_passed(auth):  # an authenticated From domain chose where replies go
        found += _divergence(parsed, target, protected)
    return tuple(found)


def _dmarc_passed(auth: AuthSection | None) -> bool:
    trusted = [r for r in auth.dmarc if r.trusted] if auth is not None else []
    return bool(trusted) and trusted[0].result == "pass"
