"""Executors: how per-item work is spread over cores, behind one interface.

Results come back in input order under every executor, so a run's catalogue
does not depend on which one was used. Workers never touch the catalogue.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")
P = TypeVar("P")  # what every call also receives (limits, settings): picklable


class Executor(Protocol):
    def map(self, fn: Callable[[In, P], Out], items: Iterable[In], params: P) -> Iterator[Out]: ...


class SerialExecutor:
    """Everything in this process: the default for small batches and for tests."""

    def map(self, fn: Callable[[In, P], Out], items: Iterable[In], params: P) -> Iterator[Out]:
        for item in items:
            yield fn(item, params)


class ProcessExecutor:
    """A pool of worker processes on this machine (``spawn``: safe with native libraries).

    Input is read in the calling thread and at most ``window`` chunks are in
    flight, so a million-message mbox never piles up in the task queue.
    """

    def __init__(self, workers: int | None = None, chunksize: int = 32) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.chunksize = chunksize
        self.window = self.workers * 4

    def map(self, fn: Callable[[In, P], Out], items: Iterable[In], params: P) -> Iterator[Out]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: deque[Future[list[Out]]] = deque()
            for chunk in _chunks(items, self.chunksize):
                pending.append(pool.submit(_run_chunk, fn, chunk, params))
                if len(pending) >= self.window:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()


def _run_chunk(fn: Callable[[In, P], Out], chunk: list[In], params: P) -> list[Out]:
    return [fn(item, params) for item in chunk]


def _chunks(items: Iterable[In], size: int) -> Iterator[list[In]]:
    chunk: list[In] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def make_executor(workers: int, chunksize: int = 32) -> Executor:
    """``workers`` 1 runs serially; 0 means one worker per core."""
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(None if workers == 0 else workers, chunksize)
