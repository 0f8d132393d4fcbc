"""The whole analysis record, end to end, on labelled synthetic mail."""

from __future__ import annotations

from functools import cache

import pytest

from pollwatch.analyze import AnalysisContext
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.record import Analysis
from pollwatch.config import DEFAULT_LIMITS
from pollwatch.intake.containers import RawItem
from pollwatch.models import SourceRef
from pollwatch.pipeline.analyze import analyze_item
from pollwatch.synth import Label, SynthConfig, generate


@cache
def _records() -> tuple[tuple[Label, Analysis], ...]:
    context = AnalysisContext(geo=open_resolver())
    pairs = []
    for message in generate(SynthConfig(count=150, seed=31)):
        item = RawItem(message.raw, SourceRef("synth", "eml", str(message.label.index)))
        pairs.append((message.label, analyze_item(item, context, DEFAULT_LIMITS)))
    return tuple(pairs)


def test_every_record_has_no_errors_and_the_contract_schema() -> None:
    for _label, record in _records():
        assert record.schema == "pollwatch.analysis/1"
        assert not [e for e in record.errors if not e.startswith("content.language")]


@pytest.mark.parametrize("provider", ["gmail", "yahoo", "comcast", "m365", "university"])
def test_receivers_recorded_verdicts_are_trusted_at_every_provider(provider: str) -> None:
    seen = 0
    for label, record in _records():
        if label.provider != provider or label.report_kind == "inline":
            continue
        seen += 1
        assert any(r.trusted for r in record.auth.dmarc), (label.index, record.auth.dmarc)
        assert record.path.edge is not None and record.path.edge.ip == label.edge_ip
    assert seen > 0


def test_inline_reports_analyse_the_recovered_original() -> None:
    inline = [(label, r) for label, r in _records() if label.report_kind == "inline"]
    assert inline
    for label, record in inline:
        assert record.path.hops == () and not record.report.headers_available
        assert record.message.from_ is not None
        assert record.message.from_.address == label.sender.rsplit("<", 1)[-1].strip(">")


def test_content_categories_cover_the_labelled_ones() -> None:
    for label, record in _records():
        expected = set(label.categories) - {"impersonation"}
        assert expected <= set(record.categories), (label.index, label.kind)


def test_legitimate_election_mail_raises_no_election_category() -> None:
    election = {"threat.violence", "intimidation.voter", "claim.data_access",
                "claim.vote_surveillance", "disinfo.procedure", "impersonation"}
    for label, record in _records():
        if label.kind in ("legit_election", "fundraising", "newsletter"):
            assert not election & set(record.categories), (label.index, record.categories)
