"""Reading a catalogue from outside, as a second process would: for tests that
compare catalogues or kill an ingest midway."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CONTENT_QUERIES = {
    "messages": "SELECT sha256, status, error_code, subject FROM messages ORDER BY 1",
    "sightings": "SELECT message_sha256, source_path, position, item_sha256, report_kind,"
    " reporter FROM sightings ORDER BY 1, 2, 3",
    "failures": "SELECT source_path, position, code FROM failures ORDER BY 1, 2, 3",
    "blobs": "SELECT sha256, size FROM blobs ORDER BY 1",
    "sources": "SELECT path, sha256, size FROM sources ORDER BY 1, 2",
}


def catalogue_content(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything a catalogue holds, without run ids and timestamps."""
    con = sqlite3.connect(db)
    try:
        return {name: list(con.execute(sql)) for name, sql in CONTENT_QUERIES.items()}
    finally:
        con.close()


def sighting_count(db: Path) -> int:
    """Sightings committed so far (0 while the catalogue is still being created)."""
    try:
        con = sqlite3.connect(db, timeout=1)
        try:
            return int(con.execute("SELECT count(*) FROM sightings").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def ingest_command(source: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "pollwatch", "ingest", str(source), "--format", "json",
            "--db", str(db)]


def kill_ingest_midway(source: Path, db: Path, after: int) -> int:
    """Start an ingest, SIGKILL it once ``after`` sightings are committed; returns how many were."""
    process = subprocess.Popen(ingest_command(source, db), stdout=subprocess.DEVNULL)
    while sighting_count(db) < after and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return sighting_count(db)
