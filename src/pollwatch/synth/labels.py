"""The records the generator emits: a message's bytes and its ground truth.

``Label`` is the contract analysis code is tested against; its fields are
documented in ``docs/synth.md``. For a report (a user's forward to an abuse
mailbox) the campaign, path and content fields describe the *original* message,
and ``report_kind`` / ``inner_sha256`` / ``reporter`` describe the wrapper.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

SCHEMA = "pollwatch.synth-label/1"

# The closed category vocabulary shared with the analysis side.
CATEGORIES: tuple[str, ...] = (
    "threat.violence",
    "intimidation.voter",
    "claim.data_access",
    "claim.vote_surveillance",
    "disinfo.procedure",
    "phish.credential",
    "extortion",
    "impersonation",
)

Kind = Literal[
    "intimidation",
    "disinfo_procedure",
    "phish",
    "extortion",
    "legit_election",
    "fundraising",
    "newsletter",
]
KINDS: tuple[str, ...] = (
    "intimidation",
    "disinfo_procedure",
    "phish",
    "extortion",
    "legit_election",
    "fundraising",
    "newsletter",
)
PersonalFieldName = Literal["name", "address", "phone", "party", "precinct", "voter_id", "email"]
Provider = Literal["gmail", "yahoo", "comcast", "m365", "university"]
PROVIDERS: tuple[str, ...] = ("gmail", "yahoo", "comcast", "m365", "university")
ReportKind = Literal["attachment", "inline"]


class PersonalField(msgspec.Struct, frozen=True):
    """One piece of the recipient's data, exactly as it occurs in the decoded body."""

    field: PersonalFieldName
    text: str


class Label(msgspec.Struct, frozen=True, kw_only=True):
    """Ground truth for one generated message (see ``docs/synth.md``)."""

    sha256: str
    campaign: str | None
    wave: int | None
    kind: Kind
    categories: tuple[str, ...]
    provider: Provider
    recipient: str
    edge_ip: str
    edge_country: str
    edge_asn: int
    origin_ip: str
    origin_country: str
    language: Literal["en", "es"]
    personalization: tuple[PersonalField, ...]
    report_kind: ReportKind | None
    inner_sha256: str | None
    reporter: str | None
    report_to: str | None
    sent_at: datetime
    sender: str  # the claimed From address of the original
    mailer: str  # sending-side profile, e.g. "phpmailer-cpanel", "sendgrid"
    index: int
    schema: str = SCHEMA


class SynthMessage(msgspec.Struct, frozen=True):
    raw: bytes
    label: Label


class Mix(msgspec.Struct, frozen=True, kw_only=True):
    """Relative weights of the message kinds; normalised by the generator."""

    intimidation: float = 0.25
    disinfo_procedure: float = 0.08
    phish: float = 0.12
    extortion: float = 0.07
    legit_election: float = 0.2
    fundraising: float = 0.16
    newsletter: float = 0.12

    def weights(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, k)) for k in KINDS)


class SynthConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What to generate. Same config, same bytes."""

    count: int = 1000
    seed: int = 0
    start: datetime = datetime(2020, 10, 19, 12, 0, tzinfo=UTC)
    span_days: float = 14.0
    mix: Mix = Mix()
    intimidation_campaigns: int = 2
    phish_campaigns: int = 3
    extortion_campaigns: int = 2
    disinfo_campaigns: int = 2
    min_waves: int = 3
    max_waves: int = 5
    spanish_fraction: float = 0.15
    report_fraction: float = 0.15
    report_attachment_share: float = 0.6  # of reports; the rest are inline forwards
    campaign_fraction: float = 0.85  # of phish/extortion; the rest are one-off messages

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must be >= 0")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not 1 <= self.min_waves <= self.max_waves:
            raise ValueError("need 1 <= min_waves <= max_waves")
        if self.intimidation_campaigns < 1:
            raise ValueError("need at least one intimidation campaign")
        if sum(self.mix.weights()) <= 0:
            raise ValueError("mix weights must not all be zero")


def encode_label(label: Label) -> bytes:
    """One JSON Lines record (no trailing newline)."""
    return _ENCODER.encode(label)


def decode_label(line: bytes | str) -> Label:
    return _DECODER.decode(line)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Label)
