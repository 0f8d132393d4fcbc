"""Run each rule's own test messages: every ``hit`` must fire it, every ``miss`` must not.

Test messages are written inline in the rule file (see ``docs/rules.md``);
they become a :class:`ParsedMessage` and the earlier analysis sections, and
run through the same :func:`pollwatch.analyze.content.analyze_content` as real
mail, with the whole rule set loaded (so second-pass rules see categories).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from pollwatch.analyze.record import AuthSection, PathSection, SenderSection
from pollwatch.models import Address, Header, ParsedMessage
from pollwatch.parse.headers import parse_addresses
from pollwatch.parse.html import render_html
from pollwatch.rules.engine import Rule, RuleSet, TestMessage


@dataclass(frozen=True, slots=True)
class RuleTestResult:
    rule: str
    file: str
    path: str  # JSON path of the test message
    expect: str  # "hit" | "miss"
    passed: bool
    fired: tuple[str, ...]  # rule ids that fired on the message


def _list(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]


def _address(value: object) -> Address | None:
    found = parse_addresses(value) if isinstance(value, str) else ()
    return found[0] if found else None


def build_message(data: dict[str, object]) -> ParsedMessage:
    """A :class:`ParsedMessage` from a test message's fields."""
    body = str(data.get("body", ""))
    html = str(data.get("html", ""))
    html_text, links = render_html(html) if html else ("", ())
    headers = data.get("headers") or {}
    assert isinstance(headers, dict)
    to = tuple(a for v in _list(data.get("to")) for a in parse_addresses(v))
    digest = hashlib.sha256(repr(sorted(data.items(), key=str)).encode()).hexdigest()
    return ParsedMessage(
        sha256=digest,
        size=len(body) + len(html),
        headers=tuple(Header(str(k), str(v)) for k, v in headers.items()),
        message_id=None,
        date=None,
        subject=str(data.get("subject", "")),
        from_=_address(data.get("from")),
        reply_to=tuple(a for v in _list(data.get("reply_to")) for a in parse_addresses(v)),
        to=to,
        text_body=body,
        html_body=html,
        html_text=html_text,
        urls=tuple(_list(data.get("urls"))) + tuple(links),
    )


def _sections(
    data: dict[str, object],
) -> tuple[PathSection | None, AuthSection | None, SenderSection | None]:
    def conv(key: str, kind: type[msgspec.Struct]) -> msgspec.Struct | None:
        raw = data.get(key)
        return None if raw is None else msgspec.convert(raw, kind, strict=False)

    path = conv("path", PathSection)
    auth = conv("auth", AuthSection)
    sender = conv("sender", SenderSection)
    assert path is None or isinstance(path, PathSection)
    assert auth is None or isinstance(auth, AuthSection)
    assert sender is None or isinstance(sender, SenderSection)
    return path, auth, sender


def fired_rules(message: TestMessage, rules: RuleSet) -> tuple[str, ...]:
    from pollwatch.analyze.content import analyze_content

    path, auth, sender = _sections(message.data)
    result = analyze_content(
        build_message(message.data), rules, path=path, auth=auth, sender=sender
    )
    return tuple(f.rule for f in result.findings)


def _run_one(rule: Rule, rules: RuleSet) -> Iterable[RuleTestResult]:
    for expect, messages in (("hit", rule.hit), ("miss", rule.miss)):
        for message in messages:
            fired = fired_rules(message, rules)
            passed = (rule.id in fired) == (expect == "hit")
            yield RuleTestResult(rule.id, rule.file, message.path, expect, passed, fired)


def run_rule_tests(rules: RuleSet, only: Iterable[str] = ()) -> tuple[RuleTestResult, ...]:
    wanted = set(only)
    return tuple(
        result
        for rule in rules.rules
        if not wanted or rule.id in wanted
        for result in _run_one(rule, rules)
    )
