"""End-to-end scale benchmark: synth -> ingest (analyse + place in campaigns) -> campaigns.

Usage::

    python bench/campaigns.py [--count 1000000] [--workers 2] [--dir /tmp/pollwatch-bench]
                              [--incremental 200]

Prints wall time, messages/second and peak memory (the whole process tree,
sampled from /proc) per stage, then the time to ingest and place one new
report at a time into the full store (p50/p95 over ``--incremental`` reports
drawn from the same campaigns: the generator's messages ``count..count+N``).
Targets (issue #6): 1,000,000 messages end to end (generated, ingested,
analysed, clustered) in at most 30 minutes, at most 4 GiB peak, one new report
placed in under 100 ms at the 95th percentile. Synth and ingest use
``--workers`` processes; ``campaigns list`` builds every campaign record.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.pipeline.ingest import ingest
from pollwatch.pipeline.job import IngestJob
from pollwatch.store import Catalogue
from pollwatch.synth import SynthConfig, generate

TARGET_SECONDS = 30 * 60
TARGET_BYTES = 4 * 1024**3
TARGET_P95_MS = 100.0


class TreeMemory(threading.Thread):
    """Peak resident memory of a process and all its descendants, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, False

    def run(self) -> None:
        while not self.done:
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            time.sleep(0.5)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                continue
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _stage(name: str, command: list[str], count: int) -> tuple[float, int]:
    """Run one stage; print wall time, rate, peak memory and the cores it kept busy
    (CPU time of the process and its workers over wall time)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    memory.start()
    process.wait()
    memory.done = True
    seconds = time.perf_counter() - started
    if process.returncode:
        sys.exit(f"{name} failed with exit code {process.returncode}")
    cores = (_children_cpu() - cpu_before) / seconds
    print(f"{name:>10}: {seconds:8.1f} s  {count / seconds:8.0f} msg/s  "
          f"peak {memory.peak / 1024**2:7.0f} MiB  {cores:4.2f} cores busy")  # fmt: skip
    return seconds, memory.peak


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for descendants included
    return usage.ru_utime + usage.ru_stime


def _incremental(db: Path, count: int, extra: int, folder: Path) -> list[float]:
    """Ingest ``extra`` further reports one at a time; milliseconds each."""
    config = SynthConfig(count=count + extra, seed=1)
    paths = []
    for message in generate(config, first=count):
        path = folder / f"{message.label.index}.eml"
        path.write_bytes(message.raw)
        paths.append(path)
    times = []
    with Catalogue(db) as catalogue:
        for path in paths:
            started = time.perf_counter()
            ingest([str(path)], catalogue, IngestJob(DEFAULT_LIMITS))
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pollwatch-bench"))
    parser.add_argument("--incremental", type=int, default=200)
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    (args.dir / "new").mkdir(parents=True)
    box, db = args.dir / "corpus.mbox", args.dir / "bench.db"
    exe = [sys.executable, "-m", "pollwatch"]
    print(f"{args.count:,} messages, {args.workers} workers, in {args.dir}")
    synth_s, synth_peak = _stage("synth", [*exe, "synth", str(box), "--count", str(args.count),
                                  "--seed", "1", "--workers", str(args.workers)],
                        args.count)  # fmt: skip
    ingest_s, ingest_peak = _stage("ingest", [*exe, "ingest", str(box), "--db", str(db),
                                              "--workers", str(args.workers), "--format", "json"],
                                   args.count)  # fmt: skip
    cluster_s, cluster_peak = _stage("campaigns", [*exe, "campaigns", "list", "--db", str(db),
                                                   "--format", "jsonl"], args.count)  # fmt: skip
    total = synth_s + ingest_s + cluster_s
    peak = max(synth_peak, ingest_peak, cluster_peak)
    times = _incremental(db, args.count, args.incremental, args.dir / "new")
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)
    print(f"end to end (synth + ingest + campaigns): {total:.0f} s = {total / 60:.1f} min "
          f"({args.count / total:.0f} msg/s); without synth {ingest_s + cluster_s:.0f} s; "
          f"peak {peak / 1024**3:.2f} GiB")  # fmt: skip
    print(f"one new report (ingest, analyse, place) into the full store: p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms over {len(times)}")  # fmt: skip
    scale = 1_000_000 / args.count
    print(f"targets at 1M: {total * scale / 60:.1f} min projected (<= 30), peak "
          f"{peak / 1024**3:.2f} GiB (<= 4), p95 {p95:.0f} ms (< 100)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
