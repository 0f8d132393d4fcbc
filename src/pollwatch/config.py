"""Settings: resource limits for hostile input, and paths.

Limits bound memory and time per item. Defaults suit a laptop handling
reports; every one can be raised for a provider's bulk feed.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

MiB = 1024 * 1024


class Limits(msgspec.Struct, frozen=True):
    max_message_bytes: int = 64 * MiB  # larger items are refused before reading
    max_header_bytes: int = 1 * MiB  # the header block of one message (or part)
    max_mime_parts: int = 2_000  # parts in one message, all levels
    max_mime_depth: int = 40  # multipart nesting
    max_forward_depth: int = 5  # forwards inside forwards
    max_archive_entries: int = 100_000
    max_archive_total_bytes: int = 2_048 * MiB  # uncompressed, whole archive
    max_archive_ratio: int = 200  # uncompressed / compressed, per entry
    max_archive_depth: int = 2  # zips inside zips
    max_mbox_message_bytes: int = 64 * MiB


DEFAULT_LIMITS = Limits()
DEFAULT_DB = Path("pollwatch.db")


def blob_dir_for(db_path: Path) -> Path:
    """Evidence blobs live beside the catalogue: ``pollwatch.db`` -> ``pollwatch.blobs/``."""
    return db_path.with_name(db_path.stem + ".blobs")
