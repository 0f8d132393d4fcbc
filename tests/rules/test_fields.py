"""The field resolver over the parsed message and hand-built earlier sections."""

from __future__ import annotations

from pathlib import Path

from pollwatch.analyze.content import analyze_content
from pollwatch.analyze.record import (
    AuthResult,
    AuthSection,
    Edge,
    Impersonation,
    PathSection,
    SenderSection,
)
from pollwatch.rules import FIELDS, Subject, load_rules
from pollwatch.rules.testing import build_message

RULE = """\
id: {id}
name: n
description: d
category: {category}
severity: medium
match:
{match}
tests:
  hit: [{{body: x}}]
  miss: [{{body: y}}]
"""


def _rules(tmp_path: Path, **rules: tuple[str, str]) -> object:
    folder = tmp_path / "r"
    folder.mkdir()
    for rule_id, (category, match) in rules.items():
        (folder / f"{rule_id}.yml").write_text(
            RULE.format(id=rule_id, category=category, match=match), encoding="utf-8"
        )
    return load_rules([folder], builtin=False)


def test_missing_sections_resolve_to_absent() -> None:
    subject = Subject(build_message({"body": "hello"}))
    for name in ("path.edge.country", "auth.dmarc.result", "sender.impersonation.kind"):
        assert subject.values(name) == ()


def test_every_field_resolves_on_a_bare_message() -> None:
    subject = Subject(build_message({"body": "hello"}))
    for name in FIELDS:
        assert isinstance(subject.values(name), tuple)


def test_message_fields() -> None:
    parsed = build_message({
        "subject": "Hi", "from": "Ann <ann@mail.example.org>", "to": "Bob <bob@x.example>",
        "body": "see https://Evil.Example.com/login", "headers": {"X-Mailer": "PHPMailer 6.1"},
        "urls": ["https://Evil.Example.com/login"],
    })  # fmt: skip
    s = Subject(parsed)
    assert s.values("from.domain") == ("mail.example.org",)
    assert s.values("to.display") == ("Bob",)
    assert s.values("urls.domain") == ("evil.example.com",)
    assert s.values("urls.count") == (1.0,)
    assert s.values("headers.x-mailer") == ("PHPMailer 6.1",)


def test_rules_over_hand_built_sections(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        edge=("impersonation", "  field: path.edge.country\n  op: in\n  value: [EE, SA, AE, SG]"),
        dmarc=("impersonation", "  field: auth.dmarc.result\n  op: equals\n  value: fail"),
        asn=("impersonation", "  field: path.edge.asn\n  op: gte\n  value: 5000"),
        imp=(
            "impersonation",
            "  field: sender.impersonation.kind\n  op: in\n  value: [lookalike_domain]",
        ),
    )
    path = PathSection(edge=Edge("5.38.20.209", "AE", 5384, "Etisalat", None, None, 3))
    auth = AuthSection(dmarc=(AuthResult("FAIL", "officialproudboys.com"),))
    sender = SenderSection(impersonation=(Impersonation("Proud Boys", "lookalike_domain", "x"),))
    parsed = build_message({"body": "x"})
    result = analyze_content(parsed, rules, path=path, auth=auth, sender=sender)  # type: ignore[arg-type]
    assert sorted(f.rule for f in result.findings) == ["asn", "dmarc", "edge", "imp"]
    edge = next(f for f in result.findings if f.rule == "edge")
    assert edge.evidence[0].field == "path.edge.country" and edge.evidence[0].text == "AE"
    bare = analyze_content(parsed, rules)  # type: ignore[arg-type]
    assert bare.findings == ()


def test_categories_field_runs_in_a_second_pass(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        base=("threat.violence", "  field: body\n  op: phrase\n  value: [come after you]"),
        combo=("intimidation.voter", "  all:\n    - field: categories\n      op: in\n"
               "      value: [threat.violence]\n    - field: body\n      op: phrase\n"
               "      value: [vote]"),
    )  # fmt: skip
    parsed = build_message({"body": "vote or we will come after you"})
    result = analyze_content(parsed, rules)  # type: ignore[arg-type]
    assert result.categories == ("intimidation.voter", "threat.violence")
    assert analyze_content(build_message({"body": "vote"}), rules).findings == ()  # type: ignore[arg-type]


def test_not_and_any_min(tmp_path: Path) -> None:
    match = ("  any:\n    - {field: body, op: phrase, value: [alpha]}\n"
             "    - {field: body, op: phrase, value: [beta]}\n"
             "    - not: {field: body, op: phrase, value: [gamma]}\n  min: 2")  # fmt: skip
    rules = _rules(tmp_path, mmm=("extortion", match))
    fired = [analyze_content(build_message({"body": b}), rules).categories  # type: ignore[arg-type]
             for b in ("alpha", "alpha beta gamma", "alpha gamma")]  # fmt: skip
    assert fired == [("extortion",), ("extortion",), ()]
