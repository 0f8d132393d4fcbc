"""Compiled rules and their evaluation over one message.

A rule's ``match`` tree compiles to nodes: ``All``, ``Any`` (with ``min``),
``Not`` and ``Cond``. Evaluating a node gives the hits that made it true, or
``None``. Hits under a ``not`` never become evidence. Rules that read the
``categories`` field run in a second pass, after the categories of the first
pass are known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pollwatch.analyze.record import Evidence, Finding
from pollwatch.rules.fields import Subject
from pollwatch.rules.operators import Hit, Matcher, TextMatcher
from pollwatch.rules.taxonomy import CATEGORIES, SEVERITIES, Reference
from pollwatch.rules.text import PhraseSet

MAX_EVIDENCE = 12


@dataclass(frozen=True, slots=True)
class Cond:
    fields: tuple[str, ...]
    op: str
    matcher: Matcher

    def eval(self, subject: Subject) -> list[Hit] | None:
        hits: list[Hit] = []
        for name in self.fields:
            hits.extend(self.matcher(subject, name))
        return hits or None


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]

    def eval(self, subject: Subject) -> list[Hit] | None:
        hits: list[Hit] = []
        for child in self.children:
            got = child.eval(subject)
            if got is None:
                return None
            hits.extend(got)
        return hits


@dataclass(frozen=True, slots=True)
class Any:
    children: tuple[Node, ...]
    min: int = 1

    def eval(self, subject: Subject) -> list[Hit] | None:
        hits: list[Hit] = []
        matched = 0
        for child in self.children:
            got = child.eval(subject)
            if got is not None:
                matched += 1
                hits.extend(got)
        return hits if matched >= self.min else None


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def eval(self, subject: Subject) -> list[Hit] | None:
        return None if self.child.eval(subject) is not None else []


Node = Cond | All | Any | Not
# A condition a node cannot be true without: its fields, and the phrase sets it needs
Gate = tuple[tuple[str, ...], tuple[PhraseSet, ...]]


def node_gates(node: Node) -> list[Gate]:
    """The text conditions ``node`` needs, each with the phrase sets it cannot match without."""
    if isinstance(node, Cond):
        needs = node.matcher.needs if isinstance(node.matcher, TextMatcher) else ()
        return [(node.fields, needs)] if needs else []
    if isinstance(node, All):
        return [gate for child in node.children for gate in node_gates(child)]
    return []


def _closed(subject: Subject, gate: Gate) -> bool:
    """True when, in every text value of the gate's fields, a needed phrase set cannot match."""
    fields, needs = gate
    for name in fields:
        for i, value in enumerate(subject.values(name)):
            if isinstance(value, str):
                folded = subject.folded(name, i)
                if all(phrases.possible(folded) for phrases in needs):
                    return False
    return True


def node_fields(node: Node) -> set[str]:
    if isinstance(node, Cond):
        return set(node.fields)
    if isinstance(node, Not):
        return node_fields(node.child)
    out: set[str] = set()
    for child in node.children:
        out |= node_fields(child)
    return out


@dataclass(frozen=True, slots=True)
class TestMessage:
    """A rule's own test message, as written in its ``tests`` block."""

    data: dict[str, object]
    path: str  # JSON path inside the rule file, for messages


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    description: str
    category: str
    severity: str
    match: Node
    file: str
    references: tuple[Reference, ...] = ()
    rebuttal: str | None = None
    languages: tuple[str, ...] = ()
    hit: tuple[TestMessage, ...] = ()
    miss: tuple[TestMessage, ...] = ()
    second_pass: bool = False

    @property
    def effective_rebuttal(self) -> str | None:
        return self.rebuttal or CATEGORIES[self.category].rebuttal

    def evaluate(self, subject: Subject) -> Finding | None:
        hits = self.match.eval(subject)
        if hits is None:
            return None
        return Finding(
            rule=self.id,
            category=self.category,
            severity=self.severity,
            title=self.name,
            evidence=_evidence(subject, hits),
            rebuttal=self.effective_rebuttal,
        )


def _evidence(subject: Subject, hits: Iterable[Hit]) -> tuple[Evidence, ...]:
    out: dict[tuple[str, int, int], Evidence] = {}
    for hit in hits:
        if hit.index < 0:
            continue
        values = subject.values(hit.field)
        name = hit.field if len(values) == 1 else f"{hit.field}[{hit.index}]"
        folded = subject.folded(hit.field, hit.index)
        start, end = folded.span(hit.start, hit.end)
        key = (name, start, end)
        if key not in out:
            out[key] = Evidence(name, start, end, folded.original[start:end])
        if len(out) >= MAX_EVIDENCE:
            break
    return tuple(sorted(out.values(), key=lambda e: (e.field, e.start)))


@dataclass(frozen=True)
class RuleSet:
    """Rules loaded and compiled once; evaluate many messages with ``findings``."""

    rules: tuple[Rule, ...]
    folders: tuple[str, ...] = ()
    _by_id: dict[str, Rule] = field(default_factory=dict, repr=False, compare=False)
    _gates: list[list[Gate]] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({r.id: r for r in self.rules})
        self._gates.extend(node_gates(r.match) for r in self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for r in self.rules for lang in r.languages)

    def findings(self, subject: Subject) -> tuple[Finding, ...]:
        first = self._pass(subject, second=False)
        subject.categories = tuple(sorted({f.category for f in first}))
        return tuple(sorted(first + self._pass(subject, second=True), key=_finding_order))

    def _pass(self, subject: Subject, *, second: bool) -> list[Finding]:
        found: list[Finding] = []
        for rule, gates in zip(self.rules, self._gates, strict=True):
            if rule.second_pass != second or any(_closed(subject, g) for g in gates):
                continue  # a closed gate: the rule cannot match (cheaper than evaluating it)
            finding = rule.evaluate(subject)
            if finding is not None:
                found.append(finding)
        return found


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return (-SEVERITIES.index(finding.severity), finding.category, finding.rule)
