"""Measure how much of a corpus's Received lines pollwatch understands.

Usage::

    python scripts/received_coverage.py [PATH] [--show N] [--min-pct 99.5]

PATH is a directory of messages (one per file, walked recursively) or a
``.tar.xz`` / ``.tar.gz`` / ``.tar`` archive of one (extracted to a temporary
directory). The default is the SpamAssassin dev corpus. Prints the number of
messages and Received lines; the share parsed as network hops, classified
local, and unparsed; the unparsed lines grouped by shape; parse throughput
in lines per second; and any message that made the parser raise.

Exit status is 1 when parsed + local falls below ``--min-pct`` or a message
crashed, so the script can gate a corpus run.
"""

from __future__ import annotations

import argparse
import email
import re
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from email import policy
from pathlib import Path

from pollwatch.parse.received import parse_received

DEFAULT_DIR = Path("/tmp/corp/spamassassin_public_corpus")
DEFAULT_ARCHIVE = Path(__file__).resolve().parents[2] / "shared/corpora/spamassassin-dev.tar.xz"

_SHAPES = (
    (re.compile(r";[^;]*$"), "; DATE"),
    (re.compile(r"\[[^\]\s]{0,60}\]"), "[IP]"),
    (re.compile(r"<[^<>\s]{0,200}>"), "<ADDR>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "IP"),
    (re.compile(r"\b[\w-]{1,63}(?:\.[\w-]{1,63}){1,9}\.?"), "HOST"),
    (re.compile(r"\d+"), "N"),
)


def shape(line: str) -> str:
    """The line with hosts, addresses, numbers and the date replaced by placeholders."""
    text = " ".join(line.split())[:300]
    for pattern, placeholder in _SHAPES:
        text = pattern.sub(placeholder, text)
    return text[:160]


def message_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def received_lines(path: Path) -> list[str]:
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.compat32)
    return [str(value) for value in message.get_all("Received") or ()]


def run(root: Path, show: int) -> tuple[float, int]:
    """Print the report for one directory; return (covered %, crashed messages)."""
    messages = crashed = 0
    lines: list[str] = []
    for path in message_files(root):
        messages += 1
        try:
            lines.extend(received_lines(path))
        except Exception as error:  # a corpus tool: report and keep going
            crashed += 1
            print(f"read failed: {path}: {error!r}", file=sys.stderr)
    start = time.perf_counter()
    hops = []
    for line in lines:
        try:
            hops.append(parse_received(line))
        except Exception as error:
            crashed += 1
            print(f"PARSER RAISED: {error!r}: {line[:200]!r}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    total = len(hops) or 1
    local = sum(hop.is_local for hop in hops)
    parsed = sum(hop.parsed and not hop.is_local for hop in hops)
    unparsed = [hop.raw for hop in hops if not hop.parsed and not hop.is_local]
    no_date = sum(hop.timestamp is None for hop in hops)
    covered = 100.0 * (parsed + local) / total
    print(f"corpus:          {root}")
    print(f"messages:        {messages}")
    print(f"received lines:  {len(hops)}")
    print(f"parsed network:  {100.0 * parsed / total:.2f}%")
    print(f"local:           {100.0 * local / total:.2f}%")
    print(f"unparsed:        {100.0 * len(unparsed) / total:.2f}%  ({len(unparsed)} lines)")
    print(f"covered:         {covered:.2f}%")
    print(f"no timestamp:    {100.0 * no_date / total:.2f}%")
    print(f"local reasons:   {dict(Counter(h.local_reason for h in hops if h.is_local))}")
    print(f"throughput:      {len(hops) / max(elapsed, 1e-9):,.0f} lines/s")
    print(f"crashed:         {crashed}")
    shapes = Counter(shape(line) for line in unparsed)
    for text, count in shapes.most_common(show):
        print(f"  {count:6d}  {text}")
    return covered, crashed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--show", type=int, default=30, help="unparsed shapes to print")
    parser.add_argument("--min-pct", type=float, default=99.5)
    args = parser.parse_args(argv)
    path: Path = args.path or (DEFAULT_DIR if DEFAULT_DIR.is_dir() else DEFAULT_ARCHIVE)
    if path.is_dir():
        covered, crashed = run(path, args.show)
    else:
        with tempfile.TemporaryDirectory(prefix="received-coverage-") as tmp:
            with tarfile.open(path) as archive:
                archive.extractall(tmp, filter="data")
            covered, crashed = run(Path(tmp), args.show)
    return 0 if covered >= args.min_pct and not crashed else 1


if __name__ == "__main__":
    sys.exit(main())
