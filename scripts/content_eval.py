"""Measure content rules and personalisation against labelled and real mail.

    python scripts/content_eval.py [--seed 7777] [--count 5000]
        [--ham DIR ...] [--phish DIR] [--phish-sample 100] [--show-misfires]

* Synthetic (``pollwatch synth``, a seed not used while writing rules):
  per-category precision and recall of ``analyze_content`` against the label
  categories, on the original message (attachment reports unwrapped; inline
  reports through their recovered body); ``impersonation`` is reported apart
  (it comes from sender analysis, not content). Personalisation recall per
  field, and findings on messages whose label carries no personal data.
* Real legitimate mail (SpamAssassin ham): the share of messages with any
  election category, every misfire listed.
* phishing_pot: how often ``phish.credential`` fires on a sample, and the
  sample written out for checking by hand.
* Throughput of ``analyze_content`` in messages per second.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec

from pollwatch.analyze.content import analyze_content
from pollwatch.analyze.personal import find_personalization
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.errors import ItemError
from pollwatch.intake.unwrap import unwrap_once
from pollwatch.models import ParsedMessage
from pollwatch.parse import parse_message
from pollwatch.parse.headers import parse_addresses
from pollwatch.rules import CONTENT_CATEGORIES, ELECTION_CATEGORIES, RuleSet, load_rules
from pollwatch.synth import SynthConfig, generate


def original(raw: bytes) -> ParsedMessage:
    """The reported original: attachments unwrapped, inline forwards via the recovered body."""
    parsed = parse_message(raw, DEFAULT_LIMITS)
    for _ in range(DEFAULT_LIMITS.max_forward_depth):
        unwrapped = unwrap_once(raw, parsed, DEFAULT_LIMITS)
        if unwrapped.kind == "attachment" and unwrapped.original is not None:
            raw = unwrapped.original
            parsed = parse_message(raw, DEFAULT_LIMITS)
            continue
        if unwrapped.kind == "inline" and unwrapped.recovered is not None:
            rec = unwrapped.recovered
            return msgspec.structs.replace(
                parsed,
                subject=rec.subject or "",
                text_body=rec.body,
                html_body="",
                html_text="",
                to=parse_addresses(rec.to) if rec.to else (),
                from_=(parse_addresses(rec.from_) or (None,))[0] if rec.from_ else None,
            )
        break
    return parsed


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def synthetic(rules: RuleSet, seed: int, count: int, show: int) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    pers_hit: Counter[str] = Counter()
    pers_total: Counter[str] = Counter()
    clean = clean_flagged = 0
    errors: list[str] = []
    for msg in generate(SynthConfig(count=count, seed=seed)):
        label = msg.label
        parsed = original(msg.raw)
        got = set(analyze_content(parsed, rules).categories)
        want = set(label.categories)
        for cat in (*CONTENT_CATEGORIES, "impersonation"):
            tp[cat] += cat in got and cat in want
            fp[cat] += cat in got and cat not in want
            fn[cat] += cat not in got and cat in want
            if cat in CONTENT_CATEGORIES and (cat in got) != (cat in want) and len(errors) < show:
                errors.append(
                    f"{label.index} {label.kind} {label.language} {cat} "
                    f"{'FP' if cat in got else 'FN'} | {parsed.body_text[:300]!r}"
                )
        found = [p for p in find_personalization(parsed) if p.where == "body"]
        for want_pf in label.personalization:
            pers_total[want_pf.field] += 1
            pers_hit[want_pf.field] += any(
                p.field == want_pf.field and (want_pf.text in p.text or p.text in want_pf.text)
                for p in found
            )
        if not label.personalization:
            clean += 1
            clean_flagged += bool(found)
    print(f"\n== synthetic held-out: seed {seed}, {count} messages ==")
    print(f"{'category':26} {'prec':>6} {'recall':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for cat in (*CONTENT_CATEGORIES, "impersonation"):
        p, r = _pr(tp[cat], fp[cat], fn[cat])
        note = "  (not content: from sender analysis)" if cat == "impersonation" else ""
        print(f"{cat:26} {p:6.3f} {r:6.3f} {tp[cat]:5} {fp[cat]:5} {fn[cat]:5}{note}")
    print("\npersonalisation recall (body):")
    for field in sorted(pers_total):
        print(
            f"  {field:9} {pers_hit[field] / pers_total[field]:.3f} "
            f"({pers_hit[field]}/{pers_total[field]})"
        )
    print(f"messages with no personal data: {clean}; with a personal-data finding: {clean_flagged}")
    for line in errors:
        print("  ", line)


def _files(folders: list[Path]) -> Iterator[Path]:
    for folder in folders:
        yield from sorted(
            p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("cmds")
        )


def _parse_file(path: Path) -> ParsedMessage | None:
    try:
        return parse_message(path.read_bytes(), DEFAULT_LIMITS)
    except ItemError:
        return None


def ham(rules: RuleSet, folders: list[Path]) -> None:
    total = flagged = other = 0
    misfires: list[str] = []
    started = time.perf_counter()
    for path in _files(folders):
        parsed = _parse_file(path)
        if parsed is None:
            continue
        total += 1
        result = analyze_content(parsed, rules)
        election = [f for f in result.findings if f.category in ELECTION_CATEGORIES]
        other += any(f.category not in ELECTION_CATEGORIES for f in result.findings)
        if election:
            flagged += 1
            spans = "; ".join(f"{f.rule}: {[e.text for e in f.evidence][:3]}" for f in election)
            misfires.append(f"  {path.parent.name}/{path.name}: {spans}")
    rate = flagged / total if total else 0.0
    print(f"\n== SpamAssassin ham: {total} messages, {time.perf_counter() - started:.1f}s ==")
    print(f"election-category misfires: {flagged} ({rate:.3%}); phish/extortion findings: {other}")
    print("\n".join(misfires))


def phish(rules: RuleSet, folder: Path, sample: int, out: Path | None) -> None:
    paths = sorted(folder.glob("*.eml"))
    chosen = random.Random(20201020).sample(paths, min(sample, len(paths)))
    fired = 0
    rows = []
    for path in chosen:
        parsed = _parse_file(path)
        if parsed is None:
            continue
        cats = analyze_content(parsed, rules).categories
        fired += "phish.credential" in cats
        rows.append(
            f"{path.name}\t{'phish' if 'phish.credential' in cats else '-'}\t"
            f"{parsed.subject[:80]!r}\t{parsed.body_text[:200]!r}"
        )
    print(f"\n== phishing_pot sample: {len(chosen)} messages, phish.credential on {fired} ==")
    if out is not None:
        out.write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"sample written to {out} for checking by hand")


def speed(rules: RuleSet, folder: Path, limit: int) -> None:
    parsed = [p for path in sorted(folder.glob("*.eml"))[:limit] if (p := _parse_file(path))]
    analyze_content(parsed[0], rules)  # load the language model
    started = time.perf_counter()
    for p in parsed:
        analyze_content(p, rules)
    elapsed = time.perf_counter() - started
    print(
        f"\n== speed: analyze_content on {len(parsed)} phishing_pot messages: "
        f"{len(parsed) / elapsed:,.0f} msg/s (one core, parsing excluded) =="
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=7777)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument(
        "--ham",
        type=Path,
        nargs="*",
        default=[
            Path("/tmp/corp/spamassassin_public_corpus/easy_ham"),
            Path("/tmp/corp/spamassassin_public_corpus/hard_ham"),
        ],
    )
    ap.add_argument("--phish", type=Path, default=Path("/tmp/corp/phishing_pot/email"))
    ap.add_argument("--phish-sample", type=int, default=100)
    ap.add_argument("--phish-out", type=Path, default=None)
    ap.add_argument("--show-errors", type=int, default=20)
    ap.add_argument("--skip", nargs="*", default=[], choices=["synth", "ham", "phish", "speed"])
    args = ap.parse_args(argv)
    rules = load_rules()
    if "synth" not in args.skip:
        synthetic(rules, args.seed, args.count, args.show_errors)
    ham_dirs = [d for d in args.ham if d.is_dir()]
    if "ham" not in args.skip and ham_dirs:
        ham(rules, ham_dirs)
    if args.phish.is_dir() and "phish" not in args.skip:
        phish(rules, args.phish, args.phish_sample, args.phish_out)
    if args.phish.is_dir() and "speed" not in args.skip:
        speed(rules, args.phish, 2000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
