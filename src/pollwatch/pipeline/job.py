"""What an ingest worker is asked to do: limits, and how to analyse what it stores.

:class:`IngestJob` travels to every worker process (it is picklable); each
process builds its :class:`~pollwatch.analyze.AnalysisContext` once from the
job's :class:`AnalysisSpec` (geo data, rules and identities are loaded once).
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path

import msgspec

from pollwatch.analyze import AnalysisContext, analyze_message, original_view
from pollwatch.analyze.dns import DnsSource
from pollwatch.analyze.geo import open_resolver
from pollwatch.analyze.record import Analysis, ReportSection
from pollwatch.analyze.sender import load_identities
from pollwatch.cluster.features import MessageFeatures, message_features
from pollwatch.config import DEFAULT_SETTINGS, Limits, Settings
from pollwatch.intake.unwrap import Unwrapped
from pollwatch.models import ParsedMessage, SourceRef
from pollwatch.rules import load_rules

RECORD_COMPRESSION = 1  # zlib level: 1.5x faster than 6 on analysis JSON, 8% larger


class AnalysisSpec(msgspec.Struct, frozen=True):
    """How stored messages are analysed. DNS is ``offline`` (recorded verdicts only)
    or ``replay`` of a snapshot file: both are safe to share between workers."""

    settings: Settings = DEFAULT_SETTINGS
    mmdb: tuple[str, ...] = ()
    snapshot: str | None = None  # replay this DNS snapshot for re-verification

    @property
    def dns_label(self) -> str:
        return f"snapshot:{self.snapshot}" if self.snapshot else "offline"


class IngestJob(msgspec.Struct, frozen=True):
    limits: Limits
    analysis: AnalysisSpec | None = AnalysisSpec()  # None: store without analysing


class StoredAnalysis(msgspec.Struct, frozen=True):
    record: bytes  # zlib-compressed analysis JSON
    features: MessageFeatures | None  # None when the analysis failed


@functools.lru_cache(maxsize=4)
def context_for(spec: AnalysisSpec) -> AnalysisContext:
    settings = spec.settings
    identity_files = [Path(p) for p in settings.sender.identities]
    return AnalysisContext(
        geo=open_resolver([Path(p) for p in spec.mmdb]),
        path=settings.path,
        dns=DnsSource.replay(Path(spec.snapshot)) if spec.snapshot else None,
        identities=load_identities(identity_files, builtin=settings.sender.builtin_identities),
        rules=load_rules([Path(p) for p in settings.rules.folders]),
    )


def analyse_for_store(
    parsed: ParsedMessage, raw: bytes, forward: Unwrapped, source: SourceRef, spec: AnalysisSpec
) -> StoredAnalysis:
    """The analysis record (compressed) and cluster features of one stored message."""
    report = report_section(forward)
    analysis = analyze_message(parsed, context_for(spec), source, report, raw)
    features = message_features(original_view(parsed, report), analysis)
    return StoredAnalysis(encode_analysis(analysis), features)


def report_section(forward: Unwrapped) -> ReportSection:
    if forward.kind not in ("attachment", "inline"):
        return ReportSection()
    inline = forward.kind == "inline"
    return ReportSection(
        kind="inline" if inline else "attachment",
        reporter=forward.reporter,
        reported_at=forward.reported_at,
        headers_available=not inline,
        recovered=forward.recovered if inline else None,
    )


def encode_analysis(analysis: Analysis) -> bytes:
    return zlib.compress(msgspec.json.encode(analysis), RECORD_COMPRESSION)


def decode_analysis(blob: bytes) -> Analysis:
    return _DECODER.decode(zlib.decompress(blob))


_DECODER = msgspec.json.Decoder(Analysis)
