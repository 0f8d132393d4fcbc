"""How well ingest finds the labelled campaigns and their waves among real background mail.

Usage::

    python scripts/campaign_eval.py [--count 5000] [--seed 7] [--workers 2]
        [--background DIR ...] [--min-ari 0.95] [--min-wave 0.9] [--keep DIR]

Generates ``--count`` labelled messages with ``pollwatch synth``, ingests them
together with real background mail (default: phishing_pot dev and the
SpamAssassin dev corpus unpacked under ``/tmp/corp``) into a fresh catalogue,
then compares the campaigns ingest formed with the labels:

* adjusted Rand index over the messages of labelled campaigns;
* labelled campaigns merged with background mail (must be none);
* wave accuracy: each predicted wave stands for the labelled wave most of its
  members belong to; a message is right when its predicted wave stands for its
  own wave (a message outside its campaign's main predicted campaign is wrong).

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from math import comb
from pathlib import Path

from pollwatch.cluster.campaigns import Campaigns
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.pipeline.executors import make_executor
from pollwatch.pipeline.ingest import ingest
from pollwatch.pipeline.job import IngestJob
from pollwatch.store import Catalogue
from pollwatch.synth import Label, SynthConfig, decode_label, generate, write_mbox

BACKGROUND = (Path("/tmp/corp/phishing_pot/email"), Path("/tmp/corp/spamassassin_public_corpus"))


def adjusted_rand_index(truth: list[str], predicted: list[str]) -> float:
    pairs = Counter(zip(truth, predicted, strict=True))
    same_both = sum(comb(n, 2) for n in pairs.values())
    same_truth = sum(comb(n, 2) for n in Counter(truth).values())
    same_predicted = sum(comb(n, 2) for n in Counter(predicted).values())
    total = comb(len(truth), 2)
    expected = same_truth * same_predicted / total if total else 0.0
    best = (same_truth + same_predicted) / 2
    return 1.0 if best == expected else (same_both - expected) / (best - expected)


def main() -> int:
    args = _arguments()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        sample, labels = Path(tmp) / "synth.mbox", Path(tmp) / "labels.jsonl"
        write_mbox(generate(SynthConfig(count=args.count, seed=args.seed)), sample, labels)
        background = [str(p) for p in args.background if p.exists()]
        print(f"synthetic: {args.count} messages (seed {args.seed}); background: "
              f"{', '.join(background) or 'none found'}")  # fmt: skip
        db = Path(tmp) / "eval.db"
        started = time.perf_counter()
        with Catalogue(db) as catalogue:
            summary = ingest([str(sample), *background], catalogue, IngestJob(DEFAULT_LIMITS),
                             make_executor(args.workers))  # fmt: skip
        print(f"ingested {summary.new} new, {summary.failed} failed in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        return _evaluate(db, str(sample), [decode_label(line) for line in labels.open("rb")], args)


def _evaluate(db: Path, sample: str, labels: list[Label], args: argparse.Namespace) -> int:
    con = sqlite3.connect(db)
    message_of = dict(con.execute(
        "SELECT item_sha256, message_sha256 FROM sightings WHERE source_path = ?", (sample,)
    ))  # fmt: skip
    campaign_of = dict(con.execute(
        "SELECT f.sha256, t.campaign FROM features f JOIN templates t USING (fingerprint)"
    ))  # fmt: skip
    synthetic = set(message_of.values())
    labelled = [(label, message_of[label.sha256]) for label in labels
                if label.campaign and label.sha256 in message_of]  # fmt: skip
    truth = [label.campaign or "" for label, _ in labelled]
    predicted = [campaign_of.get(sha, f"none:{sha}") for _, sha in labelled]
    ari = adjusted_rand_index(truth, predicted)
    merged = _merged_with_background(con, set(predicted), synthetic)
    waves = _wave_accuracy(Campaigns(con), labelled, predicted)
    print(f"labelled campaigns: {len(set(truth))}, messages: {len(labelled)}")
    print(f"adjusted Rand index: {ari:.4f} (target >= {args.min_ari})")
    print(f"predicted campaigns holding labelled mail that also hold background mail: "
          f"{len(merged)} {merged[:5]}")  # fmt: skip
    print(f"wave accuracy: {waves:.4f} (target >= {args.min_wave})")
    _print_confusion(labelled, predicted)
    return 0 if ari >= args.min_ari and not merged and waves >= args.min_wave else 1


def _merged_with_background(
    con: sqlite3.Connection, campaigns: set[str], synthetic: set[str]
) -> list[str]:
    out = []
    for campaign in sorted(campaigns):
        members = [row[0] for row in con.execute(
            "SELECT f.sha256 FROM features f JOIN templates t USING (fingerprint)"
            " WHERE t.campaign = ?", (campaign,)
        )]  # fmt: skip
        if any(sha not in synthetic for sha in members):
            out.append(campaign)
    return out


def _wave_accuracy(
    campaigns: Campaigns, labelled: list[tuple[Label, str]], predicted: list[str]
) -> float:
    by_campaign: dict[str, list[tuple[Label, str, str]]] = defaultdict(list)
    for (label, sha), campaign in zip(labelled, predicted, strict=True):
        by_campaign[label.campaign or ""].append((label, sha, campaign))
    right = 0
    for rows in by_campaign.values():
        main = Counter(c for _, _, c in rows).most_common(1)[0][0]
        if main.startswith("none:"):
            continue
        wave_of = {sha: w.wave_id for w in campaigns.get(main).waves for sha in w.members}
        true_wave = {sha: label.wave for label, sha, _ in rows}
        stands_for: dict[int, int | None] = {}
        votes: dict[int, Counter[int | None]] = defaultdict(Counter)
        for sha, wave in wave_of.items():
            if sha in true_wave:
                votes[wave][true_wave[sha]] += 1
        stands_for = {wave: counter.most_common(1)[0][0] for wave, counter in votes.items()}
        for label, sha, campaign in rows:
            if campaign == main and sha in wave_of:
                right += stands_for.get(wave_of[sha]) == label.wave
    return right / len(labelled) if labelled else 1.0


def _print_confusion(labelled: list[tuple[Label, str]], predicted: list[str]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for (label, _), campaign in zip(labelled, predicted, strict=True):
        table[label.campaign or ""][campaign] += 1
    for campaign, counts in sorted(table.items()):
        parts = ", ".join(f"{c} {n}" for c, n in counts.most_common(4))
        print(f"  {campaign:10} {sum(counts.values()):6} -> {parts}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--background", type=Path, nargs="*", default=list(BACKGROUND))
    parser.add_argument("--min-ari", type=float, default=0.95)
    parser.add_argument("--min-wave", type=float, default=0.9)
    parser.add_argument("--keep", type=Path, help="keep the sample and catalogue in this folder")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
