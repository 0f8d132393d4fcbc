"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpora_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where corpus archives are unpacked, once per test session."""
    return tmp_path_factory.mktemp("corpora")
