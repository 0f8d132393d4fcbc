"""Where one message's ingest CPU goes, stage by stage, in one process.

Usage::

    python bench/ingest_stages.py [--count 3000] [--seed 1]

Generates ``--count`` synthetic messages in memory, then times, per message:
the worker's stages (unwrap and MIME parse, analysis, cluster features,
record encoding) and the driver's (storing the batch: rows, blobs, campaign
placement; SQLite statements counted). Then the analysis split by stage
(cProfile cumulative shares), the multipart-boundary shim against the stock
``email.feedparser``, and zlib levels for the stored record. The figures in
docs/campaigns.md ("Where the time goes") and docs/ingest.md come from here.
"""

from __future__ import annotations

import argparse
import cProfile
import email.feedparser
import pstats
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import cast

import msgspec

from pollwatch.analyze import analyze_message, original_view
from pollwatch.analyze.record import Analysis
from pollwatch.cluster.features import MessageFeatures, message_features
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.intake import iter_items
from pollwatch.intake.unwrap import Peeled, peel_reports
from pollwatch.models import SourceRef
from pollwatch.pipeline.executors import Executor
from pollwatch.pipeline.ingest import Outcome, ingest, process_item
from pollwatch.pipeline.job import (
    RECORD_COMPRESSION,
    AnalysisSpec,
    IngestJob,
    context_for,
    encode_analysis,
    report_section,
)
from pollwatch.store import Catalogue
from pollwatch.synth import SynthConfig, SynthMessage, generate, write_mbox

SOURCE = SourceRef("bench.mbox", "mbox", "#0")
ANALYSIS_PARTS = {  # cProfile function names: the analysis stages
    "content rules": "findings",
    "language": "detect_language",
    "personal data": "find_personalization",
    "delivery path": "analyze_path",
    "authentication": "analyze_auth",
}


def _per_message(label: str, seconds: float, count: int) -> None:
    print(f"  {label:<28} {seconds * 1000 / count:7.3f} ms/msg")


def _timed(fn: Callable[[], object]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def analyse(peeled: Peeled) -> Analysis:
    assert peeled.parsed is not None
    report = report_section(peeled.forward)
    return analyze_message(peeled.parsed, context_for(AnalysisSpec()), SOURCE, report, peeled.raw)


def features_of(peeled: Peeled, analysis: Analysis) -> MessageFeatures:
    assert peeled.parsed is not None
    return message_features(original_view(peeled.parsed, report_section(peeled.forward)), analysis)


def worker_stages(raws: list[bytes]) -> list[Peeled]:
    peeled: list[Peeled] = []
    analyses: list[Analysis] = []
    unwrap = _timed(lambda: peeled.extend(peel_reports(r, DEFAULT_LIMITS) for r in raws))
    analysis = _timed(lambda: analyses.extend(analyse(p) for p in peeled))
    features = _timed(lambda: [features_of(p, a) for p, a in zip(peeled, analyses, strict=True)])
    encode = _timed(lambda: [encode_analysis(a) for a in analyses])
    print("worker, per message (CPU):")
    stages = {"unwrap + MIME parse": unwrap, "analysis": analysis, "cluster features": features,
              "record encoding": encode}  # fmt: skip
    for label, seconds in stages.items():
        _per_message(label, seconds, len(raws))
    _per_message("worker total", unwrap + analysis + features + encode, len(raws))
    return peeled


class Replay:
    """An executor that hands the driver outcomes computed beforehand, in order,
    while still consuming its input: only the driver's own work is timed."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes

    def map(self, fn: object, items: Iterable[object], params: object) -> Iterator[Outcome]:
        for _, outcome in zip(items, self.outcomes, strict=True):
            yield outcome


def driver_stage(messages: list[SynthMessage]) -> None:
    """``ingest`` itself (mbox reading, known-item checks, rows, blobs, placement)."""
    job = IngestJob(DEFAULT_LIMITS)
    statements = 0

    def count(_: str) -> None:
        nonlocal statements
        statements += 1

    with tempfile.TemporaryDirectory() as folder:
        box = Path(folder) / "bench.mbox"
        write_mbox(messages, box, Path(folder) / "labels.jsonl")
        outcomes = [process_item(item, job) for item in iter_items([str(box)], DEFAULT_LIMITS)]
        replay = cast(Executor, Replay(outcomes))  # yields Outcome, whatever fn is
        with Catalogue(Path(folder) / "bench.db") as catalogue:
            catalogue.db.set_trace_callback(count)
            seconds = _timed(lambda: ingest([str(box)], catalogue, job, replay))
    print("driver, per message (CPU):")
    _per_message("read, store, place", seconds, len(messages))
    print(f"  {'SQLite statements':<28} {statements / len(messages):7.1f} per message")


def analysis_split(peeled: list[Peeled]) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for p in peeled:
        analyse(p)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative = {func[2]: entry[3] for func, entry in stats.items()}
    total = cumulative["analyze_message"]
    print("analysis, share of its time (cProfile):")
    for label, name in ANALYSIS_PARTS.items():
        print(f"  {label:<28} {cumulative.get(name, 0.0) / total:7.0%}")


def boundary_shim(raws: list[bytes]) -> None:
    namespace = vars(email.feedparser)
    shim = namespace["re"]
    timings = {}
    for label, module in (("stock re.compile", re), ("boundary shim", shim)) * 2:
        namespace["re"] = module
        timings[label] = _timed(lambda: [peel_reports(r, DEFAULT_LIMITS) for r in raws])
    namespace["re"] = shim
    print("unwrap + MIME parse, per message (CPU, second of two rounds):")
    for label, seconds in timings.items():
        _per_message(label, seconds, len(raws))


def record_compression(peeled: list[Peeled]) -> None:
    records = [msgspec.json.encode(analyse(p)) for p in peeled]
    print("analysis record compression:")
    for level in (6, RECORD_COMPRESSION):
        size = 0

        def squeeze(level: int = level) -> None:
            nonlocal size
            size = sum(len(zlib.compress(r, level)) for r in records)

        seconds = _timed(squeeze)
        json_size = sum(map(len, records)) / len(records)
        print(f"  zlib level {level}: {seconds * 1000 / len(records):.3f} ms/record, "
              f"{size / len(records):,.0f} bytes (JSON {json_size:,.0f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    messages = list(generate(SynthConfig(count=args.count, seed=args.seed)))
    raws = [m.raw for m in messages]
    analyse(peel_reports(raws[0], DEFAULT_LIMITS))  # load models and rules outside the timings
    print(f"{len(raws):,} synthetic messages (seed {args.seed})")
    peeled = worker_stages(raws)
    driver_stage(messages)
    analysis_split(peeled)
    boundary_shim(raws)
    record_compression(peeled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
