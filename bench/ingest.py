"""Ingest throughput and peak memory on the phishing_pot dev corpus.

    python bench/ingest.py [CORPUS.tar.xz | FOLDER] [--workers 1 2]

Each configuration runs in a fresh process (so peak RSS is its own) on a new
catalogue, then again on the same catalogue (the duplicate path). Prints
messages per second and peak resident memory per run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
DEFAULT_CORPUS = CORPORA / "phishing_pot-dev.tar.xz"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.pipeline.job import IngestJob
from pollwatch.pipeline.executors import make_executor
from pollwatch.pipeline.ingest import ingest
from pollwatch.store import Catalogue

JOB = IngestJob(DEFAULT_LIMITS)
folder, db, workers = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
with Catalogue(db) as catalogue:
    start = time.perf_counter()
    summary = ingest([folder], catalogue, JOB, make_executor(workers))
    seconds = time.perf_counter() - start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "new": summary.new, "duplicate": summary.duplicate,
                  "failed": summary.failed, "peak_rss_mib": peak / 1024}))
"""


def corpus_folder(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    with tarfile.open(source) as tar:
        tar.extractall(scratch, filter="data")
    emails = next(scratch.rglob("email"), None)
    return emails if emails is not None else scratch


def run(folder: Path, db: Path, workers: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(db), str(workers)],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"corpus {args.corpus} not found")
    with tempfile.TemporaryDirectory() as scratch:
        folder = corpus_folder(args.corpus, Path(scratch) / "corpus")
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        print(f"corpus: {folder} ({files} files)")
        print(f"{'workers':>7} {'pass':>9} {'seconds':>8} {'msg/s':>8} {'peak MiB':>9}  result")
        for workers in args.workers:
            db = Path(scratch) / f"bench-{workers}.db"
            for label in ("fresh", "repeat"):
                started = time.perf_counter()
                result = run(folder, db, workers)
                rate = files / result["seconds"]
                print(f"{workers:>7} {label:>9} {result['seconds']:8.1f} {rate:8.0f} "
                      f"{result['peak_rss_mib']:9.0f}  new={result['new']:.0f} "
                      f"dup={result['duplicate']:.0f} failed={result['failed']:.0f} "
                      f"(wall {time.perf_counter() - started:.1f}s incl. start-up)")


if __name__ == "__main__":
    main()
