"""The campaign graph: templates (distinct masked texts) joined by links, kept in SQLite.

A campaign is a connected component. Links are recorded when they join two
campaigns; a template is not compared again with templates already in its own
campaign, so every stored link explains a join. Whether two templates are linked depends
only on the two templates (their signatures, keys and categories), never on
the order they arrived in, so the same messages in any order give the same
campaigns. :meth:`CampaignGraph.add` places one message: it joins its template
(or creates it), looks for links from anything new about that template, and
merges the campaigns it links. Nothing is re-clustered.

Link rules (see docs/campaigns.md):

* ``template``: shingle similarity >= 0.8; or >= 0.5 when the templates share an
  identity key; or >= 0.65 when they share an infrastructure key or the edge's
  ASN (``asn:`` is only this weak evidence: it is never looked up on its own);
* a shared *identity* key (sender address, sender organisation, reply-to, URL
  host, wallet, display name) when the vocabularies overlap (>= 0.2) or the
  claims do (category Jaccard >= 0.5);
* a shared *infrastructure* key (edge /24, Message-ID host pattern, mailer,
  sending script, HTML skeleton) when the vocabularies overlap (>= 0.35);
* ``phrase``: a shared long sentence when both make claims and the claims
  overlap (category Jaccard >= 0.5): waves composed from one sentence pool;
* ``text``: the same masked text (display name, subject and body) under
  another sender address, always.

A template has one claimed sender or none (it is part of the fingerprint).
Templates whose claimed senders differ (spoofing the recipient's own address
counts as one sender), unless both addresses belong to one organisation's
domain (never a mailbox provider's), are never linked except through ``text``: two groups
using one provider, one pool of reply-to mailboxes or similar wording stay two
campaigns, while a campaign that rotates senders under one text is found whole.
Spoofing the recipient's own address is never a link by itself.
An ASN or a mailbox provider's domain never links by itself: all Gmail-sent mail
shares one of each. Every key link needs related wording or claims as well.
Merged campaigns keep the id of the one created in the earliest run (then the
smaller id); the other id is kept as an alias.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from pollwatch.cluster.features import PERMUTATIONS, SELF_SENDER, MessageFeatures, similarity

BANDS = 16
ROWS = PERMUTATIONS // BANDS
NEAR_DUPLICATE = 0.8
TEMPLATE_WITH_IDENTITY = 0.5
TEMPLATE_WITH_INFRASTRUCTURE = 0.65
IDENTITY_VOCABULARY = 0.2
IDENTITY_CLAIMS = 0.5
INFRASTRUCTURE_VOCABULARY = 0.35
IDENTITY_KINDS = frozenset({"from", "org", "reply", "url", "wallet", "display"})
CONTENT_KINDS = frozenset({"text", "phrase"})  # never "shared infrastructure" evidence
WEAK_KINDS = frozenset({"asn"})  # support a near-duplicate link; never looked up alone
PHRASE_CLAIMS = 0.5
CANDIDATES_PER_BUCKET = 32
CANDIDATES_PER_KEY = 64


@dataclass
class Template:
    fingerprint: int
    campaign: str
    shingles: bytes
    vocabulary: bytes
    categories: frozenset[str]


class CampaignGraph:
    """Incremental campaign assignment over an open catalogue connection (one writer)."""

    def __init__(
        self, db: sqlite3.Connection, run_id: int, cache: TemplateCache | None = None
    ) -> None:
        self.db = db
        self.run_id = run_id
        self.touched: set[str] = set()
        self.cache = TemplateCache() if cache is None else cache

    def add(self, features: MessageFeatures) -> str:
        """Record one message and return the id of its campaign."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO features (sha256, fingerprint, arrival, recipient, sender,"
            " display, subject, edge_ip, edge_country, edge_asn, edge_org, origin_country,"
            " mailer, report, state, categories, slots, indicators)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _feature_row(features),
        )
        if not cursor.rowcount:  # placed by an earlier run
            return self._campaign_of(features.fingerprint)
        template = self._template(features.fingerprint)
        if template is None:
            template = self._create(features)
            new_keys = self._store_keys(template.fingerprint, features.keys)
            self._link_similar(template)  # after its keys: sender conflicts need them
            grown = set(features.categories)
        else:
            self._grow(template, features)
            new_keys = self._store_keys(template.fingerprint, features.keys)
            grown = set(features.categories) - template.categories
            template.categories |= grown
        keys = self._keys_of(template.fingerprint) if grown else new_keys
        self._link_keys(template, keys)
        self.touched.add(template.campaign)
        return template.campaign

    # -- templates ---------------------------------------------------------------

    def _template(self, fingerprint: int) -> Template | None:
        row = self.db.execute(
            "SELECT fingerprint, campaign, shingles, vocabulary, categories FROM templates"
            " WHERE fingerprint = ?",
            (fingerprint,),
        ).fetchone()
        return _template(row) if row else None

    def _create(self, f: MessageFeatures) -> Template:
        campaign = campaign_id(f.fingerprint)
        self.db.execute(
            "INSERT INTO campaigns (id, created_run, created_at, size) VALUES (?,?,?,0)",
            (campaign, self.run_id, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        self.db.execute(
            "INSERT INTO templates (fingerprint, campaign, size, first_arrival, words, subject,"
            " body, language, shingles, vocabulary, categories) VALUES (?,?,1,?,?,?,?,?,?,?,?)",
            (f.fingerprint, campaign, f.arrival, f.words, f.subject, f.body, f.language,
             f.shingles, f.vocabulary, _json(sorted(f.categories))),
        )  # fmt: skip
        self.db.execute("UPDATE campaigns SET size = size + 1, dirty = 1 WHERE id = ?", (campaign,))
        if f.shingles:
            self.db.executemany(
                "INSERT OR IGNORE INTO template_bands VALUES (?, ?)",
                ((band, f.fingerprint) for band in band_keys(f.shingles)),
            )
        return Template(f.fingerprint, campaign, f.shingles, f.vocabulary,
                        frozenset(f.categories))  # fmt: skip

    def _grow(self, template: Template, f: MessageFeatures) -> None:
        categories = template.categories | set(f.categories)
        self.db.execute(
            "UPDATE templates SET size = size + 1, categories = ?,"
            " first_arrival = min(coalesce(first_arrival, ?), coalesce(?, first_arrival))"
            " WHERE fingerprint = ?",
            (_json(sorted(categories)), f.arrival, f.arrival, template.fingerprint),
        )
        self.db.execute(
            "UPDATE campaigns SET size = size + 1, dirty = 1 WHERE id ="
            " (SELECT campaign FROM templates WHERE fingerprint = ?)",
            (template.fingerprint,),
        )

    def _store_keys(self, fingerprint: int, keys: Iterable[str]) -> list[str]:
        """Store the template's keys; the ones it did not have before."""
        stored = self.cache.stored_keys(fingerprint)
        new = []
        for key in keys:
            if key in stored:
                continue
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO template_keys VALUES (?, ?)", (key, fingerprint)
            )
            stored.add(key)
            if cursor.rowcount:
                new.append(key)
        return new

    def _keys_of(self, fingerprint: int) -> list[str]:
        rows = self.db.execute(
            "SELECT key FROM template_keys WHERE fingerprint = ? ORDER BY key", (fingerprint,)
        )
        return [row[0] for row in rows]

    # -- links -------------------------------------------------------------------

    def _link_similar(self, template: Template) -> None:
        if not template.shingles:
            return
        found: set[int] = set()
        for band in band_keys(template.shingles):
            rows = self.db.execute(
                "SELECT fingerprint FROM template_bands WHERE band = ? AND fingerprint != ?"
                " ORDER BY fingerprint LIMIT ?",
                (band, template.fingerprint, CANDIDATES_PER_BUCKET),
            )
            found.update(row[0] for row in rows)
        for other in self._templates(sorted(found)):
            if other.campaign == template.campaign:
                continue  # already joined: a link would change nothing
            score = similarity(template.shingles, other.shingles)
            if score < TEMPLATE_WITH_IDENTITY:
                continue
            if self._conflict(template, other):
                continue
            if score >= NEAR_DUPLICATE or (
                score >= TEMPLATE_WITH_IDENTITY and self._shared(template, other) == "identity"
            ) or (
                score >= TEMPLATE_WITH_INFRASTRUCTURE
                and self._shared(template, other) is not None
            ):
                self._join(template, other, "template", "", score)

    def _link_keys(self, template: Template, keys: Sequence[str]) -> None:
        for key in keys:
            kind, value = key.split(":", 1)
            if key == SELF_SENDER or kind in WEAK_KINDS:
                continue
            rows = self.db.execute(
                "SELECT k.fingerprint FROM template_keys k JOIN templates t USING (fingerprint)"
                " WHERE k.key = ? AND t.campaign != ? ORDER BY k.fingerprint LIMIT ?",
                (key, template.campaign, CANDIDATES_PER_KEY),
            )
            for other in self._templates([row[0] for row in rows]):
                if other.campaign == template.campaign:
                    continue  # already joined: a link would change nothing
                if kind != "text" and self._conflict(template, other):
                    continue
                score = _key_score(kind, template, other)
                if score is not None:
                    self._join(template, other, kind, "" if kind == "text" else value, score)

    def _shared(self, a: Template, b: Template) -> str | None:
        """"identity" or "infrastructure" when the templates share a key of that kind."""
        rows = self.db.execute(
            "SELECT x.key FROM template_keys x JOIN template_keys y ON x.key = y.key"
            " WHERE x.fingerprint = ? AND y.fingerprint = ?",
            (a.fingerprint, b.fingerprint),
        ).fetchall()
        kinds = {row[0].split(":", 1)[0] for row in rows if row[0] != SELF_SENDER}
        kinds -= CONTENT_KINDS
        if kinds & IDENTITY_KINDS:
            return "identity"
        return "infrastructure" if kinds else None

    def _conflict(self, a: Template, b: Template) -> bool:
        """Both claim a sender, the addresses differ and so do their organisations."""
        first, second = self._senders(a.fingerprint), self._senders(b.fingerprint)
        return bool(first) and bool(second) and not first & second

    def _senders(self, fingerprint: int) -> frozenset[str]:
        """The template's ``from:`` key and its ``org:`` key, if any (none: no sender)."""
        known = self.cache.senders(fingerprint)
        if known is not None:
            return known
        rows = self.db.execute(
            "SELECT key FROM template_keys WHERE fingerprint = ? AND ((key >= 'from:'"
            " AND key < 'from;') OR (key >= 'org:' AND key < 'org;'))",
            (fingerprint,),
        )
        found = frozenset(row[0] for row in rows)
        self.cache.put_senders(fingerprint, found)
        return found

    def _templates(self, fingerprints: Sequence[int]) -> list[Template]:
        out: list[Template] = []
        for start in range(0, len(fingerprints), 500):
            chunk = fingerprints[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT fingerprint, campaign, shingles, vocabulary, categories FROM templates"
                f" WHERE fingerprint IN ({marks}) ORDER BY fingerprint",
                chunk,
            )
            out.extend(_template(row) for row in rows)
        return out

    def _join(self, a: Template, b: Template, kind: str, value: str, score: float) -> None:
        low, high = sorted((a.fingerprint, b.fingerprint))
        self.db.execute(
            "INSERT OR IGNORE INTO template_links VALUES (?,?,?,?,?)",
            (low, high, kind, value, round(score, 4)),
        )
        other = self._campaign_of(b.fingerprint)  # ``b`` may have moved since it was read
        if a.campaign != other:
            a.campaign = self._merge(a.campaign, other)

    def _campaign_of(self, fingerprint: int) -> str:
        row = self.db.execute(
            "SELECT campaign FROM templates WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return str(row[0])

    def _merge(self, first: str, second: str) -> str:
        """Merge two campaigns; returns the survivor's id."""
        ranked = self.db.execute(
            "SELECT id FROM campaigns WHERE id IN (?, ?) ORDER BY created_run, id", (first, second)
        ).fetchall()
        survivor, loser = ranked[0][0], ranked[1][0]
        self.db.execute("UPDATE templates SET campaign = ? WHERE campaign = ?", (survivor, loser))
        size = self.db.execute("SELECT size FROM campaigns WHERE id = ?", (loser,)).fetchone()[0]
        self.db.execute(
            "UPDATE campaigns SET size = size + ?, dirty = 1 WHERE id = ?", (size, survivor)
        )
        self.db.execute(
            "UPDATE campaigns SET merged_into = ?, size = 0, record = NULL"
            " WHERE id = ? OR merged_into = ?",
            (survivor, loser, loser),
        )
        self.touched.discard(loser)
        self.touched.add(survivor)
        return str(survivor)


class TemplateCache:
    """What the graph knows of stored templates, kept between batches: each
    template's sender keys and the keys already stored for it. The claimed
    sender is part of a template's fingerprint and its sender keys are derived
    from it alone; keys are only ever added. The catalogue clears the cache
    when a transaction rolls back. It spares most of the statements of placing
    a message in a known template (a key insert per key)."""

    LIMIT = 200_000  # templates remembered before starting afresh

    def __init__(self) -> None:
        self._senders: dict[int, frozenset[str]] = {}
        self._stored: dict[int, set[str]] = {}

    def senders(self, fingerprint: int) -> frozenset[str] | None:
        return self._senders.get(fingerprint)

    def put_senders(self, fingerprint: int, keys: frozenset[str]) -> None:
        if len(self._senders) >= self.LIMIT:
            self._senders.clear()
        self._senders[fingerprint] = keys

    def stored_keys(self, fingerprint: int) -> set[str]:
        """The keys known to be stored for ``fingerprint`` (add to it as they are)."""
        known = self._stored.get(fingerprint)
        if known is None:
            if len(self._stored) >= self.LIMIT:
                self._stored.clear()
            known = self._stored[fingerprint] = set()
        return known

    def clear(self) -> None:
        self._senders.clear()
        self._stored.clear()


def campaign_id(fingerprint: int) -> str:
    return f"C-{fingerprint:016x}"


def band_keys(signature: bytes) -> list[int]:
    """One 63-bit bucket key per band of ``ROWS`` signature values."""
    values = array("I", signature)
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "big")).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)
    return keys


def _key_score(kind: str, a: Template, b: Template) -> float | None:
    """The evidence for a link through a shared key, or None when it is not enough."""
    if kind == "text":
        return 1.0
    if kind == "phrase":
        claims = _jaccard(a.categories, b.categories)
        return claims if claims >= PHRASE_CLAIMS else None
    words = similarity(a.vocabulary, b.vocabulary)
    if kind in IDENTITY_KINDS:
        claims = _jaccard(a.categories, b.categories)
        if words >= IDENTITY_VOCABULARY or claims >= IDENTITY_CLAIMS:
            return max(words, claims)
        return None
    return words if words >= INFRASTRUCTURE_VOCABULARY else None


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _template(row: tuple[Any, ...]) -> Template:
    fingerprint, campaign, shingles, vocabulary, categories = row
    return Template(
        int(fingerprint), str(campaign), bytes(shingles), bytes(vocabulary),
        frozenset(msgspec.json.decode(categories)),
    )  # fmt: skip


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _feature_row(f: MessageFeatures) -> tuple[object, ...]:
    return (
        f.sha256, f.fingerprint, f.arrival, f.recipient, f.sender, f.display, f.subject,
        f.edge_ip, f.edge_country, f.edge_asn, f.edge_org, f.origin_country, f.mailer,
        f.report, f.state, _json(f.categories), _json(f.slots), _json(f.indicators),
    )  # fmt: skip
