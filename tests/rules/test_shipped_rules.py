"""The shipped rules: valid, self-tested, covering every category in English and Spanish."""

from __future__ import annotations

from pollwatch.rules import CATEGORIES, CONTENT_CATEGORIES, check_rules, load_rules
from pollwatch.rules.testing import run_rule_tests


def test_shipped_rules_are_valid() -> None:
    rules, problems, _ = check_rules()
    assert problems == ()
    assert len(rules) >= 20


def test_every_shipped_rule_passes_its_own_tests() -> None:
    failed = [r for r in run_rule_tests(load_rules()) if not r.passed]
    assert failed == []


def test_every_rule_has_a_hit_and_a_miss_and_a_reference() -> None:
    for rule in load_rules().rules:
        assert rule.hit and rule.miss, rule.id
        assert rule.references, rule.id


def test_every_content_category_has_english_and_spanish_rules() -> None:
    rules = load_rules().rules
    for category in CONTENT_CATEGORIES:
        langs = {lang for r in rules if r.category == category for lang in r.languages}
        assert {"en", "es"} <= langs, category


def test_false_claim_categories_carry_a_rebuttal_with_a_reference() -> None:
    for name in ("claim.data_access", "claim.vote_surveillance", "disinfo.procedure"):
        category = CATEGORIES[name]
        assert category.rebuttal and category.references
        for rule in load_rules().rules:
            if rule.category == name:
                assert rule.effective_rebuttal


def test_rule_files_live_in_their_category_folder() -> None:
    for rule in load_rules().rules:
        assert f"/{rule.category.replace('.', '_')}/" in rule.file, rule.file
