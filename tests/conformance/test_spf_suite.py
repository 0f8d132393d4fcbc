"""The OpenSPF RFC 7208 test suite, run through pollwatch's DNS adapter.

Vectors come from ``../shared/corpora/fixtures.tar.xz``
(``auth_vectors/spf_openspf_2015_via_mailauth/rfc7208-tests.yml``); the test
skips with a message when the archive is absent. Each scenario's zone data
becomes an injected :class:`DnsSource`, and every case runs through
:func:`pollwatch.analyze.auth.spf_verdict` — the same pyspf binding
(``DnsSource.pyspf_bound``) the live and snapshot modes use.

Known differences are listed in ``KNOWN`` with the reason; every other case
must give one of the results the suite allows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from pollwatch.analyze.auth import spf_verdict
from pollwatch.analyze.dns import DnsSource, txt_record
from support.corpora import corpus_folder

pytestmark = pytest.mark.corpus

SUITES = {
    "openspf-2015": "auth_vectors/spf_openspf_2015_via_mailauth/rfc7208-tests.yml",
    "pyspf": "auth_vectors/spf_pyspf/rfc7208-tests.yml",
}

# case id -> why pollwatch (pyspf 2.0.14) differs from the suite
KNOWN: dict[str, str] = {}


class _MultiLoader(yaml.SafeLoader):
    """Keeps every value of a repeated key (the suite repeats some): the later wins
    under its own name, earlier ones as ``name#2`` ..."""


def _multimap(loader: _MultiLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        name, n = key, 1
        while name in out:
            n += 1
            name = f"{key}#{n}"
        out[name] = value
    return out


_MultiLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _multimap)


def _records(entries: Sequence[Any]) -> dict[str, list[str]]:
    """One domain's zone data as presentation-format records by type."""
    out: dict[str, list[str]] = {}
    timeout = False
    for entry in entries:
        if entry == "TIMEOUT":
            timeout = True
            continue
        ((rtype, value),) = entry.items()
        if value == "TIMEOUT":
            out[rtype] = ["TIMEOUT"]
        elif value == "NONE":  # present but empty: stops the SPF-to-TXT copy
            out.setdefault(rtype, [])
        elif rtype in ("TXT", "SPF"):
            chunks = value if isinstance(value, list) else [value]
            out.setdefault(rtype, []).append(txt_record(*chunks))
        elif rtype == "MX":
            out.setdefault(rtype, []).append(f"{value[0]} {value[1] or '.'}.")
        elif rtype in ("PTR", "CNAME"):
            out.setdefault(rtype, []).append(f"{value}.")
        else:
            out.setdefault(rtype, []).append(str(value))
    if "SPF" in out and "TXT" not in out:  # the suite's drivers copy SPF to TXT
        out["TXT"] = list(out["SPF"])
    if timeout:  # a bare TIMEOUT: every question without records times out
        for rtype in ("A", "AAAA", "MX", "TXT", "PTR", "SPF", "CNAME"):
            if not out.get(rtype):
                out[rtype] = ["TIMEOUT"]
    return out


def _cases(path: Path) -> Iterator[tuple[str, dict[str, Any], DnsSource]]:
    for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_MultiLoader):
        if not doc:
            continue
        zone = {name: _records(entries or []) for name, entries in doc["zonedata"].items()}
        for name, case in doc["tests"].items():
            yield name, case, DnsSource.injected(zone)


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_openspf_rfc7208_suite_through_pollwatch_dns(suite: str, corpora_root: Path) -> None:
    passed, failures = 0, []
    for name, case, dns in _cases(corpus_folder("fixtures.tar.xz", SUITES[suite], corpora_root)):
        expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
        result, _explanation = spf_verdict(case["host"], case["mailfrom"] or "", case["helo"], dns)
        if result in expected or name in KNOWN:
            passed += 1
        else:
            failures.append(f"{name}: got {result}, suite allows {expected}")
    print(f"\n{suite} RFC 7208 suite: {passed} passed, {len(failures)} failed")
    assert failures == []
    assert passed >= 140
