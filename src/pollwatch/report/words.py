"""Plain-language wording for categories, checks and recommended actions.

Kept apart from the code that assembles the report so that the words can be
reviewed (and translated) in one place. Categories come from
:data:`pollwatch.rules.taxonomy.CATEGORIES`; one not listed here falls back to
its taxonomy definition.
"""

from __future__ import annotations

from collections.abc import Iterable

from pollwatch.report.text import join_words
from pollwatch.rules.taxonomy import CATEGORIES

# category -> (short label, what the messages do, in a sentence fragment)
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "threat.violence": ("Threat of violence", "threaten the recipient with violence"),
    "intimidation.voter": (
        "Voter intimidation",
        "try to force how people vote or which party they are registered with",
    ),
    "claim.data_access": (
        "Claim of data or system access",
        "claim to hold voters' personal data or to have broken into voting systems",
    ),
    "claim.vote_surveillance": (
        "Claim to know how you voted",
        "claim to know, or to be able to find out, how the recipient voted",
    ),
    "disinfo.procedure": (
        "False voting procedure",
        "give false information about when, where or how to vote",
    ),
    "phish.credential": ("Password phishing", "try to steal passwords through a sign-in page"),
    "extortion": ("Extortion", "demand payment under threat"),
    "impersonation": (
        "Impersonation",
        "pretend to come from a group, party, candidate or office that did not send them",
    ),
}

# the order in which categories are told: the gravest first
CATEGORY_ORDER = tuple(CATEGORY_WORDS)

CHECK_NAMES = {
    "spf": "SPF",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "arc": "ARC",
    "compauth": "Composite (Microsoft)",
}
GOOD_RESULTS = frozenset({"pass"})
BAD_RESULTS = frozenset({"fail", "softfail", "permerror", "hardfail"})

IMPERSONATION_LABELS = {
    "display_name": "display name claims the identity",
    "lookalike_domain": "look-alike domain",
    "unauthenticated_domain": "uses the identity's domain without passing authentication",
    "reply_to_divergence": "replies go to someone else",
    "return_path_divergence": "bounces go to someone else",
    "message_id_host": "message was stamped by another host",
}

PERSONAL_LABELS = {
    "name": "recipient's name",
    "address": "home address",
    "phone": "phone number",
    "email": "e-mail address",
    "party": "party registration",
    "precinct": "precinct",
    "voter_id": "voter ID number",
}
# slots whose example values identify a recipient: never printed
PERSONAL_SLOTS = frozenset({"name", "address", "phone", "email", "voter_id", "precinct"})

ROLE_LABELS = {
    "edge": "entry server (edge)",
    "origin": "likely origin",
    "relay": "relay",
    "from": "claimed sender",
    "reply_to": "reply-to",
    "return_path": "bounce address",
    "url": "link in message",
    "attachment": "attachment",
}

LINK_LABELS = {
    "template": "same wording",
    "sender_address": "same sender address",
    "display_name": "same display name",
    "url_domain": "same link domain",
    "reply_to": "same reply-to address",
}


def category_label(category: str) -> str:
    words = CATEGORY_WORDS.get(category)
    return words[0] if words else category


def category_phrase(category: str) -> str:
    words = CATEGORY_WORDS.get(category)
    if words:
        return words[1]
    known = CATEGORIES.get(category)
    return known.definition if known else category


def ordered(categories: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    return sorted(set(categories), key=lambda c: (rank.get(c, len(rank)), c))


def tone(result: str) -> str:
    if result in GOOD_RESULTS:
        return "good"
    return "bad" if result in BAD_RESULTS else "neutral"


def actions(categories: Iterable[str], impersonated: Iterable[str]) -> tuple[str, ...]:
    """What the reader should do, gravest first, for the categories seen."""
    seen = set(categories)
    out = []
    if seen & {"threat.violence", "intimidation.voter", "extortion"}:
        out.append(
            "Treat the messages as possible crimes (voter intimidation is a federal "
            "offence): report them to the FBI and to your state's election authority, "
            "and hand over the evidence package."
        )
    if seen & {"claim.vote_surveillance", "claim.data_access", "disinfo.procedure"}:
        out.append(
            "Tell voters plainly, through your own channels, why the claims are false "
            "(see \u201cWhat to tell voters\u201d below)."
        )
    targets = sorted(set(impersonated))
    if targets:
        out.append(
            f"Tell {join_words(targets)}, whose name the messages use, and state publicly that "
            "the messages did not come from them."
        )
    if "phish.credential" in seen:
        out.append("Reset the passwords of anyone who signed in through the message's link.")
    out.append(
        "Block or flag mail from the entry servers and sender domains in the indicator "
        "tables, and share the indicators with your information-sharing centre."
    )
    out.append(
        "Keep the original messages unaltered as evidence; do not forward them as screenshots."
    )
    return tuple(out)


def facts(categories: Iterable[str]) -> tuple[str, ...]:
    """The taxonomy's rebuttals for the categories seen: what to tell voters."""
    return tuple(
        rebuttal
        for name in ordered(categories)
        if (known := CATEGORIES.get(name)) and (rebuttal := known.rebuttal)
    )
