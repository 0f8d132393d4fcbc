"""``generate`` spread over worker processes: the same messages, in the same order.

Each message depends only on the configuration and its number, so blocks of
numbers are rendered independently and streamed back in order (at most a few
blocks in flight per worker, so a million messages take little memory).
"""

from __future__ import annotations

from collections.abc import Iterator

from pollwatch.pipeline.executors import make_executor
from pollwatch.synth.campaigns import generate
from pollwatch.synth.labels import SynthConfig, SynthMessage

BLOCK = 2_000  # messages per task: large enough that pickling is noise


def generate_parallel(
    config: SynthConfig, workers: int, block: int = BLOCK
) -> Iterator[SynthMessage]:
    """``generate(config)`` on ``workers`` processes (0: one per core; 1, or a
    single block: this process)."""
    executor = make_executor(1 if config.count <= block else workers, chunksize=1)
    for messages in executor.map(render_block, range(0, config.count, block), (config, block)):
        yield from messages


def render_block(first: int, job: tuple[SynthConfig, int]) -> list[SynthMessage]:
    """Messages ``first`` to ``first + block - 1`` (a worker's task)."""
    config, block = job
    return list(generate(config, first=first, stop=first + block))
