"""Path-analysis throughput against mail-parser and eml_parser, on the same files, in one run.

Usage::

    python bench/analyze.py [PATH] [--limit N]

PATH is a folder of messages (default: the phishing_pot dev corpus under
``/tmp/corp``). Every file is read into memory first; then each contender
runs over all of them, timed, with its peak traced memory:

* ``pollwatch path``: header block parse + Received chain + trust boundary,
  edge, origin, geolocation, anomalies and sender signatures, from raw bytes;
* ``pollwatch analyze_message``: the full record (whole MIME parse included);
* ``mail-parser``: ``mailparser.parse_from_bytes`` (parse alone);
* ``eml_parser``: ``EmlParser().decode_email_bytes`` (parse alone).

Prints messages/second, peak memory and each one's ratio to mail-parser.
Needs the ``bench`` extra (``mail-parser``, ``eml-parser``).
"""

from __future__ import annotations

import argparse
import contextlib
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from pollwatch.analyze import AnalysisContext, analyze_message
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.path import analyze_path
from pollwatch.analyze.record import ReportSection
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.models import SourceRef
from pollwatch.parse import parse_message
from pollwatch.pipeline.analyze import parse_headers

DEFAULT = Path("/tmp/corp/phishing_pot/email")


def _contenders(context: AnalysisContext) -> dict[str, Callable[[bytes], object]]:
    import eml_parser
    import mailparser  # type: ignore[import-untyped]

    source = SourceRef("bench", "eml")

    def path(raw: bytes) -> object:
        return analyze_path(parse_headers(raw, DEFAULT_LIMITS, decode_words=False), context)

    def full(raw: bytes) -> object:
        return analyze_message(parse_message(raw), context, source, ReportSection())

    def mail_parser(raw: bytes) -> object:
        return mailparser.parse_from_bytes(raw)

    def eml(raw: bytes) -> object:
        return eml_parser.EmlParser().decode_email_bytes(raw)

    return {"pollwatch path": path, "pollwatch analyze_message": full,
            "mail-parser": mail_parser, "eml_parser": eml}  # fmt: skip


def measure(
    contenders: dict[str, Callable[[bytes], object]], raws: list[bytes], chunk: int = 250
) -> dict[str, tuple[float, float, int]]:
    """Messages per second, peak traced MiB and failures of each contender.

    Contenders take turns over chunks of the files, so a change in machine
    load during the run falls on all of them alike.
    """
    seconds = dict.fromkeys(contenders, 0.0)
    failures = dict.fromkeys(contenders, 0)
    for start in range(0, len(raws), chunk):
        part = raws[start : start + chunk]
        for name, run in contenders.items():
            began = time.perf_counter()
            failures[name] += _run_all(run, part)
            seconds[name] += time.perf_counter() - began
    return {
        name: (len(raws) / seconds[name], _peak(run, raws[:500]), failures[name])
        for name, run in contenders.items()
    }


def _run_all(run: Callable[[bytes], object], raws: list[bytes]) -> int:
    failed = 0
    for raw in raws:
        try:
            run(raw)
        except Exception:  # a contender failing on a message is counted, not fatal
            failed += 1
    return failed


def _peak(run: Callable[[bytes], object], raws: list[bytes]) -> float:
    tracemalloc.start()
    for raw in raws:
        with contextlib.suppress(Exception):
            run(raw)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    files = sorted(p for p in args.path.rglob("*") if p.is_file())
    raws = [p.read_bytes() for p in files[: args.limit or None]]
    context = AnalysisContext(geo=open_resolver())
    context.geo.lookup("8.8.8.8")  # load the bundled data outside the timing
    results = measure(_contenders(context), raws)
    base = results["mail-parser"][0]
    print(f"{len(raws)} messages from {args.path}")
    print(f"{'contender':28} {'msg/s':>9} {'x mail-parser':>14} {'peak MiB':>9} {'failed':>7}")
    for name, (rate, peak, failed) in results.items():
        print(f"{name:28} {rate:9.0f} {rate / base:14.2f} {peak:9.1f} {failed:7d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
