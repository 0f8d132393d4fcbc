"""The ValiMail ARC validation suite, run through pollwatch's DNS adapter.

Vectors come from ``../shared/corpora/fixtures.tar.xz``
(``auth_vectors/arc_valimail/tests/arc-draft-validation-tests.yml``); the test
skips with a message when the archive is absent. Each scenario's
``txt-records`` become an injected :class:`DnsSource`, and every message goes
through :func:`pollwatch.analyze.auth.verify_arc` (dkimpy's ARC validator with
pollwatch's ``dnsfunc``).

Cases where pollwatch (dkimpy 1.1.8) differs from the suite are listed in
``KNOWN`` with the reason; every other case must give the suite's ``cv``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pollwatch.analyze.auth import verify_arc
from pollwatch.analyze.dns import DnsSource, txt_record
from support.corpora import corpus_folder

pytestmark = pytest.mark.corpus

SUITE = "auth_vectors/arc_valimail/tests/arc-draft-validation-tests.yml"

# case id -> why pollwatch differs from the suite
_TERMINATED = (
    "a seal already says cv=fail; the suite expects an empty cv (its harness's 'no result'), "
    "pollwatch reports fail with 'ARC-Seal[N] reported failure, the chain is terminated', "
    "the chain status RFC 8617 section 5.2 prescribes"
)
KNOWN: dict[str, str] = {
    "cv_fail_i1_as_cv_fail": _TERMINATED,
    "cv_fail_i2_as2_fail": _TERMINATED,
    "cv_fail_i2_as1_fail": _TERMINATED,
}


class _MultiLoader(yaml.SafeLoader):
    """Keeps every value of a repeated key: later ones as ``name#2`` ..."""


def _multimap(loader: _MultiLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        name, n = key, 1
        while name in out:
            n += 1
            name = f"{key}#{n}"
        out[name] = loader.construct_object(value_node, deep=True)
    return out


_MultiLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _multimap)


def _cases(path: Path) -> Iterator[tuple[str, str, str, DnsSource]]:
    for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_MultiLoader):
        if not doc:
            continue
        zone = {
            name: {"TXT": [txt_record(" ".join(str(value).split()))]}
            for name, value in (doc.get("txt-records") or {}).items()
        }
        for name, case in doc["tests"].items():
            expected = str(case["cv"]).strip().lower()
            yield name, str(case["message"] or ""), expected, DnsSource.injected(zone)


def test_valimail_arc_validation_suite_through_pollwatch_dns(corpora_root: Path) -> None:
    passed, known, failures = 0, 0, []
    for name, message, expected, dns in _cases(
        corpus_folder("fixtures.tar.xz", SUITE, corpora_root)
    ):
        (result,) = verify_arc(message.encode("utf-8"), dns)
        if result.result == expected:
            passed += 1
        elif name in KNOWN and result.result == "fail":
            known += 1
        else:
            failures.append(f"{name}: got {result.result} ({result.detail}), suite {expected}")
    print(
        f"\nValiMail ARC validation: {passed} passed, {known} known differences"
        f" ({', '.join(KNOWN)}), {len(failures)} failed"
    )
    print("\n".join(failures))
    assert failures == []
