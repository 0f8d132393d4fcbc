"""The published schema of pollwatch.analysis/1 is the one generated from record.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import msgspec

from pollwatch.analyze.record import SCHEMA

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("gen_schema", ROOT / "scripts" / "gen_schema.py")
assert _SPEC is not None and _SPEC.loader is not None
gen_schema = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(gen_schema)


def test_committed_schema_equals_generated() -> None:
    assert gen_schema.TARGET.read_text() == gen_schema.generate(), "run: python scripts/gen_schema.py"


def test_schema_names_the_fixed_fields() -> None:
    schema = msgspec.json.decode(gen_schema.TARGET.read_bytes())
    defs = schema["$defs"]
    assert set(defs["PathSection"]["properties"]) >= {"hops", "edge", "origin", "anomalies"}
    assert "from" in defs["MessageSection"]["properties"]
    assert schema["title"] == SCHEMA
