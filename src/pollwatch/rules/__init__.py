"""The rule engine: YAML rules (data) compiled once and evaluated per message.

Public API::

    rules = load_rules(["my-rules/"])          # built-in rules + extra folders
    findings = rules.findings(Subject(parsed))  # usually via analyze_content

See ``docs/rules.md`` for the rule format, the operators and the fields, and
``docs/categories.md`` for the closed category vocabulary.
"""

from __future__ import annotations

import pollwatch.analyze  # noqa: F401  # first: the engine builds analyze.record's Findings
from pollwatch.rules.engine import Rule, RuleSet
from pollwatch.rules.fields import FIELDS, Subject
from pollwatch.rules.loader import (
    RULES_ENV,
    RuleFileError,
    RuleProblem,
    builtin_rules_dir,
    check_rules,
    load_rules,
)
from pollwatch.rules.operators import OPERATORS
from pollwatch.rules.taxonomy import CATEGORIES, CONTENT_CATEGORIES, ELECTION_CATEGORIES, SEVERITIES

__all__ = [
    "CATEGORIES",
    "CONTENT_CATEGORIES",
    "ELECTION_CATEGORIES",
    "FIELDS",
    "OPERATORS",
    "RULES_ENV",
    "SEVERITIES",
    "Rule",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Subject",
    "builtin_rules_dir",
    "check_rules",
    "load_rules",
]
