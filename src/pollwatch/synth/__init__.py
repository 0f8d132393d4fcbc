"""Realistic, labelled synthetic mail for tests, the demo and benchmarks.

``generate(SynthConfig(...))`` streams :class:`SynthMessage` records (raw bytes
plus a ground-truth :class:`Label`); the writers stream them to mbox, maildir
or a directory of ``.eml`` files with ``labels.jsonl`` alongside. Every person,
mailbox and organisation is invented; relay addresses are real allocations of
the labelled country so geolocation can be checked. See ``docs/synth.md``.
"""

from pollwatch.synth.campaigns import Campaign, Wave, generate, plan
from pollwatch.synth.labels import (
    CATEGORIES,
    KINDS,
    PROVIDERS,
    SCHEMA,
    Label,
    Mix,
    PersonalField,
    SynthConfig,
    SynthMessage,
    decode_label,
    encode_label,
)
from pollwatch.synth.writer import WriteSummary, write_eml_dir, write_maildir, write_mbox

__all__ = [
    "CATEGORIES",
    "KINDS",
    "PROVIDERS",
    "SCHEMA",
    "Campaign",
    "Label",
    "Mix",
    "PersonalField",
    "SynthConfig",
    "SynthMessage",
    "Wave",
    "WriteSummary",
    "decode_label",
    "encode_label",
    "generate",
    "plan",
    "write_eml_dir",
    "write_maildir",
    "write_mbox",
]
