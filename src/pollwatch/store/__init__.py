"""The evidence store: a SQLite catalogue (WAL) beside a content-addressed blob folder.

Entry point: :class:`Catalogue`. One writer: only the driver process calls
the write methods, each batch in one ``BEGIN IMMEDIATE`` transaction, blobs
written (atomically) before the rows that name them. A run killed at any point
leaves complete batches only; running again fills in the rest.
"""

from __future__ import annotations

import getpass
import hashlib
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from pollwatch import __version__
from pollwatch.analyze.record import Analysis
from pollwatch.cluster.graph import CampaignGraph, TemplateCache
from pollwatch.config import blob_dir_for
from pollwatch.errors import StoreError
from pollwatch.export.case import CustodyEvent
from pollwatch.models import IngestError, SourceRef
from pollwatch.pipeline.job import StoredAnalysis, decode_analysis
from pollwatch.store.blobs import BlobStore
from pollwatch.store.records import MessageRow, SightingRow
from pollwatch.store.schema import LATEST, MIGRATIONS

__all__ = ["BlobStore", "Catalogue", "MessageRow", "SightingRow"]


CACHE_KIB = 128 * 1024  # SQLite page cache per connection (its default is 2 MiB)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class Catalogue:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self.blobs = BlobStore(blob_dir_for(db_path))
        self._templates = TemplateCache()
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(db_path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open catalogue {db_path}: {exc}") from exc

    def own_files(self) -> frozenset[Path]:
        """The catalogue's files and blob folder, which intake must never read back."""
        db = self.path.resolve()
        names = (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
        return frozenset((*names, self.blobs.root.resolve()))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._templates.clear()  # it may hold keys of templates that were not stored
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM schema_migrations")}
        if done and max(done) > LATEST:
            raise StoreError(f"{self.path} has schema {max(done)}; this pollwatch knows {LATEST}")
        for version, script in MIGRATIONS:
            if version in done:
                continue
            with self.transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, _now()))

    def schema_version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0])

    # -- runs and sources ------------------------------------------------------

    def start_run(self, command: str, dns: str | None = None) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, operator, host, command, version, dns)"
                " VALUES (?,?,?,?,?,?)",
                (_now(), _operator(), socket.gethostname(), command, __version__, dns),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, new: int, duplicate: int, failed: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at=?, new=?, duplicate=?, failed=? WHERE id=?",
                (_now(), new, duplicate, failed, run_id),
            )

    def record_source(self, path: str, size: int | None, sha256: str | None, run_id: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO sources (path, sha256, size, first_run, first_seen_at)"
                " VALUES (?,?,?,?,?)",
                (path, sha256 or "", size, run_id, _now()),
            )

    # -- the batch write -------------------------------------------------------

    def write_batch(
        self,
        messages: Sequence[MessageRow],
        sightings: Sequence[SightingRow],
        failures: Sequence[IngestError],
        wrappers: Sequence[bytes],
        run_id: int,
        analyses: Sequence[tuple[str, StoredAnalysis]] = (),
    ) -> set[str]:
        """Store one batch; returns the SHA-256s of messages that were new.

        The analyses of new messages are stored and each is placed in its
        campaign, in the same transaction.
        """
        for row in messages:
            self.blobs.put(row.raw, row.sha256)
        for raw in wrappers:
            self.blobs.put(raw)
        now = _now()
        new: set[str] = set()
        with self.transaction() as db:
            for row in messages:
                if self._insert_message(db, row, run_id, now):
                    new.add(row.sha256)
            for raw in wrappers:
                self._insert_blob(db, hashlib.sha256(raw).hexdigest(), len(raw), now)
            for sighting in sightings:
                self._insert_sighting(db, sighting, run_id, now)
            for failure in failures:
                self._insert_failure(db, failure, run_id, now)
            graph = CampaignGraph(db, run_id, self._templates)
            for sha256, stored in analyses:
                if sha256 in new:
                    self._insert_analysis(db, sha256, stored, run_id, now, graph)
        return new

    @staticmethod
    def _insert_analysis(
        db: sqlite3.Connection, sha256: str, stored: StoredAnalysis, run: int, now: str,
        graph: CampaignGraph,
    ) -> None:  # fmt: skip
        cursor = db.execute(
            "INSERT OR IGNORE INTO analyses VALUES (?,?,?,?)", (sha256, stored.record, run, now)
        )
        if cursor.rowcount and stored.features is not None:
            graph.add(stored.features)

    @staticmethod
    def _insert_blob(db: sqlite3.Connection, sha256: str, size: int, now: str) -> None:
        db.execute("INSERT OR IGNORE INTO blobs VALUES (?,?,?)", (sha256, size, now))

    def _insert_message(self, db: sqlite3.Connection, row: MessageRow, run: int, now: str) -> bool:
        self._insert_blob(db, row.sha256, len(row.raw), now)
        cursor = db.execute(
            "INSERT OR IGNORE INTO messages (sha256, status, error_code, error_reason, message_id,"
            " date, subject, from_address, from_domain, headers_available, recovered, defects,"
            " first_run, first_ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                row.sha256, row.status, row.error_code, row.error_reason, row.message_id,
                row.date.isoformat() if row.date else None, row.subject, row.from_address,
                row.from_domain, int(row.headers_available),
                _json(row.recovered) if row.recovered else None, _json(row.defects), run, now,
            ),
        )
        return cursor.rowcount == 1

    @staticmethod
    def _insert_sighting(db: sqlite3.Connection, row: SightingRow, run: int, now: str) -> None:
        db.execute(
            "INSERT OR IGNORE INTO sightings (message_sha256, source_path, container, position,"
            " report_kind, reporter, reported_at, wrappers, item_sha256, defects, run_id,"
            " ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                row.sha256, row.source.path, row.source.container, row.source.index or "",
                row.report_kind, row.reporter,
                row.reported_at.isoformat() if row.reported_at else None,
                _json(row.wrappers), row.item_sha256, _json(row.defects), run, now,
            ),
        )

    @staticmethod
    def _insert_failure(db: sqlite3.Connection, failure: IngestError, run: int, now: str) -> None:
        source: SourceRef = failure.source
        db.execute(
            "INSERT OR IGNORE INTO failures (source_path, container, position, code, reason,"
            " run_id, ingested_at) VALUES (?,?,?,?,?,?,?)",
            (source.path, source.container, source.index or "", failure.code, failure.reason,
             run, now),
        )

    # -- reading ---------------------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        """A read-only connection usable from another thread (WAL: reads never block)."""
        uri = f"file:{self.path.resolve()}?mode=ro"
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

    def analysis(self, sha256: str) -> Analysis | None:
        """The stored analysis record of one message, if it was analysed."""
        row = self.db.execute("SELECT record FROM analyses WHERE sha256 = ?", (sha256,)).fetchone()
        return decode_analysis(row[0]) if row else None

    def read_blob(self, sha256: str) -> bytes:
        """A message's bytes exactly as stored."""
        return self.blobs.get(sha256)

    def custody(self, sha256: str) -> list[CustodyEvent]:
        """Every sighting of a message: who ingested it, when, from which file."""
        rows = self.db.execute(_CUSTODY, (sha256,)).fetchall()
        return [_custody(row) for row in rows]

    def dns_snapshots(self, sha256s: Sequence[str] = ()) -> list[str]:
        """The DNS snapshot files behind stored verdicts (of these messages, or of all)."""
        rows = self.db.execute(
            "SELECT DISTINCT r.dns FROM runs r JOIN analyses a ON a.run_id = r.id"
            " WHERE r.dns LIKE 'snapshot:%'" + _among("a.sha256", sha256s),
            tuple(sha256s),
        )
        return sorted(row[0].removeprefix("snapshot:") for row in rows)

    def counts(self) -> dict[str, int]:
        tables = ("sources", "blobs", "messages", "sightings", "failures", "runs")
        return {t: int(self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}

    def failure_reasons(self) -> dict[str, int]:
        rows = self.db.execute("SELECT code, count(*) FROM failures GROUP BY code ORDER BY code")
        parsed = self.db.execute(
            "SELECT error_code, count(*) FROM messages WHERE status='failed' GROUP BY error_code"
        )
        merged: dict[str, int] = {}
        for code, count in [*rows, *parsed]:
            merged[code] = merged.get(code, 0) + int(count)
        return merged


_CUSTODY = (
    "SELECT s.message_sha256, s.source_path, src.sha256, s.container, s.position,"
    " s.item_sha256, s.report_kind, s.reporter, s.reported_at, r.id, r.operator, r.host,"
    " r.command, r.version, s.ingested_at FROM sightings s JOIN runs r ON r.id = s.run_id"
    " LEFT JOIN sources src ON src.path = s.source_path AND src.first_run <= r.id"
    " WHERE s.message_sha256 = ? GROUP BY s.id ORDER BY s.ingested_at, s.id"
)


def _custody(row: tuple[Any, ...]) -> CustodyEvent:
    (sha256, path, source_sha, container, position, item, kind, reporter, reported_at,
     run_id, operator, host, command, version, ingested_at) = row  # fmt: skip
    return CustodyEvent(
        message_sha256=sha256, source_path=path, source_sha256=source_sha or None,
        container=container, position=position, item_sha256=item, report_kind=kind,
        reporter=reporter,
        reported_at=datetime.fromisoformat(reported_at) if reported_at else None,
        run_id=run_id, operator=operator, host=host, command=command, version=version,
        ingested_at=datetime.fromisoformat(ingested_at),
    )  # fmt: skip


def _among(column: str, values: Sequence[str]) -> str:
    return f" AND {column} IN ({','.join('?' * len(values))})" if values else ""


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"

