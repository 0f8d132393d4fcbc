"""Every exception pollwatch raises, in one tree.

::

    PollwatchError                      exit 1   base of everything below
    ├── UsageError                      exit 2   bad arguments or options
    ├── ConfigError                     exit 3   a settings or rule file is invalid
    ├── StoreError                      exit 4   the catalogue cannot be opened or migrated
    └── ItemError                       (never reaches the CLI: recorded per message)
        ├── ContainerError                       a file cannot be read (Outlook .msg)
        ├── MessageLimitError                    message, header block or parts too large
        └── NotAMessageError                     bytes that are not an email at all

``ItemError`` and its children are turned into recorded ``IngestError`` values
by the one broad handler in :mod:`pollwatch.pipeline`; a batch never stops on them.
Problems found while reading containers (zip bombs, unreadable files) are
yielded as ``IngestError`` values by :mod:`pollwatch.intake` directly.
"""

from __future__ import annotations


class PollwatchError(Exception):
    """Base of all pollwatch errors."""

    exit_code = 1


class UsageError(PollwatchError):
    exit_code = 2


class ConfigError(PollwatchError):
    exit_code = 3


class StoreError(PollwatchError):
    exit_code = 4


class ItemError(PollwatchError):
    """A problem with one item of a batch; recorded, never fatal to the run."""

    code = "item.error"

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if code is not None:
            self.code = code


class ContainerError(ItemError):
    code = "container.unreadable"


class MessageLimitError(ItemError):
    code = "message.limit"


class NotAMessageError(ItemError):
    code = "message.not_email"
