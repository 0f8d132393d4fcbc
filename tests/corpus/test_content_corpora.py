"""Content rules on real mail (skipped when ../shared/corpora is absent).

* SpamAssassin ham: at most 0.5% of messages get an election category.
* phishing_pot: messages with a classic credential lure fire phish.credential.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pollwatch.analyze.content import analyze_content
from pollwatch.errors import ItemError
from pollwatch.parse import parse_message
from pollwatch.rules import ELECTION_CATEGORIES, load_rules
from support.corpora import corpus_folder

pytestmark = pytest.mark.corpus


def test_ham_rarely_gets_an_election_category(corpora_root: Path) -> None:
    root = corpus_folder("spamassassin-dev.tar.xz", "spamassassin_public_corpus", corpora_root)
    rules = load_rules()
    total = flagged = 0
    misfires = []
    for folder in ("easy_ham", "hard_ham"):
        for path in sorted((root / folder).iterdir()):
            try:
                parsed = parse_message(path.read_bytes())
            except ItemError:
                continue
            total += 1
            cats = set(analyze_content(parsed, rules).categories) & set(ELECTION_CATEGORIES)
            if cats:
                flagged += 1
                misfires.append((path.name, sorted(cats)))
    assert total > 1000
    assert flagged / total <= 0.005, misfires


def test_phishing_pot_credential_lures(corpora_root: Path) -> None:
    root = corpus_folder("phishing_pot-dev.tar.xz", ".", corpora_root)
    rules = load_rules()
    lures = fired = 0
    for path in sorted(root.rglob("*.eml"))[:3000]:
        try:
            parsed = parse_message(path.read_bytes())
        except ItemError:
            continue
        text = f"{parsed.subject} {parsed.body_text}".lower()
        if "password" in text and ("expire" in text or "verify" in text) and parsed.urls:
            lures += 1
            fired += "phish.credential" in analyze_content(parsed, rules).categories
    if lures == 0:
        pytest.skip("no password lures in this corpus sample")
    assert fired / lures > 0.5
