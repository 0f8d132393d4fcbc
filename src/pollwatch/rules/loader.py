"""Reading rule files: strict decoding, validation and compilation.

Every problem names the file and the JSON path inside it, e.g.
``threat/x.yml: $.match.all[2].op: unknown operator 'phrse'``. Unknown keys,
duplicate keys, unknown fields, categories, severities and operators are
errors; regular expressions and phrases are compiled here, once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import msgspec
import yaml

from pollwatch.analyze.record import AuthSection, PathSection, SenderSection
from pollwatch.errors import ConfigError
from pollwatch.rules.engine import (
    All,
    Any,
    Cond,
    Node,
    Not,
    Rule,
    RuleSet,
    TestMessage,
    node_fields,
)
from pollwatch.rules.fields import field_spec
from pollwatch.rules.operators import OPERATORS, OperatorError
from pollwatch.rules.taxonomy import CATEGORIES, SEVERITIES, Reference

RULES_ENV = "POLLWATCH_RULES"  # extra rule folders, separated by os.pathsep
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,80}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
REQUIRED = ("id", "name", "description", "category", "severity", "match")
OPTIONAL = ("references", "rebuttal", "languages", "tests")
MESSAGE_KEYS = frozenset(
    {"subject", "body", "html", "from", "to", "reply_to", "headers", "urls", "attachments",
     "path", "auth", "sender", "note"}
)  # fmt: skip
SECTIONS: dict[str, type[msgspec.Struct]] = {
    "path": PathSection,
    "auth": AuthSection,
    "sender": SenderSection,
}


@dataclass(frozen=True, slots=True)
class RuleProblem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class RuleFileError(ConfigError):
    """One or more rule files are invalid; ``problems`` lists each."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:50])
        super().__init__(f"{len(self.problems)} problem(s) in rule files:\n  {shown}")


class _ProblemError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return dict(loader.construct_mapping(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("pollwatch") / "resources" / "rules"))


def env_rule_dirs() -> tuple[Path, ...]:
    raw = os.environ.get(RULES_ENV, "")
    return tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())


def rule_files(folders: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if folder.is_file():
            files.append(folder)
            continue
        if not folder.is_dir():
            raise ConfigError(f"rule folder not found: {folder}")
        files.extend(sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml")))
    return files


def _expect(value: object, kind: type | tuple[type, ...], path: str, what: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _ProblemError(path, f"must be {what}")


def _text(doc: dict[str, object], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _ProblemError(f"$.{key}", "must be a non-empty string")
    return value.strip()


def _node(raw: object, path: str, depth: int = 0) -> Node:
    if depth > 20:
        raise _ProblemError(path, "match tree nested too deep")
    _expect(raw, dict, path, "a mapping with all, any, not or field/op/value")
    assert isinstance(raw, dict)
    for key in ("all", "any"):
        if key in raw:
            return _group(raw, key, path, depth)
    if "not" in raw:
        _only(raw, {"not"}, path)
        return Not(_node(raw["not"], f"{path}.not", depth + 1))
    return _cond(raw, path)


def _only(raw: dict[str, object], allowed: set[str], path: str) -> None:
    for key in raw:
        if key not in allowed:
            raise _ProblemError(f"{path}.{key}", "unknown key")


def _group(raw: dict[str, object], key: str, path: str, depth: int) -> Node:
    _only(raw, {key, "min"} if key == "any" else {key}, path)
    items = raw[key]
    if not isinstance(items, list) or not items:
        raise _ProblemError(f"{path}.{key}", "must be a non-empty list")
    children = tuple(_node(c, f"{path}.{key}[{i}]", depth + 1) for i, c in enumerate(items))
    if key == "all":
        return All(children)
    least = raw.get("min", 1)
    if not isinstance(least, int) or isinstance(least, bool) or not 1 <= least <= len(children):
        raise _ProblemError(f"{path}.min", f"must be an integer from 1 to {len(children)}")
    return Any(children, least)


def _cond(raw: dict[str, object], path: str) -> Cond:
    _only(raw, {"field", "op", "value"}, path)
    for key in ("field", "op", "value"):
        if key not in raw:
            raise _ProblemError(path, f"missing key {key!r}")
    fields = raw["field"] if isinstance(raw["field"], list) else [raw["field"]]
    op = raw["op"]
    if not isinstance(op, str) or op not in OPERATORS:
        raise _ProblemError(f"{path}.op", f"unknown operator {op!r}; one of {', '.join(OPERATORS)}")
    for i, name in enumerate(fields):
        fpath = f"{path}.field" + (f"[{i}]" if isinstance(raw["field"], list) else "")
        spec = field_spec(name) if isinstance(name, str) else None
        if spec is None:
            raise _ProblemError(fpath, f"unknown field {name!r} (see docs/rules.md)")
        if spec.kind not in OPERATORS[op].kinds:
            raise _ProblemError(fpath, f"operator {op!r} does not apply to {spec.kind} {name!r}")
    try:
        matcher = OPERATORS[op].compile(raw["value"])
    except OperatorError as exc:
        raise _ProblemError(f"{path}.value{exc.path}", str(exc)) from exc
    return Cond(tuple(str(f) for f in fields), op, matcher)


def _references(raw: object) -> tuple[Reference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _ProblemError("$.references", "must be a list of {title, url}")
    out: list[Reference] = []
    for i, item in enumerate(raw):
        try:
            ref = msgspec.convert(item, Reference)
        except msgspec.ValidationError as exc:
            raise _ProblemError(f"$.references[{i}]", str(exc)) from exc
        if not ref.url.startswith(("https://", "http://")):
            raise _ProblemError(f"$.references[{i}].url", "must be an http(s) URL")
        out.append(ref)
    return tuple(out)


def _languages(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and LANG_RE.match(x) for x in raw):
        raise _ProblemError("$.languages", "must be a list of ISO 639-1 codes like [en, es]")
    return tuple(raw)


def _message(raw: object, path: str) -> TestMessage:
    if not isinstance(raw, dict):
        raise _ProblemError(path, "a test message must be a mapping")
    for key, value in raw.items():
        if key not in MESSAGE_KEYS:
            raise _ProblemError(
                f"{path}.{key}", f"unknown key; one of {', '.join(sorted(MESSAGE_KEYS))}"
            )
        if key in SECTIONS:
            try:
                msgspec.convert(value, SECTIONS[key], strict=False)
            except msgspec.ValidationError as exc:
                raise _ProblemError(f"{path}.{key}", str(exc)) from exc
        elif key == "headers":
            _expect(value, dict, f"{path}.headers", "a mapping of header name to value")
        elif key in ("urls", "attachments", "to"):
            if not isinstance(value, list | str):
                raise _ProblemError(f"{path}.{key}", "must be a string or a list of strings")
        elif not isinstance(value, str):
            raise _ProblemError(f"{path}.{key}", "must be a string")
    if not ({"subject", "body", "html", "sender", "from"} & set(raw)):
        raise _ProblemError(path, "a test message needs a subject, body, html, from or sender")
    return TestMessage(dict(raw), path)


def _tests(raw: object) -> tuple[tuple[TestMessage, ...], tuple[TestMessage, ...]]:
    if not isinstance(raw, dict):
        raise _ProblemError("$.tests", "must be a mapping with hit and miss lists")
    _only(raw, {"hit", "miss"}, "$.tests")
    out: list[tuple[TestMessage, ...]] = []
    for key in ("hit", "miss"):
        items = raw.get(key)
        if not isinstance(items, list) or not items:
            raise _ProblemError(f"$.tests.{key}", "needs at least one message")
        out.append(tuple(_message(m, f"$.tests.{key}[{i}]") for i, m in enumerate(items)))
    return out[0], out[1]


def _rule(doc: object, file: str) -> Rule:
    if not isinstance(doc, dict):
        raise _ProblemError("$", "a rule file holds one mapping")
    for key in doc:
        if key not in REQUIRED and key not in OPTIONAL:
            raise _ProblemError(f"$.{key}", "unknown key")
    for key in REQUIRED:
        if key not in doc:
            raise _ProblemError("$", f"missing key {key!r}")
    rule_id = _text(doc, "id")
    if not ID_RE.match(rule_id):
        raise _ProblemError("$.id", "must be lower case letters, digits, '.', '-' or '_'")
    category, severity = _text(doc, "category"), _text(doc, "severity")
    if category not in CATEGORIES:
        raise _ProblemError(
            "$.category", f"unknown category {category!r}; one of {', '.join(CATEGORIES)}"
        )
    if severity not in SEVERITIES:
        raise _ProblemError("$.severity", f"must be one of {', '.join(SEVERITIES)}")
    rebuttal = doc.get("rebuttal")
    if rebuttal is not None and (not isinstance(rebuttal, str) or not rebuttal.strip()):
        raise _ProblemError("$.rebuttal", "must be a non-empty string")
    match = _node(doc["match"], "$.match")
    hit, miss = _tests(doc.get("tests"))
    return Rule(
        id=rule_id, name=_text(doc, "name"), description=_text(doc, "description"),
        category=category, severity=severity, match=match, file=file,
        references=_references(doc.get("references")),
        rebuttal=rebuttal.strip() if isinstance(rebuttal, str) else None,
        languages=_languages(doc.get("languages")), hit=hit, miss=miss,
        second_pass="categories" in node_fields(match),
    )  # fmt: skip


def _read(path: Path) -> tuple[Rule | None, RuleProblem | None]:
    name = str(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
        return _rule(doc, name), None
    except _ProblemError as exc:
        return None, RuleProblem(name, exc.path, exc.message)
    except yaml.YAMLError as exc:
        return None, RuleProblem(name, "$", f"YAML: {exc}".replace("\n", " "))
    except (OSError, UnicodeDecodeError) as exc:
        return None, RuleProblem(name, "$", f"cannot read: {exc}")


def check_rules(
    folders: Iterable[str | Path] = (), *, builtin: bool = True
) -> tuple[tuple[Rule, ...], tuple[RuleProblem, ...], tuple[str, ...]]:
    """Read and validate every rule file; never raises on a bad file."""
    dirs = ([builtin_rules_dir()] if builtin else []) + [Path(f) for f in folders]
    dirs += list(env_rule_dirs())
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    seen: dict[str, str] = {}
    for path in rule_files(dirs):
        rule, problem = _read(path)
        if problem is not None:
            problems.append(problem)
        elif rule is not None:
            if rule.id in seen:
                problems.append(
                    RuleProblem(rule.file, "$.id", f"duplicate id, also in {seen[rule.id]}")
                )
                continue
            seen[rule.id] = rule.file
            rules.append(rule)
    return tuple(rules), tuple(problems), tuple(str(d) for d in dirs)


def load_rules(folders: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """The built-in rules, plus rules in ``folders`` and ``$POLLWATCH_RULES``.

    Raises :class:`RuleFileError` (a ``ConfigError``, exit 3) listing every problem.
    """
    rules, problems, dirs = check_rules(folders, builtin=builtin)
    if problems:
        raise RuleFileError(problems)
    return RuleSet(tuple(sorted(rules, key=lambda r: (r.category, r.id))), dirs)
