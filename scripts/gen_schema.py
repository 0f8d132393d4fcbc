"""Write the published JSON schema of the analysis record (``pollwatch.analysis/1``).

Usage::

    python scripts/gen_schema.py [--check]

The schema is generated from ``pollwatch.analyze.record.Analysis`` with
``msgspec.json.schema`` and written to ``docs/analysis.schema.json``.
``--check`` exits 1 when the committed file differs from the generated one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec

from pollwatch.analyze.record import SCHEMA, Analysis

TARGET = Path(__file__).resolve().parents[1] / "docs" / "analysis.schema.json"


def generate() -> str:
    schema = msgspec.json.schema(Analysis)
    schema["$id"] = f"https://pollwatch.invalid/schema/{SCHEMA}"
    schema["title"] = SCHEMA
    return msgspec.json.format(msgspec.json.encode(schema), indent=2).decode() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = generate()
    if args.check:
        same = TARGET.is_file() and TARGET.read_text() == text
        print(f"{TARGET}: {'up to date' if same else 'differs from the generated schema'}")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
