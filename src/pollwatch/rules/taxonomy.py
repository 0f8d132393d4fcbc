"""The closed vocabulary of finding categories and severities.

``docs/categories.md`` is the reader's copy of this table; a test keeps them
in step. Each false-claim category carries a default rebuttal, written for
pollwatch from the public guidance named in its references; a rule may give
its own, more specific rebuttal.
"""

from __future__ import annotations

import msgspec


class Reference(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: str
    url: str


class Category(msgspec.Struct, frozen=True):
    name: str
    definition: str
    election: bool  # counted in the "election categories" misfire rate
    content: bool  # decided from the message text (impersonation is not)
    rebuttal: str | None = None
    references: tuple[Reference, ...] = ()


_CISA_304A = Reference(
    "CISA/FBI advisory AA20-304A: Iranian actor targeting U.S. election websites",
    "https://www.cisa.gov/news-events/cybersecurity-advisories/aa20-304a",
)
_FBI_PSA = Reference(
    "FBI/CISA PSA I-092820-PSA: false claims of hacked voter information",
    "https://www.ic3.gov/Media/Y2020/PSA200928",
)
_RUMOR = Reference(
    "CISA: Rumor vs. Reality (election security)", "https://www.cisa.gov/rumor-vs-reality"
)
_USAGOV = Reference("USA.gov: how to vote", "https://www.usa.gov/how-to-vote")
_INTIM_LAW = Reference(
    "18 U.S.C. § 594: intimidation of voters", "https://www.law.cornell.edu/uscode/text/18/594"
)
_FTC_PHISH = Reference(
    "FTC: how to recognize and avoid phishing scams",
    "https://consumer.ftc.gov/articles/how-recognize-and-avoid-phishing-scams",
)
_FTC_BTC = Reference(
    "FTC consumer alert: scam emails demand Bitcoin, threaten blackmail",
    "https://consumer.ftc.gov/consumer-alerts/2020/04/scam-emails-demand-bitcoin-threaten-blackmail",
)

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "threat.violence",
            "Threatens physical harm to the recipient, their family or property, openly or "
            "veiled ('we will come after you', 'we know where you live', 'iremos por usted').",
            election=True,
            content=True,
            references=(_INTIM_LAW,),
        ),
        Category(
            "intimidation.voter",
            "Coerces how, whether or for whom the recipient votes, or their party "
            "registration: vote demands with consequences, orders to change party or to stay "
            "home.",
            election=True,
            content=True,
            rebuttal=(
                "Intimidating, threatening or coercing anyone to make them vote or not vote, or "
                "to vote for a candidate, is a federal crime. Report the message to local law "
                "enforcement, your election office and the FBI. No one can force a change of "
                "your party registration, and no one can see how you vote."
            ),
            references=(_INTIM_LAW, _CISA_304A),
        ),
        Category(
            "claim.data_access",
            "Claims to hold the recipient's personal data, or to have broken into voter "
            "registration databases or 'the entire voting infrastructure'.",
            election=True,
            content=True,
            rebuttal=(
                "Names, addresses and party affiliation are in voter registration lists that many "
                "states make available to campaigns and the public, so quoting them proves no "
                "break-in. Claims of access to voting systems made to scare voters have been "
                "false: federal agencies found no evidence that such claims meant votes could be "
                "changed or seen."
            ),
            references=(_FBI_PSA, _CISA_304A),
        ),
        Category(
            "claim.vote_surveillance",
            "Claims to know, or to be able to find out, how the recipient voted.",
            election=True,
            content=True,
            rebuttal=(
                "Your ballot is secret. Election officials record whether you voted, never whom "
                "you voted for, and counted ballots cannot be linked back to the voter. No "
                "group, campaign or hacker can find out how you voted."
            ),
            references=(_CISA_304A, _RUMOR),
        ),
        Category(
            "disinfo.procedure",
            "States false voting procedures: a different election date (for a party, a "
            "precinct or a group), voting by text, phone, e-mail or reply, a polling place "
            "'moved' to a later date, invented requirements such as notarisation or voting twice.",
            election=True,
            content=True,
            rebuttal=(
                "Election Day is the same for every voter, whatever their party or precinct. "
                "You cannot vote by text message, phone call, e-mail or by replying to a "
                "message. Check dates, polling places and requirements only with your state or "
                "local election office."
            ),
            references=(_USAGOV, _RUMOR),
        ),
        Category(
            "phish.credential",
            "Asks the recipient to sign in, verify an account or give a password, usually "
            "through a link and under a deadline (mailbox quota, account suspension, "
            "'verify your voter registration').",
            election=False,
            content=True,
            rebuttal=(
                "Election offices never ask for your e-mail password. Check your registration "
                "only on your state's official election website, typed in yourself, not through "
                "a link in a message."
            ),
            references=(_FTC_PHISH,),
        ),
        Category(
            "extortion",
            "Demands payment (often cryptocurrency) under threat of exposure, publication or harm.",
            election=False,
            content=True,
            rebuttal=(
                "These blackmail messages are sent in bulk; the claims of recordings or hacked "
                "devices are usually invented. Do not pay; report the message."
            ),
            references=(_FTC_BTC,),
        ),
        Category(
            "impersonation",
            "Pretends to come from a person or organisation it does not: a group, party, "
            "candidate or election office. Decided mainly by the sender analysis (display "
            "name, lookalike domain, reply-to divergence).",
            election=True,
            content=False,
        ),
    )
}

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

CONTENT_CATEGORIES: tuple[str, ...] = tuple(n for n, c in CATEGORIES.items() if c.content)
ELECTION_CATEGORIES: tuple[str, ...] = tuple(n for n, c in CATEGORIES.items() if c.election)
