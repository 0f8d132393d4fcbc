"""Ingest over the real corpora in ../shared/corpora (skipped when absent)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.pipeline.ingest import ingest
from pollwatch.store import Catalogue
from support.corpora import corpus_folder

pytestmark = pytest.mark.corpus


def _files(folder: Path) -> set[str]:
    return {str(p.resolve()) for p in folder.rglob("*") if p.is_file()}


def _accounted(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    paths = {row[0] for row in con.execute("SELECT source_path FROM sightings")}
    paths |= {row[0] for row in con.execute("SELECT source_path FROM failures")}
    con.close()
    return paths


def _content(db: Path) -> list[list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    tables = [
        list(con.execute("SELECT sha256, status, error_code FROM messages ORDER BY 1")),
        list(con.execute("SELECT message_sha256, source_path, position, item_sha256, reporter"
                         " FROM sightings ORDER BY 1, 2, 3")),
        list(con.execute("SELECT source_path, position, code FROM failures ORDER BY 1, 2, 3")),
        list(con.execute("SELECT sha256 FROM blobs ORDER BY 1")),
    ]
    con.close()
    return tables


@pytest.mark.parametrize(
    ("archive", "member"),
    [("phishing_pot-dev.tar.xz", "phishing_pot/email"),
     ("spamassassin-dev.tar.xz", "spamassassin_public_corpus")],
)
def test_every_corpus_file_is_accounted_for_and_a_rerun_adds_nothing(
    archive: str, member: str, corpora_root: Path, tmp_path: Path
) -> None:
    folder = corpus_folder(archive, member, corpora_root)
    with Catalogue(tmp_path / "p.db") as catalogue:
        first = ingest([str(folder)], catalogue, DEFAULT_LIMITS)
        before = _content(tmp_path / "p.db")
        second = ingest([str(folder)], catalogue, DEFAULT_LIMITS)
    files = _files(folder)
    assert first.new + first.duplicate + first.failed == len(files)
    assert _accounted(tmp_path / "p.db") == files
    assert all(error.reason for error in first.errors)
    assert second.new == 0 and second.duplicate + second.failed == len(files)
    assert _content(tmp_path / "p.db") == before


def _sightings(db: Path) -> int:
    try:
        con = sqlite3.connect(db, timeout=1)
        try:
            return int(con.execute("SELECT count(*) FROM sightings").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_killed_corpus_run_resumes_to_the_same_catalogue(
    corpora_root: Path, tmp_path: Path
) -> None:
    folder = corpus_folder("spamassassin-dev.tar.xz", "spamassassin_public_corpus", corpora_root)
    command = [sys.executable, "-m", "pollwatch", "ingest", str(folder), "--format", "json", "--db"]
    subprocess.run([*command, str(tmp_path / "whole.db")], check=True, capture_output=True)
    killed = tmp_path / "killed.db"
    process = subprocess.Popen([*command, str(killed)], stdout=subprocess.DEVNULL)
    while _sightings(killed) < 500 and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < _sightings(killed) < len(_files(folder))
    subprocess.run([*command, str(killed)], check=True, capture_output=True)
    assert _content(killed) == _content(tmp_path / "whole.db")
