"""Settings: resource limits for hostile input, and paths.

Limits bound memory and time per item. Defaults suit a laptop handling
reports; every one can be raised for a provider's bulk feed.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import msgspec.toml

from pollwatch.errors import ConfigError

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


# --------------------------------------------------------------- analysis settings


class PathSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How ``analyze/path`` decides the recipient's trust boundary, and its tolerances.

    Example ``pollwatch.toml``::

        [path]
        trusted_relays = ["10.0.0.0/8", "relay.county.gov"]
        mx_hosts = ["mx1.county.gov", "mx2.county.gov"]
        home_country = "US"
        domestic_domains = ["county.gov", "state.fl.us"]
        clock_skew_s = 600
        date_drift_s = 86400
    """

    trusted_relays: tuple[str, ...] = ()  # host names or CIDRs inside the recipient's network
    mx_hosts: tuple[str, ...] = ()  # the recipient's own MX host names
    home_country: str | None = None  # ISO 3166-1 alpha-2; enables the foreign-edge check
    domestic_domains: tuple[str, ...] = ()  # From domains (suffixes) that are domestic bodies
    clock_skew_s: int = 600  # time running backwards by less than this is clock skew
    date_drift_s: int = 86_400  # Date header this far from the receipt time is an anomaly


class SenderSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[sender]``: protected identities for impersonation checks.

    ``identities = ["ours.yml"]`` adds the user's registry files;
    ``builtin_identities = false`` drops the shipped starter set.
    """

    identities: tuple[str, ...] = ()
    builtin_identities: bool = True


class RulesSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[rules]``: ``folders = ["our-rules/"]`` adds rule folders to the shipped ones."""

    folders: tuple[str, ...] = ()


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The settings file: every section optional, every unknown field an error."""

    path: PathSettings = PathSettings()
    sender: SenderSettings = SenderSettings()
    rules: RulesSettings = RulesSettings()


DEFAULT_SETTINGS = Settings()


def load_settings(file: Path) -> Settings:
    """Read a TOML settings file strictly: an unknown or mistyped field raises
    :class:`~pollwatch.errors.ConfigError` naming the file and the field's path."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read settings ({exc.strerror or exc})") from exc
    try:
        return msgspec.toml.decode(data, type=Settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
