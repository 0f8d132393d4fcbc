"""Campaign plans (who, when, through which infrastructure) and the generator.

``plan`` draws every campaign and wave from the seed once: a wave has a time
window, a sending profile, one to three relays in one country, and (for relayed
mail) an injecting host elsewhere. ``generate`` then makes message ``i`` from
its own ``random.Random`` seeded with (seed, i), so output is a pure function of
the config and never held in memory.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from pollwatch.synth.content import RENDERERS, Actor, Rendered
from pollwatch.synth.labels import (
    KINDS,
    Kind,
    Label,
    Provider,
    SynthConfig,
    SynthMessage,
)
from pollwatch.synth.mime import render
from pollwatch.synth.netdata import HOSTING, RELAYS, NetBlock, pick_ip, rdns
from pollwatch.synth.people import Person, make_person
from pollwatch.synth.providers import receive
from pollwatch.synth.reports import wrap
from pollwatch.synth.senders import PROFILES, Composed, Content, Route, esp_route

# Relay countries of the intimidation waves, in order (the 2020 case: EE, SA, AE, SG).
WAVE_COUNTRIES = ("EE", "SA", "AE", "SG")
INTIM_PROFILES = ("phpmailer-cpanel", "relay-postfix", "relay-exim")
# Invented site names for compromised relays, per country TLD.
SITE_WORDS = (
    "kivimaja",
    "puutoo",
    "alnakheel",
    "gulfbreeze",
    "lionharbour",
    "sandrose",
    "oasisline",
    "merelaine",
    "pearlcoast",
    "redsea",
    "harbourview",
    "baltica",
)
TLDS = {
    "EE": "ee",
    "SA": "com.sa",
    "AE": "ae",
    "SG": "com.sg",
    "NL": "nl",
    "RO": "ro",
    "FR": "fr",
    "DE": "de",
    "RU": "ru",
    "GB": "co.uk",
    "US": "com",
    "BR": "com.br",
    "VN": "vn",
    "IN": "in",
    "NG": "com.ng",
    "PH": "ph",
    "CN": "cn",
}

INTIM_ACTORS = (
    Actor(name="Proud Boys", address="info@officialproudboys.com", sign="Proud Boys"),
    Actor(name="Patriot Vanguard", address="command@patriotvanguard-hq.com", sign="- The Vanguard"),
    Actor(
        name="Liberty Sentinels",
        address="alerts@libertysentinels-us.org",
        sign="Liberty Sentinels",
        target_party="Republican",
        candidate="Biden",
        demand_party="Democrat",
    ),
    Actor(name="Iron Eagle Brigade", address="brigade@ironeaglebrigade.net", sign="IEB"),
)
DISINFO_ACTORS = (
    Actor(
        name="Cypress County Elections",
        address="noreply@cypresscounty-elections.com",
        sign="",
        office="Cypress County Supervisor of Elections",
        link="https://cypresscounty-elections.com/update",
        demand_party="Republican",
        target_party="Democrat",
    ),
    Actor(
        name="Saguaro County Voter Services",
        address="notice@saguarocounty-vote.org",
        sign="",
        office="Saguaro County Recorder",
        link="https://saguarocounty-vote.org/faq",
        demand_party="Democrat",
        target_party="Republican",
    ),
    Actor(
        name="PA Election Notices",
        address="update@pa-ballot-notice.com",
        sign="",
        office="Laurel County Board of Elections",
        link="https://pa-ballot-notice.com/info",
        demand_party="Republican",
        target_party="Democrat",
    ),
)
PHISH_ACTORS = (
    Actor(
        name="Voter Registration Office",
        address="verify@voter-registration-check.com",
        sign="",
        office="Voter Registration Office",
        link="https://voter-registration-check.com/login.php",
    ),
    Actor(
        name="IT Service Desk",
        address="helpdesk@mailbox-quota-admin.net",
        sign="",
        office="IT Service Desk",
        link="http://mailbox-quota-admin.net/owa/auth/logon.aspx",
    ),
    Actor(
        name="Kenai Ridge Borough Elections",
        address="elections@kenairidge-vote.info",
        sign="",
        office="Kenai Ridge Borough Elections",
        link="https://kenairidge-vote.info/verify",
    ),
)
EXTORT_ACTORS = (
    Actor(name="", address="{self}", sign=""),
    Actor(name="Anonymous", address="no-reply@securemail-notice.net", sign=""),
)
LEGIT: dict[str, tuple[tuple[Actor, str], ...]] = {
    "legit_election": (
        (
            Actor(
                name="Cypress County Supervisor of Elections",
                address="noreply@elections.cypresscountyfl.gov",
                sign="",
                office="Cypress County Supervisor of Elections",
                link="https://elections.cypresscountyfl.gov/ballot-status",
            ),
            "amazon-ses",
        ),
        (
            Actor(
                name="Saguaro County Recorder",
                address="ballots@vote.saguarocountyaz.gov",
                sign="",
                office="Saguaro County Recorder",
                link="https://vote.saguarocountyaz.gov/track",
            ),
            "mailgun",
        ),
        (
            Actor(
                name="Kenai Ridge Borough Elections",
                address="elections@kenairidgeak.gov",
                sign="",
                office="Kenai Ridge Borough Elections",
                link="https://www.kenairidgeak.gov/elections",
            ),
            "sendgrid",
        ),
        (
            Actor(
                name="Laurel County Board of Elections",
                address="voterservices@vote.laurelcountypa.gov",
                sign="",
                office="Laurel County Board of Elections",
                link="https://vote.laurelcountypa.gov/mail-ballot",
            ),
            "amazon-ses",
        ),
    ),
    "fundraising": (
        (
            Actor(
                name="Dana Greythorne",
                address="dana@greythorneforcongress.com",
                sign="Dana Greythorne",
                link="https://secure.greythorneforcongress.com/donate",
            ),
            "sendgrid",
        ),
        (
            Actor(
                name="Sunshine Democrats Victory Fund",
                address="info@sunshinedemsvictory.org",
                sign="The Victory Fund team",
                link="https://sunshinedemsvictory.org/give",
            ),
            "mailgun",
        ),
        (
            Actor(
                name="Keystone Republican Action",
                address="team@keystonegopaction.com",
                sign="Keystone Republican Action",
                link="https://keystonegopaction.com/renew",
            ),
            "sendgrid",
        ),
    ),
    "newsletter": (
        (
            Actor(
                name="Cypress Civic Weekly",
                address="news@cypresscivicweekly.org",
                sign="",
                link="https://cypresscivicweekly.org/ballot-guide",
            ),
            "mailgun",
        ),
        (
            Actor(
                name="Saguaro Voter Forum",
                address="updates@saguarovoterforum.org",
                sign="",
                link="https://saguarovoterforum.org/forums",
            ),
            "amazon-ses",
        ),
    ),
}
SPANISH_KINDS = frozenset({"intimidation", "disinfo_procedure", "phish", "legit_election"})
PROVIDER_WEIGHTS: dict[str, tuple[float, ...]] = {  # gmail, yahoo, comcast, m365, university
    "intimidation": (0.32, 0.14, 0.12, 0.14, 0.28),
    "default": (0.38, 0.16, 0.14, 0.2, 0.12),
}
PROVIDER_ORDER: tuple[Provider, ...] = ("gmail", "yahoo", "comcast", "m365", "university")


class Relay(msgspec.Struct, frozen=True):
    block: NetBlock
    ip: str
    host: str
    site: str


class Wave(msgspec.Struct, frozen=True):
    number: int
    start_s: float  # seconds after config.start
    duration_s: float
    profile: str
    relays: tuple[Relay, ...]
    origin: Relay | None


class Campaign(msgspec.Struct, frozen=True):
    id: str
    kind: Kind
    actor: Actor
    waves: tuple[Wave, ...]


def _relay(block: NetBlock, rng: random.Random) -> Relay:
    ip = pick_ip(block, rng)
    site = (
        f"{rng.choice(SITE_WORDS)}-{rng.choice(('media', 'trade', 'group', 'web', 'studio'))}"
        f".{TLDS[block.country]}"
    )
    host = rdns(block, ip) or rng.choice(
        (f"mail.{site}", f"server{rng.randint(1, 40)}.{site}", f"vps{rng.randint(100, 999)}.{site}")
    )
    return Relay(block, ip, host, site)


def _waves(kind: Kind, index: int, config: SynthConfig, rng: random.Random) -> tuple[Wave, ...]:
    n = rng.randint(config.min_waves, config.max_waves)
    if kind == "intimidation" and index == 0:  # the case: one wave per relay country
        n = max(n, min(len(WAVE_COUNTRIES), config.max_waves))
    span = config.span_days * 86400
    t = rng.uniform(0, span * 0.3)
    waves = []
    for w in range(n):
        if kind == "intimidation":
            country = (
                WAVE_COUNTRIES[(w + index) % len(WAVE_COUNTRIES)]
                if w < 4
                else rng.choice(("NL", "RO", "GB"))
            )
            pool = [b for b in (*RELAYS, *HOSTING) if b.country == country]
            profile = INTIM_PROFILES[(w + index) % len(INTIM_PROFILES)]
        else:
            pool = [rng.choice(HOSTING)]
            profile = rng.choice(("vps-postfix", "phpmailer-cpanel", "relay-postfix"))
        relays = tuple(_relay(rng.choice(pool), rng) for _ in range(rng.randint(1, 3)))
        origin = None
        if profile.startswith("relay-"):
            options = [b for b in HOSTING if b.country != relays[0].block.country]
            origin = _relay(rng.choice(options), rng)
        duration = rng.uniform(1800, 6 * 3600)
        waves.append(Wave(w + 1, min(t, span), duration, profile, relays, origin))
        t += duration + rng.uniform(6 * 3600, 48 * 3600) * (span / (14 * 86400))
    return tuple(waves)


def plan(config: SynthConfig) -> tuple[Campaign, ...]:
    """Every campaign and wave, drawn once from the seed."""
    rng = random.Random(f"pollwatch-synth/plan/{config.seed}")
    counts: tuple[tuple[Kind, int, tuple[Actor, ...], str], ...] = (
        ("intimidation", config.intimidation_campaigns, INTIM_ACTORS, "intim"),
        ("disinfo_procedure", config.disinfo_campaigns, DISINFO_ACTORS, "disinfo"),
        ("phish", config.phish_campaigns, PHISH_ACTORS, "phish"),
        ("extortion", config.extortion_campaigns, EXTORT_ACTORS, "extort"),
    )
    out: list[Campaign] = []
    for kind, n, actors, tag in counts:
        for i in range(n):
            waves = _waves(kind, i, config, rng)
            out.append(Campaign(f"{tag}-{i + 1:02d}", kind, actors[i % len(actors)], waves))
    return tuple(out)


def generate(
    config: SynthConfig, first: int = 0, stop: int | None = None
) -> Iterator[SynthMessage]:
    """Stream ``config.count`` labelled messages; deterministic in ``config``.

    ``first`` and ``stop`` give messages ``first`` to ``stop - 1`` only, without
    rendering the others: each message depends only on the configuration and
    its number.
    """
    campaigns = plan(config)
    by_kind: dict[str, list[Campaign]] = {}
    for c in campaigns:
        by_kind.setdefault(c.kind, []).append(c)
    weights = config.mix.weights()
    for i in range(first, config.count if stop is None else min(stop, config.count)):
        rng = random.Random(f"pollwatch-synth/{config.seed}/{i}")
        kind: Kind = rng.choices(KINDS, weights)[0]  # type: ignore[assignment]
        yield _message(i, kind, config, by_kind.get(kind, []), rng)


def _message(
    i: int, kind: Kind, config: SynthConfig, pool: list[Campaign], rng: random.Random
) -> SynthMessage:
    campaign: Campaign | None = None
    if pool and (
        kind in ("intimidation", "disinfo_procedure") or rng.random() < config.campaign_fraction
    ):
        campaign = rng.choice(pool)
    spanish = kind in SPANISH_KINDS and rng.random() < config.spanish_fraction
    weights = PROVIDER_WEIGHTS.get(kind, PROVIDER_WEIGHTS["default"])
    provider = rng.choices(PROVIDER_ORDER, weights)[0]
    wave: Wave | None = None
    legit_profile = ""
    if campaign is not None:
        wave = rng.choice(campaign.waves)
        actor = campaign.actor
        style = random.Random(f"{config.seed}/{campaign.id}/{wave.number}")
        offset = wave.start_s + rng.uniform(0, wave.duration_s)
    else:
        actor, legit_profile = _background_actor(kind, rng)
        style = random.Random(f"{config.seed}/{actor.address}/{rng.randrange(4)}")
        offset = rng.uniform(0, config.span_days * 86400)
    party = actor.target_party if kind in ("intimidation", "disinfo_procedure") else None
    person = make_person(rng, provider, spanish, party)
    t = config.start + timedelta(seconds=round(offset))
    rendered = RENDERERS[kind](person, actor, spanish, style, rng)
    from_addr = person.email if actor.address == "{self}" else actor.address
    legit = kind in LEGIT
    content = Content(
        subject=rendered.subject,
        paragraphs=rendered.paragraphs,
        from_name=actor.name,
        from_addr=from_addr,
        language="es" if spanish else "en",
        html=legit or rng.random() < 0.5,
        list_unsubscribe=f"{actor.link}/unsubscribe?u={rng.randrange(10**9)}" if legit else None,
        reply_to=_reply_to(kind, rng),
    )
    if wave is not None:
        relay = rng.choice(wave.relays)
        route = Route(
            edge=relay.block,
            edge_ip=relay.ip,
            edge_host=relay.host,
            origin=wave.origin.block if wave.origin else None,
            origin_ip=wave.origin.ip if wave.origin else None,
            mail_domain=relay.site,
        )
        profile = wave.profile
    elif legit:
        profile = legit_profile
        route = esp_route(profile, from_addr.rsplit("@", 1)[1], rng)
    else:
        relay = _relay(rng.choice(HOSTING), rng)
        profile = rng.choice(("vps-postfix", "phpmailer-cpanel"))
        route = Route(
            edge=relay.block, edge_ip=relay.ip, edge_host=relay.host, mail_domain=relay.site
        )
    composed = PROFILES[profile](content, person, route, t, rng)
    top, bottom, _ = receive(provider, composed.handover, person.email, rng)
    raw = render([*top, *composed.headers, *bottom], composed.body)
    return _finish(
        i, raw, kind, campaign, wave, rendered, person, content, composed, t, config, rng
    )


def _background_actor(kind: Kind, rng: random.Random) -> tuple[Actor, str]:
    if kind in LEGIT:
        return rng.choice(LEGIT[kind])
    actors = {"phish": PHISH_ACTORS, "extortion": EXTORT_ACTORS}.get(kind, DISINFO_ACTORS)
    return rng.choice(actors), ""


def _reply_to(kind: Kind, rng: random.Random) -> str | None:
    if kind in ("phish", "extortion") and rng.random() < 0.4:
        return (
            f"{rng.choice(('support', 'secure', 'admin'))}{rng.randint(1, 99)}@"
            f"{rng.choice(('protonmail.com', 'outlook.com', 'mail.ru'))}"
        )
    return None


def _finish(
    i: int,
    raw: bytes,
    kind: Kind,
    campaign: Campaign | None,
    wave: Wave | None,
    rendered: Rendered,
    person: Person,
    content: Content,
    composed: Composed,
    sent_at: datetime,
    config: SynthConfig,
    rng: random.Random,
) -> SynthMessage:
    hand = composed.handover
    report_kind: Literal["attachment", "inline"] | None = None
    inner: str | None = None
    box: str | None = None
    legit = kind in LEGIT
    if rng.random() < config.report_fraction * (0.2 if legit else 1.0):
        report_kind = "attachment" if rng.random() < config.report_attachment_share else "inline"
        sent = hand.at + timedelta(minutes=rng.randint(3, 600))
        if report_kind == "attachment":
            inner = hashlib.sha256(raw).hexdigest()
        raw, box = wrap(raw, content, person, report_kind, sent, rng, hand.at, legit)
    label = Label(
        sha256=hashlib.sha256(raw).hexdigest(),
        campaign=campaign.id if campaign else None,
        wave=wave.number if wave else None,
        kind=kind,
        categories=rendered.categories,
        provider=person.provider,
        recipient=person.email,
        edge_ip=hand.edge_ip,
        edge_country=hand.edge_country,
        edge_asn=hand.edge_asn,
        origin_ip=hand.origin_ip,
        origin_country=hand.origin_country,
        language=content.language,
        personalization=rendered.personal,
        report_kind=report_kind,
        inner_sha256=inner,
        reporter=person.email if report_kind else None,
        report_to=box,
        sent_at=sent_at,
        sender=content.from_addr,
        mailer=composed.mailer,
        index=i,
    )
    return SynthMessage(raw, label)
