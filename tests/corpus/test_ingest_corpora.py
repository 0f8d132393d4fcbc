"""Ingest over the real corpora in ../shared/corpora (skipped when absent)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from pollwatch.config import DEFAULT_LIMITS
from pollwatch.pipeline.ingest import ingest
from pollwatch.pipeline.job import IngestJob
from pollwatch.store import Catalogue
from support.catalogue import catalogue_content, ingest_command, kill_ingest_midway
from support.corpora import corpus_folder

JOB = IngestJob(DEFAULT_LIMITS)

pytestmark = pytest.mark.corpus


def _files(folder: Path) -> set[str]:
    return {str(p.resolve()) for p in folder.rglob("*") if p.is_file()}


def _accounted(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    paths = {row[0] for row in con.execute("SELECT source_path FROM sightings")}
    paths |= {row[0] for row in con.execute("SELECT source_path FROM failures")}
    con.close()
    return paths


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
        first = ingest([str(folder)], catalogue, JOB)
        before = catalogue_content(tmp_path / "p.db")
        second = ingest([str(folder)], catalogue, JOB)
    files = _files(folder)
    assert first.new + first.duplicate + first.failed == len(files)
    assert _accounted(tmp_path / "p.db") == files
    assert all(error.reason for error in first.errors)
    assert second.new == 0 and second.duplicate + second.failed == len(files)
    assert catalogue_content(tmp_path / "p.db") == before


def test_killed_corpus_run_resumes_to_the_same_catalogue(
    corpora_root: Path, tmp_path: Path
) -> None:
    folder = corpus_folder("spamassassin-dev.tar.xz", "spamassassin_public_corpus", corpora_root)
    whole = tmp_path / "whole.db"
    subprocess.run(ingest_command(folder, whole), check=True, capture_output=True)
    killed = tmp_path / "killed.db"
    assert 0 < kill_ingest_midway(folder, killed, after=500) < len(_files(folder))
    subprocess.run(ingest_command(folder, killed), check=True, capture_output=True)
    assert catalogue_content(killed) == catalogue_content(whole)
