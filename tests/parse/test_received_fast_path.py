"""The whole-line fast path of ``parse_received`` gives exactly what the general parser gives."""

from __future__ import annotations

import random
import re
from functools import cache

import msgspec
import pytest

from pollwatch.parse import received
from pollwatch.synth import SynthConfig, generate

_NEVER = re.compile(r"(?!)")
_TOKENS = ["from", "by", "with", "id", "via", "for", "(", ")", ";", "(1.2.3.4)", "[1.2.3.4]",
           "(may be forged)", "(envelope-from <a@b>)", "localhost", "()", "(TLS)", "<a@b>",
           "(Postfix)", "authenticated", ") (", "(a;b)", "; x)", "HTTPS", "mapi",
           "Mon, 1 Jan 2024 00:00:00 +0000"]  # fmt: skip


@cache
def sample_lines() -> tuple[str, ...]:
    """Received lines of every provider format the generator writes, plus mutations."""
    lines: list[str] = []
    for message in generate(SynthConfig(count=400, seed=9)):
        head = message.raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
        unfolded = re.sub(r"\r?\n[ \t]+", " ", head)
        lines += [m.group(1) for m in re.finditer(r"(?im)^received:[ \t]*(.*)$", unfolded)]
    rnd = random.Random(1)
    mutated = []
    for line in lines[::5]:
        words = line.split(" ")
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(words))
            if rnd.random() < 0.5:
                words[i] = rnd.choice(_TOKENS)
            else:
                words.insert(i, rnd.choice(_TOKENS))
        mutated.append(" ".join(words))
    return tuple(dict.fromkeys(lines + mutated))


def test_sample_exercises_the_fast_path() -> None:
    fast = sum(bool(received._FAST_LINE.fullmatch(" ".join(line.split())))
               for line in sample_lines())  # fmt: skip
    assert fast >= 100


def test_fast_path_equals_general_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = sample_lines()
    encode = msgspec.json.encode
    fast = [encode(received.parse_received(line)) for line in lines]
    monkeypatch.setattr(received, "_FAST_LINE", _NEVER)
    general = [encode(received.parse_received(line)) for line in lines]
    differing = [line for line, a, b in zip(lines, fast, general, strict=True) if a != b]
    assert not differing, differing[:3]
