"""What messages say: intimidation, disinformation, phishing, extortion, and the
legitimate election, fundraising and newsletter mail that must not be flagged.

A template is a list of sentence slots, each with paraphrases. ``style`` (seeded
per campaign wave) fixes which paraphrase a wave uses, so a wave reads as one
template with filled slots while campaigns and waves differ; ``rng`` (seeded per
message) fills the recipient's data and small per-message choices. Every
sentence carries the categories it expresses, so a label's categories are
exactly what the body says. Personal data inserted is recorded verbatim.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import msgspec

from pollwatch.synth.labels import PersonalField, PersonalFieldName
from pollwatch.synth.people import PARTIES_ES, Person

Slot = Sequence[tuple[str, tuple[str, ...]]]  # paraphrases: (text with {fields}, categories)


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who a campaign claims to be, and what it wants."""

    name: str
    address: str
    sign: str
    target_party: str = "Democrat"
    candidate: str = "Trump"
    demand_party: str = "Republican"
    office: str = ""  # impersonated election office, for disinfo and phishing
    link: str = ""


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    paragraphs: tuple[str, ...]
    categories: tuple[str, ...]
    personal: tuple[PersonalField, ...]


_FIELDS: dict[str, PersonalFieldName] = {
    "name": "name",
    "first": "name",
    "address": "address",
    "street": "address",
    "phone": "phone",
    "party": "party",
    "party_es": "party",
    "precinct": "precinct",
    "voter_id": "voter_id",
    "email": "email",
}

TC = ("threat.violence", "intimidation.voter")
DA = ("claim.data_access",)


def _values(p: Person, actor: Actor) -> dict[str, str]:
    return {
        "name": p.name,
        "first": p.first,
        "address": p.address,
        "street": p.street,
        "city": p.city,
        "state": p.state,
        "county": p.county,
        "phone": p.phone,
        "party": p.party,
        "party_es": PARTIES_ES[p.party],
        "precinct": p.precinct,
        "voter_id": p.voter_id,
        "email": p.email,
        "candidate": actor.candidate,
        "demand_party": actor.demand_party,
        "group": actor.name,
        "sign": actor.sign,
        "office": actor.office,
        "link": actor.link,
        "demand_party_es": PARTIES_ES.get(actor.demand_party, actor.demand_party),
    }


def _fill(text: str, values: dict[str, str], personal: list[PersonalField]) -> str:
    for key, field in _FIELDS.items():
        if "{" + key + "}" in text:
            personal.append(PersonalField(field, values[key]))
    return text.format(**values)


def _compose(
    slots: Sequence[Slot],
    style: random.Random,
    rng: random.Random,
    values: dict[str, str],
    base: tuple[str, ...],
    keep: float = 1.0,
    required: frozenset[int] = frozenset(),
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[PersonalField, ...]]:
    """Pick the wave's paraphrase per slot; drop slots not ``required`` with 1 - ``keep``."""
    paragraphs: list[str] = []
    cats: set[str] = set(base)
    personal: list[PersonalField] = []
    for i, slot in enumerate(slots):
        text, slot_cats = slot[style.randrange(len(slot))]
        if not text or (i not in required and keep < 1.0 and rng.random() > keep):
            continue
        paragraphs.append(_fill(text, values, personal))
        cats.update(slot_cats)
    unique = tuple(dict.fromkeys(personal))  # PersonalField is hashable; keep first occurrence
    return tuple(paragraphs), tuple(sorted(cats)), unique


# --- intimidation -------------------------------------------------------------

INTIM_EN: tuple[Slot, ...] = (
    (("{name},", ()), ("{first},", ()), ("Dear {name}", ()), ("", ())),
    (
        ("We are in possession of all your information ({address}).", DA),
        ("We have all of your information, including your address: {address}.", DA),
        ("We know where you live. {street}, {city}.", (*DA, "threat.violence")),
        ("Your home address is {address}. We have it and much more.", DA),
    ),
    (
        (
            "You are currently registered as a {party} and we know this because we have gained "
            "access "
            "into the entire voting infrastructure.",
            (*DA, "intimidation.voter"),
        ),
        (
            "Your voter record says {party}, precinct {precinct}. We got it because we have "
            "access to "
            "the entire voting infrastructure.",
            (*DA, "intimidation.voter"),
        ),
        (
            "Voter ID {voter_id}, registered {party}. We are inside the voting system and we see "
            "everything.",
            (*DA, "intimidation.voter"),
        ),
    ),
    (
        ("You will vote for {candidate} on Election Day or we will come after you.", TC),
        ("Vote for {candidate} on November 3rd or we will come after you.", TC),
        ("You are going to vote {candidate}. If you don't, we will pay you a visit.", TC),
        ("Vote {candidate} or face the consequences. We will come to your house.", TC),
    ),
    (
        (
            "Change your party affiliation to {demand_party} to let us know you received our "
            "message "
            "and will comply.",
            ("intimidation.voter",),
        ),
        (
            "Re-register as a {demand_party} this week so we know you got this message.",
            ("intimidation.voter",),
        ),
        ("", ()),
    ),
    (
        ("We will know which candidate you voted for.", ("claim.vote_surveillance",)),
        (
            "Don't think your ballot is secret. We will see who you voted for.",
            ("claim.vote_surveillance",),
        ),
        (
            "We will know exactly how you voted, mail ballot or in person.",
            ("claim.vote_surveillance",),
        ),
    ),
    (("We also have your phone number, {phone}.", DA), ("", ()), ("", ())),
    (
        ("I would take this seriously if I were you.\n\nGood luck.", ()),
        ("This is your only warning.", ()),
        ("Take this seriously. We are watching.\n\n{sign}", ()),
    ),
)

INTIM_ES: tuple[Slot, ...] = (
    (("{name}:", ()), ("Estimado(a) {first}:", ()), ("", ())),
    (
        ("Tenemos toda su información ({address}).", DA),
        ("Sabemos dónde vive: {street}, {city}.", (*DA, "threat.violence")),
    ),
    (
        (
            "Usted está registrado como {party_es} y lo sabemos porque hemos obtenido acceso a "
            "toda la "
            "infraestructura electoral.",
            (*DA, "intimidation.voter"),
        ),
        (
            "Su registro electoral dice {party_es}, precinto {precinct}. Tenemos acceso a todo el "
            "sistema de votación.",
            (*DA, "intimidation.voter"),
        ),
    ),
    (
        ("Usted votará por {candidate} el día de las elecciones o iremos por usted.", TC),
        ("Vote por {candidate} el 3 de noviembre o iremos a buscarlo.", TC),
    ),
    (
        (
            "Cambie su afiliación a {demand_party_es} para hacernos saber que recibió nuestro "
            "mensaje y "
            "que va a cumplir.",
            ("intimidation.voter",),
        ),
        ("", ()),
    ),
    (
        ("Sabremos por qué candidato votó.", ("claim.vote_surveillance",)),
        ("No crea que su voto es secreto: sabremos cómo votó.", ("claim.vote_surveillance",)),
    ),
    (
        ("Yo tomaría esto en serio si fuera usted.\n\nBuena suerte.", ()),
        ("Esta es su única advertencia.\n\n{sign}", ()),
    ),
)

INTIM_SUBJECTS_EN = (
    "Vote for {candidate} or else!",
    "Vote for {candidate} or else",
    "Final warning",
    "We know who you are",
    "Vote {candidate} or else!!",
)
INTIM_SUBJECTS_ES = (
    "¡Vote por {candidate} o atiéngase a las consecuencias!",
    "Última advertencia",
    "Sabemos quién es usted",
)


def intimidation(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    slots = INTIM_ES if spanish else INTIM_EN
    subjects = INTIM_SUBJECTS_ES if spanish else INTIM_SUBJECTS_EN
    paras, cats, personal = _compose(
        slots, style, rng, values, ("impersonation",), keep=0.85, required=frozenset({0, 3})
    )
    return Rendered(style.choice(subjects).format(**values), paras, cats, personal)


# --- procedure disinformation ---------------------------------------------------

DIS_EN: tuple[Slot, ...] = (
    (("Dear {first},", ()), ("Dear Voter,", ()), ("Attention {county} County voters:", ())),
    (
        (
            "Due to record turnout, {demand_party} voters will cast their ballots on Wednesday, "
            "November 4. {party} voters vote Tuesday, November 3.",
            ("disinfo.procedure",),
        ),
        (
            "To reduce lines, you can now vote by text message. Text VOTE followed by your "
            "candidate's "
            "name to 88022 before 8 p.m. on Election Day.",
            ("disinfo.procedure",),
        ),
        (
            "Your polling place for precinct {precinct} has moved. Because of a facility problem, "
            "precinct {precinct} now votes only on November 5.",
            ("disinfo.procedure",),
        ),
        (
            "Mail ballots returned without a notarized signature will be rejected this year. If "
            "you "
            "already mailed yours, you must vote again in person.",
            ("disinfo.procedure",),
        ),
    ),
    (
        ("No further action is needed if you follow these instructions.", ()),
        ("Please share this notice with family members who vote in {county} County.", ()),
        ("Questions can be answered at {link}.", ()),
    ),
    (("{office}", ()), ("Voter Services, {office}", ())),
)
DIS_ES: tuple[Slot, ...] = (
    (("Estimado(a) {first}:", ()), ("Estimado votante:", ())),
    (
        (
            "Debido a la alta participación, los votantes {demand_party_es}s votarán el "
            "miércoles 4 de "
            "noviembre.",
            ("disinfo.procedure",),
        ),
        (
            "Ahora puede votar por mensaje de texto. Envíe VOTAR y el nombre de su candidato al "
            "88022.",
            ("disinfo.procedure",),
        ),
    ),
    (("Comparta este aviso con su familia.", ()), ("Más información: {link}", ())),
    (("{office}", ()),),
)
DIS_SUBJECTS_EN = (
    "Important change to your voting date",
    "Election Day update for {county} County voters",
    "New: vote by text",
    "Notice: polling place change",
)
DIS_SUBJECTS_ES = ("Cambio importante en su fecha de votación", "Aviso electoral importante")


def disinfo(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    paras, cats, personal = _compose(
        DIS_ES if spanish else DIS_EN, style, rng, values, ("impersonation",)
    )
    subjects = DIS_SUBJECTS_ES if spanish else DIS_SUBJECTS_EN
    return Rendered(style.choice(subjects).format(**values), paras, cats, personal)


# --- credential phishing --------------------------------------------------------

PHISH_EN: tuple[Slot, ...] = (
    (("Dear {name},", ()), ("Hello {email},", ()), ("Dear user,", ())),
    (
        (
            "Our records show your voter registration is incomplete. To remain eligible to vote on "
            "November 3 you must verify your identity and log in with your email account.",
            ("phish.credential",),
        ),
        (
            "Your mailbox {email} has exceeded its storage quota. Incoming messages, including "
            "your "
            "ballot notifications, will be rejected.",
            ("phish.credential",),
        ),
        (
            "We could not confirm the mailing address on your registration. Sign in to confirm "
            "it or "
            "your registration will be cancelled.",
            ("phish.credential",),
        ),
    ),
    (
        ("Verify now: {link}", ("phish.credential",)),
        ("Click here to sign in and keep your registration active: {link}", ("phish.credential",)),
        ("Log in within 24 hours to avoid suspension: {link}", ("phish.credential",)),
    ),
    (("Thank you,\n{office}", ()), ("IT Help Desk", ()), ("{office} - Voter Registration", ())),
)
PHISH_ES: tuple[Slot, ...] = (
    (("Estimado(a) {name}:", ()), ("Hola {email}:", ())),
    (
        (
            "Su registro de votante está incompleto. Para poder votar debe verificar su "
            "identidad e "
            "iniciar sesión con su cuenta de correo.",
            ("phish.credential",),
        ),
    ),
    (("Verifique ahora: {link}", ("phish.credential",)),),
    (("{office}", ()),),
)
PHISH_SUBJECTS_EN = (
    "Action required: verify your voter registration",
    "Mailbox quota exceeded",
    "Your registration will be cancelled",
    "Confirm your account",
)
PHISH_SUBJECTS_ES = ("Acción requerida: verifique su registro de votante",)


def phish(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    paras, cats, personal = _compose(
        PHISH_ES if spanish else PHISH_EN, style, rng, values, ("impersonation",)
    )
    subjects = PHISH_SUBJECTS_ES if spanish else PHISH_SUBJECTS_EN
    return Rendered(style.choice(subjects), paras, cats, personal)


# --- extortion ----------------------------------------------------------------

EXT_EN: tuple[Slot, ...] = (
    (("Hello!", ()), ("Hi {email},", ()), ("{first},", ())),
    (
        (
            "I have access to your device and to your account {email}. I installed software that "
            "recorded you through your camera.",
            ("extortion",),
        ),
        (
            "We have copied your voter file record and your browsing history. We know where you "
            "live: "
            "{address}.",
            ("extortion", "claim.data_access"),
        ),
        (
            "Your computer was infected with my malware months ago. I have all your contacts.",
            ("extortion",),
        ),
    ),
    (
        ("Send ${amount} in Bitcoin to this address: {wallet}", ("extortion",)),
        ("Transfer ${amount} (USD) in BTC to {wallet} within 48 hours.", ("extortion",)),
    ),
    (
        (
            "If I do not receive the payment, everything goes to your contacts, employer and local "
            "party office.",
            ("extortion",),
        ),
        ("After payment I will delete everything. Otherwise it will be published.", ("extortion",)),
    ),
)
EXT_SUBJECTS = (
    "Security alert for your account",
    "I know your secret",
    "Payment required",
    "{email} was compromised",
)


def extortion(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    values["amount"] = f"{style.choice((950, 1200, 1450, 1650, 2000)):,}"
    values["wallet"] = "bc1q" + "".join(style.choices("023456789acdefghjklmnpqrstuvwxyz", k=38))
    paras, cats, personal = _compose(EXT_EN, style, rng, values, ())
    return Rendered(style.choice(EXT_SUBJECTS).format(**values), paras, cats, personal)


# --- hard negatives -------------------------------------------------------------

ELECTION_EN: tuple[Slot, ...] = (
    (("Dear {name},", ()), ("Dear {first},", ()), ("Hello {first},", ())),
    (
        (
            "Election Day is Tuesday, November 3. Your polling place for precinct {precinct} is "
            "open "
            "from 7 a.m. to 7 p.m. Bring a photo ID.",
            (),
        ),
        (
            "Your vote-by-mail ballot was mailed to {address}. Sign the return envelope and make "
            "sure "
            "we receive it by 7 p.m. on Election Day.",
            (),
        ),
        (
            "We received your mail ballot and it has been accepted. Voter ID {voter_id}. Thank "
            "you for "
            "voting.",
            (),
        ),
        (
            "You may have seen emails claiming someone knows how you voted. Your vote is secret: "
            "no "
            "one can see who you voted for, and voter registration data does not record your "
            "ballot "
            "choices.",
            (),
        ),
    ),
    (
        ("Track your ballot or find your polling place at {link}.", ()),
        ("Early voting runs through November 1 at all early voting sites in {county} County.", ()),
        (
            "If you receive a threatening message, report it to local law enforcement and to our "
            "office.",
            (),
        ),
    ),
    (("{office}", ()), ("Supervisor of Elections\n{office}", ())),
)
ELECTION_ES: tuple[Slot, ...] = (
    (("Estimado(a) {name}:", ()),),
    (
        (
            "El día de las elecciones es el martes 3 de noviembre. Su lugar de votación para el "
            "precinto {precinct} abre de 7 a.m. a 7 p.m.",
            (),
        ),
        ("Su voto es secreto: nadie puede saber por quién votó.", ()),
    ),
    (("Consulte el estado de su boleta en {link}.", ()),),
    (("{office}", ()),),
)
ELECTION_SUBJECTS_EN = (
    "Your polling place for November 3",
    "Your mail ballot is on its way",
    "Your ballot has been accepted",
    "Your vote is secret",
    "Election Day reminder",
)
ELECTION_SUBJECTS_ES = ("Recordatorio del día de las elecciones", "Su voto es secreto")


def legit_election(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    paras, _, personal = _compose(ELECTION_ES if spanish else ELECTION_EN, style, rng, values, ())
    subjects = ELECTION_SUBJECTS_ES if spanish else ELECTION_SUBJECTS_EN
    return Rendered(style.choice(subjects), paras, (), personal)


FUND_EN: tuple[Slot, ...] = (
    (("{first},", ()), ("Friend,", ()), ("{first} -", ())),
    (
        ("FINAL NOTICE: our records show you haven't renewed your membership for 2020.", ()),
        (
            "We're being outspent 3 to 1 in the final stretch, and every dollar is being matched "
            "until midnight.",
            (),
        ),
        (
            "This is the most important election of our lifetime, and our end-of-month deadline is "
            "hours away.",
            (),
        ),
    ),
    (
        ("Chip in $5 now: {link}", ()),
        ("Will you give $10 or $25 before midnight? {link}", ()),
        ("Renew today: {link}", ()),
    ),
    (("Thank you,\n{sign}", ()), ("{sign}", ())),
    (
        (
            "Paid for by {group}. Not authorized by any candidate or candidate's committee. "
            "Contributions are not tax deductible.",
            (),
        ),
    ),
)


def fundraising(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    paras, _, personal = _compose(FUND_EN, style, rng, values, ())
    subject = style.choice(
        (
            "FINAL NOTICE",
            "Re: your membership",
            "{first}, this is urgent",
            "Triple match ends tonight",
            "We're being outspent",
        )
    )
    return Rendered(subject.format(**values), paras, (), personal)


NEWS_EN: tuple[Slot, ...] = (
    (("This week in {county} County:", ()), ("Hi {first},", ()), ("Good morning,", ())),
    (
        (
            "What's on your ballot: a nonpartisan guide to the county commission races and the two "
            "charter amendments.",
            (),
        ),
        (
            "How to make sure your mail ballot counts: sign the envelope, use the secrecy sleeve, "
            "and return it early.",
            (),
        ),
        ("Meet the candidates: forum recordings from last Thursday are now online.", ()),
    ),
    (("Read more at {link}", ()),),
    (("You are receiving this because you subscribed to {group} updates.", ()),),
)


def newsletter(
    p: Person, actor: Actor, spanish: bool, style: random.Random, rng: random.Random
) -> Rendered:
    values = _values(p, actor)
    paras, _, personal = _compose(NEWS_EN, style, rng, values, ())
    subject = style.choice(
        (
            "Your weekly civic update",
            "Ballot guide: what to know",
            "{county} County election roundup",
        )
    )
    return Rendered(subject.format(**values), paras, (), personal)


RENDERERS = {
    "intimidation": intimidation,
    "disinfo_procedure": disinfo,
    "phish": phish,
    "extortion": extortion,
    "legit_election": legit_election,
    "fundraising": fundraising,
    "newsletter": newsletter,
}
