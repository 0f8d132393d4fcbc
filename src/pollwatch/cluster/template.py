"""Templates: the text a campaign's members were made from, with named slots.

The most common masked text of the campaign is the base. Personal data, URLs'
variable parts, numbers and tokens are already named slots (``{name}``,
``{address}``, ``{url}`` ...). Other texts that are variants of the base
(similar wording) are aligned to it word by word; words that differ between
variants become ``{var1}``, ``{var2}`` ... Each slot reports how many members
filled it and how many distinct values they used.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence

import msgspec

from pollwatch.cluster.record import SlotStat, TemplateRecord

MAX_VARIANTS = 40
SIMILAR = 0.6  # word-sequence ratio for a text to count as a variant of the base
MAX_REPLACED = 3  # longer differences are different sentences, not a slot
PUBLIC_SLOTS = frozenset({"url", "number", "token", "wallet", "var"})  # examples may be shown
_SLOT = re.compile(r"\{([a-z_]+)\}")


class Variant(msgspec.Struct, frozen=True):
    subject: str
    body: str
    size: int  # members with exactly this text
    language: str | None = None


def recover_template(
    variants: Sequence[Variant], slots: Sequence[tuple[tuple[str, str], ...]], members: int
) -> TemplateRecord:
    """``variants`` most common first; ``slots``: each member's (slot, value) pairs."""
    if not variants:
        return TemplateRecord(subject="", body="")
    base = variants[0]
    body, named = _align(base.body, [v for v in variants[1:MAX_VARIANTS]])
    stats = _slot_stats(slots)
    stats.extend(SlotStat(name=name, filled=filled, distinct=distinct)
                 for name, (filled, distinct) in named.items())  # fmt: skip
    return TemplateRecord(
        subject=base.subject,
        body=body,
        slots=tuple(stats),
        variants=len(variants),
        language=base.language,
    )


def _align(base: str, others: Sequence[Variant]) -> tuple[str, dict[str, tuple[int, int]]]:
    """The base text with words that vary among its variants replaced by ``{varN}``."""
    words = base.split(" ")
    varied: dict[int, Counter[str]] = {}
    for other in others:
        theirs = other.body.split(" ")
        matcher = difflib.SequenceMatcher(None, words, theirs, autojunk=False)
        if matcher.ratio() < SIMILAR:
            continue
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "replace" and i2 - i1 <= MAX_REPLACED and j2 - j1 <= MAX_REPLACED:
                for i in range(i1, i2):
                    varied.setdefault(i, Counter())[" ".join(theirs[j1:j2])] += other.size
    out: list[str] = []
    named: dict[str, tuple[int, int]] = {}
    number = 0
    for i, word in enumerate(words):
        if i not in varied or _SLOT.fullmatch(word.strip(".,:;!?")):
            out.append(word)
        elif i - 1 in varied and out and out[-1].startswith("{var"):
            continue  # one slot for a run of varying words
        else:
            number += 1
            name = f"var{number}"
            values = varied[i]
            named[name] = (sum(values.values()), len(values) + 1)
            out.append("{" + name + "}" + _trailing(word))
    return " ".join(out), named


def _trailing(word: str) -> str:
    stripped = word.rstrip(".,:;!?")
    return word[len(stripped):]


def _slot_stats(slots: Sequence[tuple[tuple[str, str], ...]]) -> list[SlotStat]:
    filled: Counter[str] = Counter()
    values: dict[str, Counter[str]] = {}
    for member in slots:
        for name in {n for n, _ in member}:
            filled[name] += 1
        for name, value in member:
            values.setdefault(name, Counter())[value] += 1
    out = []
    for name, count in filled.most_common():
        seen = values[name]
        examples = tuple(v for v, _ in seen.most_common(3)) if name in PUBLIC_SLOTS else ()
        out.append(SlotStat(name=name, filled=count, distinct=len(seen), examples=examples))
    return out
