"""The real corpora in ../shared/corpora beside the repository (absent: tests skip)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def corpus_folder(archive: str, member: str, tmp_root: Path) -> Path:
    """Unpack one corpus archive (once per session) and return a folder inside it."""
    source = CORPORA / archive
    if not source.is_file():
        pytest.skip(f"corpus {source} is absent")
    target = tmp_root / archive.removesuffix(".tar.xz")
    if not target.exists():
        with tarfile.open(source) as tar:
            tar.extractall(target, filter="data")
    return target / member
