"""Check ``path.edge.ip`` against Microsoft's own record of the connecting address.

Usage::

    python scripts/edge_agreement.py [PATH] [--min-pct 99] [--show 5]

PATH is a folder of ``.eml`` files or a ``.tar.xz`` of one (default: the
phishing_pot dev corpus, unpacked under ``/tmp/corp`` or from
``../shared/corpora``). For every message whose Microsoft
``Authentication-Results`` says ``(sender IP is X)``, the edge pollwatch finds
must be ``X``. Prints the agreement rate and the misses grouped by cause, and
exits 1 when the rate is below ``--min-pct``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pollwatch.analyze import AnalysisContext
from pollwatch.analyze.path import analyze_path
from pollwatch.errors import ItemError
from pollwatch.models import ParsedMessage
from pollwatch.parse import parse_message

DEFAULT_DIR = Path("/tmp/corp/phishing_pot/email")
DEFAULT_ARCHIVE = Path(__file__).resolve().parents[2] / "shared/corpora/phishing_pot-dev.tar.xz"
_SENDER_IP = re.compile(r"\(sender IP is ([0-9A-Fa-f:.]+)\)", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    checked: bool
    agrees: bool = False
    cause: str = ""
    detail: str = ""


def microsoft_sender_ip(parsed: ParsedMessage) -> str | None:
    """The address in the topmost ``Authentication-Results`` that records one."""
    for value in parsed.header_all("authentication-results"):
        match = _SENDER_IP.search(value)
        if match:
            return match.group(1)
    return None


def check(parsed: ParsedMessage, context: AnalysisContext) -> Outcome:
    expected = microsoft_sender_ip(parsed)
    if expected is None:
        return Outcome(False)
    path = analyze_path(parsed, context).path
    if path.edge is not None and path.edge.ip == expected:
        return Outcome(True, True)
    return Outcome(True, False, _cause(path.edge.ip if path.edge else None, expected, parsed, path),
                   f"expected {expected}, got {path.edge.ip if path.edge else None}")


def _cause(got: str | None, expected: str, parsed: ParsedMessage, path: object) -> str:
    hops = getattr(path, "hops", ())
    ips = [h.from_ip for h in hops]
    if expected not in ips:
        return "sender IP in no Received hop"
    if got is None:
        return "no edge found"
    position = ips.index(expected)
    got_position = ips.index(got) if got in ips else -1
    if got_position > position:
        edge_by = (hops[got_position].by or "").lower()
        if not edge_by.endswith(("outlook.com", "office365.com")):
            return "forwarded out of Microsoft 365: the final receiver's edge is a later hop"
        return "edge too close to the recipient (an internal hop taken as the edge)"
    return "edge too far from the recipient (a sending-side hop trusted)"


def message_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def run(root: Path, show: int) -> float:
    context = AnalysisContext()
    total = agree = unreadable = 0
    misses: dict[str, list[str]] = defaultdict(list)
    for file in message_files(root):
        try:
            parsed = parse_message(file.read_bytes())
        except ItemError:
            unreadable += 1
            continue
        except Exception as error:  # a parser bug: report it and keep going
            print(f"parse failed: {file.name}: {error!r}", file=sys.stderr)
            unreadable += 1
            continue
        outcome = check(parsed, context)
        if not outcome.checked:
            continue
        total += 1
        agree += outcome.agrees
        if not outcome.agrees:
            misses[outcome.cause].append(f"{file.name}: {outcome.detail}")
    rate = 100.0 * agree / total if total else 0.0
    print(f"messages with Microsoft 'sender IP is': {total} (unreadable files: {unreadable})")
    print(f"path.edge.ip agrees: {agree} = {rate:.2f}%")
    counts = Counter({cause: len(items) for cause, items in misses.items()})
    for cause, count in counts.most_common():
        print(f"  miss: {cause}: {count}")
        for line in misses[cause][:show]:
            print(f"      {line}")
    return rate


def _folder(argument: Path | None, scratch: Path) -> Path:
    path = argument or (DEFAULT_DIR if DEFAULT_DIR.is_dir() else DEFAULT_ARCHIVE)
    if path.is_dir():
        return path
    if not path.is_file():
        sys.exit(f"no corpus at {path}")
    with tarfile.open(path) as tar:
        tar.extractall(scratch, filter="data")
    return scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--min-pct", type=float, default=99.0)
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rate = run(_folder(args.path, Path(scratch)), args.show)
    return 0 if rate >= args.min_pct else 1


if __name__ == "__main__":
    raise SystemExit(main())
