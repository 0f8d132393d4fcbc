"""Ingest: intake -> parse -> unwrap -> store, one bad item never stopping the batch.

:func:`process_item` is the pure, per-item step run by workers; it holds the
one broad ``except`` in pollwatch, which turns any failure into a recorded
value. :func:`ingest` is the driver: it reads items, fans them out to an
executor, and is the only writer of the catalogue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from pollwatch.intake import RawItem, iter_items
from pollwatch.intake.containers import Item
from pollwatch.intake.unwrap import Unwrapped, peel_reports
from pollwatch.models import IngestError, IngestSummary, ParsedMessage, SourceRef
from pollwatch.pipeline.analyze import failed
from pollwatch.pipeline.executors import Executor, SerialExecutor
from pollwatch.pipeline.job import (
    AnalysisSpec,
    IngestJob,
    StoredAnalysis,
    analyse_for_store,
    encode_analysis,
)
from pollwatch.store import Catalogue, MessageRow, SightingRow

BATCH_SIZE = 256


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

MAX_ERRORS_LISTED = 1_000


class Outcome(msgspec.Struct, frozen=True):
    """Everything the driver needs to store for one intake item."""

    source: SourceRef
    message: MessageRow | None = None
    sighting: SightingRow | None = None
    wrappers: tuple[bytes, ...] = ()  # raw forwards around the message, innermost first
    failure: IngestError | None = None
    analysis: StoredAnalysis | None = None
    known: bool = False  # stored by an earlier run: nothing to write
    known_error: IngestError | None = None

    @property
    def error(self) -> IngestError | None:
        if self.failure is not None:
            return self.failure
        if self.known_error is not None:
            return self.known_error
        if self.message is not None and self.message.status == "failed":
            return IngestError(
                source=self.source,
                code=self.message.error_code or "message.failed",
                reason=self.message.error_reason or "",
                sha256=self.message.sha256,
            )
        return None


class Known(msgspec.Struct, frozen=True):
    """An item already stored from this very position in an earlier run."""

    source: SourceRef
    error: IngestError | None = None


def process_item(item: Item | Known, job: IngestJob) -> Outcome:
    """Parse, unwrap and analyse one item. Never raises: failures become data."""
    if isinstance(item, Known):
        return Outcome(source=item.source, known=True, known_error=item.error)
    if isinstance(item, IngestError):
        return Outcome(source=item.source, failure=item)
    try:
        return _process_raw(item, job)
    except Exception as exc:  # the one broad handler: a bug must not lose the message
        sha256 = sha256_hex(item.raw)
        row = MessageRow(
            sha256, item.raw, "failed", "internal.error", f"{type(exc).__name__}: {exc}"[:500]
        )
        sighting = SightingRow(sha256, item.source, sha256, defects=item.defects)
        return Outcome(item.source, row, sighting)


def _process_raw(item: RawItem, job: IngestJob) -> Outcome:
    peeled = peel_reports(item.raw, job.limits)
    analysis = None
    if peeled.parsed is None:
        code, reason = peeled.error or ("message.failed", "")
        row = MessageRow(sha256_hex(peeled.raw), peeled.raw, "failed", code, reason)
    else:
        row = _parsed_row(peeled.parsed, peeled.raw, peeled.forward)
        if job.analysis is not None:
            analysis = _analyse(peeled.parsed, peeled.raw, peeled.forward, item, job.analysis)
    outcome = _outcome(item, row, peeled.forward, peeled.wrappers)
    return msgspec.structs.replace(outcome, analysis=analysis)


def _analyse(
    parsed: ParsedMessage, raw: bytes, forward: Unwrapped, item: RawItem, spec: AnalysisSpec
) -> StoredAnalysis:
    """The stored analysis; a failure is kept as a record with ``errors`` (no features)."""
    try:
        return analyse_for_store(parsed, raw, forward, item.source, spec)
    except Exception as exc:  # an analysis bug must not lose the message
        reason = f"internal.error: {type(exc).__name__}: {exc}"[:500]
        return StoredAnalysis(encode_analysis(failed(item.source, parsed.sha256, reason)), None)


def _parsed_row(parsed: ParsedMessage, raw: bytes, unwrapped: Unwrapped) -> MessageRow:
    inline = unwrapped.kind == "inline"
    return MessageRow(
        sha256=parsed.sha256,
        raw=raw,
        status="parsed",
        message_id=parsed.message_id,
        date=parsed.date,
        subject=parsed.subject,
        from_address=parsed.from_.address if parsed.from_ else None,
        from_domain=parsed.from_.domain if parsed.from_ else None,
        headers_available=not inline,
        recovered=unwrapped.recovered if inline else None,
        defects=parsed.defects,
    )


def _outcome(
    item: RawItem, row: MessageRow, forward: Unwrapped, wrappers: tuple[bytes, ...]
) -> Outcome:
    kind = forward.kind if forward.kind in ("attachment", "inline") else None
    sighting = SightingRow(
        sha256=row.sha256,
        source=item.source,
        item_sha256=sha256_hex(item.raw),
        report_kind="inline" if kind == "inline" else ("attachment" if kind else None),
        reporter=forward.reporter if kind else None,
        reported_at=forward.reported_at,
        wrappers=tuple(sha256_hex(w) for w in wrappers),
        defects=item.defects,
    )
    return Outcome(item.source, row, sighting, wrappers)


@dataclass
class Tally:
    """Running counts for one ingest run."""

    new: int = 0
    duplicate: int = 0
    failed: int = 0
    errors: list[IngestError] = field(default_factory=list)
    by_code: dict[str, int] = field(default_factory=dict)

    def summary(self) -> IngestSummary:
        return IngestSummary(
            self.new, self.duplicate, self.failed, tuple(self.errors), dict(self.by_code)
        )


def ingest(
    paths: Iterable[str],
    catalogue: Catalogue,
    job: IngestJob,
    executor: Executor | None = None,
    on_item: Callable[[Outcome, Tally], None] | None = None,
    command: str = "ingest",
) -> IngestSummary:
    """Ingest every message under ``paths`` into ``catalogue``; returns the summary."""
    executor = executor or SerialExecutor()
    dns = job.analysis.dns_label if job.analysis else None
    run_id = catalogue.start_run(command, dns)
    tally = Tally()
    sources = _SourceRecorder(catalogue, run_id)
    batch: list[Outcome] = []
    found = iter_items(paths, job.limits, exclude=catalogue.own_files())
    items = _skip_known(found, catalogue)
    for outcome in executor.map(process_item, items, job):
        sources.record(outcome.source.path)
        batch.append(outcome)
        if len(batch) >= BATCH_SIZE:
            _flush(catalogue, batch, run_id, tally, on_item)
    _flush(catalogue, batch, run_id, tally, on_item)
    catalogue.finish_run(run_id, tally.new, tally.duplicate, tally.failed)
    return tally.summary()


def _flush(
    catalogue: Catalogue,
    batch: list[Outcome],
    run_id: int,
    tally: Tally,
    on_item: Callable[[Outcome, Tally], None] | None,
) -> None:
    if not batch:
        return
    messages = [o.message for o in batch if o.message is not None]
    sightings = [o.sighting for o in batch if o.sighting is not None]
    failures = [o.failure for o in batch if o.failure is not None]
    wrappers = [w for o in batch for w in o.wrappers]
    analyses = [(o.message.sha256, o.analysis) for o in batch if o.message and o.analysis]
    new = catalogue.write_batch(messages, sightings, failures, wrappers, run_id, analyses)
    for outcome in batch:
        _count(outcome, new, tally)
        if on_item is not None:
            on_item(outcome, tally)
    batch.clear()


def _count(outcome: Outcome, new: set[str], tally: Tally) -> None:
    error = outcome.error
    if error is not None:
        tally.failed += 1
        tally.by_code[error.code] = tally.by_code.get(error.code, 0) + 1
        if len(tally.errors) < MAX_ERRORS_LISTED:
            tally.errors.append(error)
    elif outcome.known:
        tally.duplicate += 1
    elif outcome.message is not None and outcome.message.sha256 in new:
        new.discard(outcome.message.sha256)  # a second copy in the same batch is a duplicate
        tally.new += 1
    else:
        tally.duplicate += 1


_KNOWN_ITEM = (
    "SELECT m.sha256, m.status, m.error_code, m.error_reason FROM sightings s"
    " JOIN messages m ON m.sha256 = s.message_sha256"
    " WHERE s.source_path = ? AND s.position = ? AND s.item_sha256 = ? LIMIT 1"
)


def _skip_known(items: Iterator[Item], catalogue: Catalogue) -> Iterator[Item | Known]:
    """Replace items already stored from the same position with a cheap marker.

    Runs in whatever thread the executor reads its input from, so it has a
    connection of its own.
    """
    reader = catalogue.reader()
    try:
        for item in items:
            if not isinstance(item, RawItem):
                yield item
                continue
            row = reader.execute(
                _KNOWN_ITEM, (item.source.path, item.source.index or "", sha256_hex(item.raw))
            ).fetchone()
            if row is None:
                yield item
            elif row[1] == "failed":
                yield Known(item.source, IngestError(item.source, row[2], row[3] or "", row[0]))
            else:
                yield Known(item.source)
    finally:
        reader.close()


class _SourceRecorder:
    """Records each source file (size and SHA-256) the first time the driver sees it."""

    def __init__(self, catalogue: Catalogue, run_id: int) -> None:
        self.catalogue = catalogue
        self.run_id = run_id
        self.seen: set[str] = set()

    def record(self, path: str) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        file = Path(path)
        if path == "<stdin>" or not file.is_file():
            self.catalogue.record_source(path, None, None, self.run_id)
            return
        with file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        self.catalogue.record_source(path, file.stat().st_size, digest, self.run_id)
