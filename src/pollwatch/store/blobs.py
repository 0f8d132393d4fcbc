"""Evidence blobs: raw bytes stored once, named by their SHA-256, never modified.

Layout: ``<root>/ab/cd/abcd…`` (two levels of fan-out). A blob is written to a
temporary file in the same folder and renamed into place, so a killed run
leaves either the whole blob or none of it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: set[Path] = set()  # fan-out folders known to exist

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` (idempotent) and return its SHA-256."""
        digest = sha256 or hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        try:
            if target.stat().st_size == len(data):
                return digest
        except FileNotFoundError:
            pass
        folder = target.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        try:
            os.fchmod(fd, 0o444)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        path = self.path_for(sha256)
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256
