"""docs/rules.md documents every field and operator; docs/categories.md every category."""

from __future__ import annotations

from pathlib import Path

from pollwatch.rules import CATEGORIES, FIELDS, OPERATORS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_field_is_documented() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    missing = [f for f in [*FIELDS, "headers.<name>"] if f"`{f}`" not in text]
    assert missing == []


def test_every_operator_is_documented() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert [op for op in OPERATORS if f"`{op}`" not in text] == []


def test_every_category_and_its_rebuttal_reference_is_documented() -> None:
    text = (DOCS / "categories.md").read_text(encoding="utf-8")
    for name, category in CATEGORIES.items():
        assert f"`{name}`" in text, name
        for ref in category.references:
            assert ref.url in text, ref.url
