"""Executors: how per-item work is spread over cores, behind one interface.

Results come back in input order under every executor, so a run's catalogue
does not depend on which one was used. Workers never touch the catalogue.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Protocol, TypeVar

from pollwatch.config import Limits

In = TypeVar("In")
Out = TypeVar("Out")


class Executor(Protocol):
    def map(
        self, fn: Callable[[In, Limits], Out], items: Iterable[In], limits: Limits
    ) -> Iterator[Out]: ...


class SerialExecutor:
    """Everything in this process: the default for small batches and for tests."""

    def map(
        self, fn: Callable[[In, Limits], Out], items: Iterable[In], limits: Limits
    ) -> Iterator[Out]:
        for item in items:
            yield fn(item, limits)


class ProcessExecutor:
    """A pool of worker processes on this machine (``spawn``: safe with native libraries)."""

    def __init__(self, workers: int | None = None, chunksize: int = 16) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.chunksize = chunksize

    def map(
        self, fn: Callable[[In, Limits], Out], items: Iterable[In], limits: Limits
    ) -> Iterator[Out]:
        context = multiprocessing.get_context("spawn")
        with context.Pool(self.workers) as pool:
            work: Callable[[In], Out] = partial(fn, limits=limits)  # type: ignore[call-arg]
            yield from pool.imap(work, items, chunksize=self.chunksize)


def make_executor(workers: int) -> Executor:
    """``workers`` 1 runs serially; 0 means one worker per core."""
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(None if workers == 0 else workers)
