"""Path analysis against independent truth: Microsoft's recorded sender IP on real
mail (phishing_pot), the labels of synthetic mail, and no crash on SpamAssassin."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pollwatch.analyze import AnalysisContext
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.intake.containers import RawItem
from pollwatch.models import SourceRef
from pollwatch.parse import parse_message
from pollwatch.pipeline.analyze import analyze_item
from pollwatch.synth import SynthConfig, generate
from support.corpora import corpus_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from edge_agreement import check

pytestmark = pytest.mark.corpus


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_edge_matches_microsoft_sender_ip_in_99_percent(corpora_root: Path) -> None:
    folder = corpus_folder("phishing_pot-dev.tar.xz", "phishing_pot/email", corpora_root)
    context = AnalysisContext()
    checked = agreed = 0
    for file in _files(folder):
        try:
            parsed = parse_message(file.read_bytes())
        except Exception:  # parse failures are the parser's tests' business
            continue
        outcome = check(parsed, context)
        checked += outcome.checked
        agreed += outcome.agrees
    assert checked > 6000
    assert agreed / checked >= 0.99, f"{agreed}/{checked}"


def test_no_spamassassin_message_crashes_the_analysis(corpora_root: Path) -> None:
    folder = corpus_folder("spamassassin-dev.tar.xz", "spamassassin_public_corpus", corpora_root)
    context = AnalysisContext()
    internal = []
    for file in _files(folder):
        record = analyze_item(RawItem(file.read_bytes(), SourceRef(str(file), "eml")),
                              context, DEFAULT_LIMITS)  # fmt: skip
        internal.extend(e for e in record.errors if e.startswith("internal.error"))
    assert internal == []


def test_synthetic_edge_accuracy_is_at_least_99_percent() -> None:
    context = AnalysisContext()
    total = edges = origins = 0
    for message in generate(SynthConfig(count=2000, seed=11)):
        label = message.label
        record = analyze_item(RawItem(message.raw, SourceRef("synth", "mbox")), context,
                              DEFAULT_LIMITS)  # fmt: skip
        if label.report_kind == "inline":
            assert record.path.edge is None and not record.report.headers_available
            continue
        total += 1
        edges += record.path.edge is not None and record.path.edge.ip == label.edge_ip
        origins += record.path.origin is not None and record.path.origin.ip == label.origin_ip
    assert edges / total >= 0.99
    assert origins / total >= 0.9
