"""Strict rule-file decoding: every problem names the file and the JSON path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollwatch.errors import ConfigError
from pollwatch.rules import RULES_ENV, RuleFileError, check_rules, load_rules

GOOD = """\
id: local-test-rule
name: Test rule
description: A rule for tests.
category: threat.violence
severity: high
languages: [en]
match:
  all:
    - field: body
      op: phrase
      value: ["the [red|blue] door"]
    - field: subject
      op: exists
      value: true
tests:
  hit: [{subject: "x", body: "open the blue door"}]
  miss: [{subject: "x", body: "open the green door"}]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    _write(tmp_path / "rules", "r.yml", text)
    _, problems, _ = check_rules([tmp_path / "rules"], builtin=False)
    return [f"{p.path}: {p.message}" for p in problems]


def test_good_rule_loads_from_a_user_folder(tmp_path: Path) -> None:
    _write(tmp_path / "rules", "r.yml", GOOD)
    rules = load_rules([tmp_path / "rules"], builtin=False)
    assert [r.id for r in rules.rules] == ["local-test-rule"]
    assert rules.languages == {"en"}


def test_user_folder_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "env", "r.yml", GOOD)
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "env"))
    assert load_rules().get("local-test-rule") is not None


def test_unknown_operator_names_its_path(tmp_path: Path) -> None:
    text = GOOD.replace("op: exists", "op: exist")
    assert _problems(tmp_path, text)[0].startswith("$.match.all[1].op: unknown operator 'exist'")


def test_unknown_key_in_condition_names_its_path(tmp_path: Path) -> None:
    text = GOOD.replace("      op: phrase", "      op: phrase\n      flags: i")
    assert _problems(tmp_path, text) == ["$.match.all[0].flags: unknown key"]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD + "enabled: true\n") == ["$.enabled: unknown key"]


def test_problem_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "rules", "bad.yml", GOOD.replace("severity: high", "severity: dire"))
    _, problems, _ = check_rules([tmp_path / "rules"], builtin=False)
    assert problems[0].file == str(path)
    assert str(problems[0]).startswith(f"{path}: $.severity: must be one of")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("category: threat.violence", "category: threat.other", "$.category: unknown category"),
        ("field: body", "field: bodies", "$.match.all[0].field: unknown field 'bodies'"),
        (
            '["the [red|blue] door"]',
            '["the [red|blue door"]',
            "$.match.all[0].value[0]: bad phrase",
        ),
        (
            "op: exists\n      value: true",
            "op: gt\n      value: 3",
            "$.match.all[1].field: operator",
        ),
    ],
)
def test_invalid_values_are_reported(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert _problems(tmp_path, GOOD.replace(old, new))[0].startswith(expected)


def test_bad_regex_is_rejected_at_load(tmp_path: Path) -> None:
    text = GOOD.replace(
        'op: phrase\n      value: ["the [red|blue] door"]', "op: regex\n      value: ['(a']"
    )
    assert _problems(tmp_path, text)[0].startswith("$.match.all[0].value[0]: bad regex")


def test_catastrophic_regex_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace(
        'op: phrase\n      value: ["the [red|blue] door"]', "op: regex\n      value: ['(a+)+b']"
    )
    assert "nested repetition" in _problems(tmp_path, text)[0]


def test_regex_matching_empty_string_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace(
        'op: phrase\n      value: ["the [red|blue] door"]', "op: regex\n      value: ['a*']"
    )
    assert "empty string" in _problems(tmp_path, text)[0]


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    assert "duplicate key 'name'" in _problems(tmp_path, GOOD + "name: again\n")[0]


def test_missing_tests_are_an_error(tmp_path: Path) -> None:
    text = GOOD.split("tests:")[0] + "tests:\n  hit: [{body: x}]\n"
    assert _problems(tmp_path, text) == ["$.tests.miss: needs at least one message"]


def test_bad_test_section_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace(
        'miss: [{subject: "x", body: "open the green door"}]',
        "miss: [{body: x, sender: {impersonation: [{kind: 3}]}}]",
    )
    assert _problems(tmp_path, text)[0].startswith("$.tests.miss[0].sender:")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    _write(tmp_path / "rules", "a.yml", GOOD)
    _write(tmp_path / "rules", "b.yml", GOOD)
    with pytest.raises(RuleFileError) as err:
        load_rules([tmp_path / "rules"], builtin=False)
    assert "duplicate id" in str(err.value)
    assert isinstance(err.value, ConfigError) and err.value.exit_code == 3


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_rules([tmp_path / "nope"])


def test_regex_with_inline_flags_compiles_alone(tmp_path: Path) -> None:
    text = GOOD.replace(
        'op: phrase\n      value: ["the [red|blue] door"]',
        "op: regex\n      value: ['(?m)^blue', 'door']",
    )
    _write(tmp_path / "rules", "r.yml", text)
    assert load_rules([tmp_path / "rules"], builtin=False).get("local-test-rule") is not None
