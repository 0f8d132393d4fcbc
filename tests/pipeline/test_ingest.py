from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.errors import StoreError
from pollwatch.pipeline.executors import ProcessExecutor
from pollwatch.pipeline.ingest import ingest
from pollwatch.pipeline.job import IngestJob
from pollwatch.store import Catalogue
from pollwatch.store.schema import LATEST
from support.catalogue import catalogue_content, ingest_command, kill_ingest_midway
from support.messages import forward_as_attachment, simple_message

JOB = IngestJob(DEFAULT_LIMITS)


def _corpus(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n:05d}.eml").write_bytes(
            simple_message(subject=f"n{n}", message_id=f"<m{n}@example.org>")
        )
    return folder


def test_second_ingest_adds_nothing(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in", 5)
    (folder / "junk.bin").write_bytes(b"\x00\xff" * 50)
    with Catalogue(tmp_path / "p.db") as catalogue:
        first = ingest([str(folder)], catalogue, JOB)
        before = catalogue_content(tmp_path / "p.db")
        second = ingest([str(folder)], catalogue, JOB)
    assert (first.new, first.duplicate, first.failed) == (5, 0, 1)
    assert (second.new, second.duplicate, second.failed) == (0, 5, 1)
    assert catalogue_content(tmp_path / "p.db") == before


def test_every_item_is_accounted_for_with_reasons(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in", 2)
    (folder / "copy.eml").write_bytes((folder / "00000.eml").read_bytes())
    (folder / "garbage.eml").write_bytes(b"\x00\x01binary garbage")
    (folder / "header.eml").write_bytes(b"From: a@b.example\r\nSubject:" + b"x" * 2_000_000)
    with zipfile.ZipFile(folder / "evil.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.eml", b"From: a@b.example\r\n\r\n" + b"\0" * (20 * 1024 * 1024))
    with Catalogue(tmp_path / "p.db") as catalogue:
        summary = ingest([str(folder)], catalogue, JOB)
        reasons = catalogue.failure_reasons()
    assert (summary.new, summary.duplicate, summary.failed) == (2, 1, 3)
    assert summary.failed_by_code == {
        "container.unrecognised": 1, "message.header_too_large": 1, "archive.bomb": 1}
    # Bytes that could be read are kept as evidence even when they fail to parse.
    assert reasons == {"container.unrecognised": 1, "message.header_too_large": 1,
                       "archive.bomb": 1}


def test_blobs_are_content_addressed_and_read_only(tmp_path: Path) -> None:
    raw = simple_message()
    (tmp_path / "a.eml").write_bytes(forward_as_attachment(raw))
    with Catalogue(tmp_path / "p.db") as catalogue:
        ingest([str(tmp_path / "a.eml")], catalogue, JOB)
        digest = hashlib.sha256(raw).hexdigest()
        assert catalogue.blobs.get(digest) == raw
        assert catalogue.blobs.verify(digest)
        path = catalogue.blobs.path_for(digest)
        assert oct(path.stat().st_mode & 0o777) == "0o444"
        # the forward itself is kept too, for the chain of custody
        wrapper = hashlib.sha256((tmp_path / "a.eml").read_bytes()).hexdigest()
        assert catalogue.blobs.verify(wrapper)


def test_process_pool_gives_the_same_catalogue_as_serial(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in", 40)
    with Catalogue(tmp_path / "serial.db") as catalogue:
        ingest([str(folder)], catalogue, JOB)
    with Catalogue(tmp_path / "pool.db") as catalogue:
        ingest([str(folder)], catalogue, JOB, ProcessExecutor(2))
    assert catalogue_content(tmp_path / "serial.db") == catalogue_content(tmp_path / "pool.db")


@pytest.mark.slow
def test_run_killed_midway_then_restarted_matches_uninterrupted(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in", 3000)
    reference = tmp_path / "reference.db"
    subprocess.run(ingest_command(folder, reference), check=True, capture_output=True)
    killed = tmp_path / "killed.db"
    interrupted_at = kill_ingest_midway(folder, killed, after=1)
    assert 0 < interrupted_at < 3000, "the run finished before it could be killed"
    con = sqlite3.connect(killed)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    subprocess.run(ingest_command(folder, killed), check=True, capture_output=True)
    assert catalogue_content(killed) == catalogue_content(reference)


def test_a_grown_mbox_adds_only_its_new_messages(tmp_path: Path) -> None:
    box = tmp_path / "abuse.mbox"
    separator = b"From reporter@example.edu Wed Oct 21 09:15:00 2020\n"
    box.write_bytes(separator + simple_message(subject="first") + b"\n")
    with Catalogue(tmp_path / "p.db") as catalogue:
        first = ingest([str(box)], catalogue, JOB)
        with box.open("ab") as handle:
            handle.write(separator + simple_message(subject="second") + b"\n")
        second = ingest([str(box)], catalogue, JOB)
        versions = catalogue.counts()["sources"]
    assert (first.new, second.new, second.duplicate) == (1, 1, 1)
    assert versions == 2  # each version of the file is on record with its hash


def test_catalogue_is_migrated_once_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    with Catalogue(db) as catalogue:
        assert catalogue.schema_version() == LATEST
    with Catalogue(db) as catalogue:  # reopening runs nothing again
        assert catalogue.schema_version() == LATEST
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_migrations VALUES (?, 'future')", (LATEST + 1,))
    con.commit()
    con.close()
    with pytest.raises(StoreError):
        Catalogue(db)
