"""Invented voters and mailboxes.

Every name is drawn from the lists below; surnames are invented so that no
generated person matches a real voter-file record. Streets are generic names,
phone numbers use the 555-01xx range reserved for fiction, and voter ids are
random digits. Cities, states and ZIP prefixes are real places (not personal
data) so addresses parse like real ones.
"""

from __future__ import annotations

import random

import msgspec

from pollwatch.synth.labels import Provider

FIRST_NAMES_EN: tuple[str, ...] = (
    "Aaron",
    "Abigail",
    "Alan",
    "Alicia",
    "Amber",
    "Andrew",
    "Angela",
    "Brandon",
    "Brenda",
    "Caleb",
    "Carla",
    "Carol",
    "Chris",
    "Dana",
    "Daniel",
    "Deborah",
    "Derek",
    "Diane",
    "Eleanor",
    "Ethan",
    "Faith",
    "Gary",
    "Gloria",
    "Grace",
    "Heather",
    "Ian",
    "Jacob",
    "Janet",
    "Jason",
    "Jenna",
    "Joel",
    "Karen",
    "Keith",
    "Kelsey",
    "Laura",
    "Leon",
    "Linda",
    "Logan",
    "Marcus",
    "Megan",
    "Nathan",
    "Nina",
    "Owen",
    "Paula",
    "Peter",
    "Rachel",
    "Reggie",
    "Ruth",
    "Samuel",
    "Sandra",
    "Shawn",
    "Tamara",
    "Terrence",
    "Tina",
    "Travis",
    "Valerie",
    "Wade",
    "Wendy",
    "Yvonne",
    "Zachary",
)
FIRST_NAMES_ES: tuple[str, ...] = (
    "Alejandro",
    "Ana",
    "Andrés",
    "Beatriz",
    "Camila",
    "Carlos",
    "Daniela",
    "Diego",
    "Elena",
    "Esteban",
    "Fernanda",
    "Gabriel",
    "Guadalupe",
    "Inés",
    "Javier",
    "José",
    "Lucía",
    "Luis",
    "Marisol",
    "María",
    "Martín",
    "Nicolás",
    "Paola",
    "Ramón",
    "Rosa",
    "Sofía",
    "Tomás",
    "Valentina",
    "Víctor",
    "Ximena",
)
# Invented surnames: plausible shapes, chosen to avoid matching real people.
SURNAMES_EN: tuple[str, ...] = (
    "Ashvale",
    "Barrowick",
    "Bellingrath",
    "Brackenridge",
    "Calloway-Tunn",
    "Carrowby",
    "Dunmorrow",
    "Eldercroft",
    "Fairwhistle",
    "Farrowdale",
    "Galloshire",
    "Greythorne",
    "Hadderley",
    "Hollowmere",
    "Ivensby",
    "Jastrowe",
    "Kettleburn",
    "Kindersley-Ott",
    "Larkhollow",
    "Lindqvarn",
    "Marrowfield",
    "Mossgrave",
    "Nettlefold",
    "Norrington-Bly",
    "Oakenshaw",
    "Ostrander-Pell",
    "Pemberwick",
    "Quarrington",
    "Quellmore",
    "Ravensholt",
    "Rookwell",
    "Saltonbury",
    "Scarrowby",
    "Thistlewood",
    "Tillinghurst",
    "Umberfield",
    "Vantrowe",
    "Wexmoor",
    "Whitlocke-Ames",
    "Yarrowby",
)
SURNAMES_ES: tuple[str, ...] = (
    "Albarreda",
    "Bercianos",
    "Caravantes",
    "Dorronsoro",
    "Escalderón",
    "Fuentealba",
    "Garcilópez",
    "Hinojedo",
    "Iturrioz",
    "Larrañeta",
    "Monteverdi-Ruiz",
    "Navalmoral",
    "Olazábal-Paz",
    "Peñarredonda",
    "Quintavalle",
    "Riofrío",
    "Salvatierra-Nuño",
    "Tordesillas",
    "Urquiaga",
    "Villaseñor-Ortúzar",
)
STREETS: tuple[str, ...] = (
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Magnolia",
    "Cypress",
    "Palmetto",
    "Willow",
    "Juniper",
    "Sycamore",
    "Hickory",
    "Laurel",
    "Mesquite",
    "Saguaro",
    "Spruce",
    "Birch",
    "Chestnut",
    "Lakeview",
    "Ridge",
    "Harbor",
    "Sunset",
    "Meadow",
    "Canyon",
    "Orchard",
)
SUFFIXES: tuple[str, ...] = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Ter")
# (city, state, ZIP prefix, area code, county)
PLACES: tuple[tuple[str, str, str, str, str], ...] = (
    ("Gainesville", "FL", "326", "352", "Alachua"),
    ("Alachua", "FL", "326", "386", "Alachua"),
    ("Ocala", "FL", "344", "352", "Marion"),
    ("Tampa", "FL", "336", "813", "Hillsborough"),
    ("Orlando", "FL", "328", "407", "Orange"),
    ("Miami", "FL", "331", "305", "Miami-Dade"),
    ("Anchorage", "AK", "995", "907", "Anchorage"),
    ("Fairbanks", "AK", "997", "907", "Fairbanks North Star"),
    ("Juneau", "AK", "998", "907", "Juneau"),
    ("Phoenix", "AZ", "850", "602", "Maricopa"),
    ("Mesa", "AZ", "852", "480", "Maricopa"),
    ("Tucson", "AZ", "857", "520", "Pima"),
    ("Philadelphia", "PA", "191", "215", "Philadelphia"),
    ("Pittsburgh", "PA", "152", "412", "Allegheny"),
    ("Harrisburg", "PA", "171", "717", "Dauphin"),
)
PARTIES: tuple[str, ...] = ("Democrat", "Republican", "Independent", "Libertarian")
PARTIES_ES = {
    "Democrat": "demócrata",
    "Republican": "republicano",
    "Independent": "independiente",
    "Libertarian": "libertario",
}

# Recipient domains per provider; the M365 tenants and the university are invented.
M365_TENANTS: tuple[tuple[str, str], ...] = (
    ("cypressbendschools.org", "namprd04"),
    ("sunmeadowhealth.org", "namprd11"),
    ("harborlightcu.org", "namprd19"),
)
UNIVERSITY_DOMAIN = "gatorstate.edu"
PROVIDER_DOMAINS: dict[str, tuple[str, ...]] = {
    "gmail": ("gmail.com",),
    "yahoo": ("yahoo.com",),
    "comcast": ("comcast.net",),
    "m365": tuple(t[0] for t in M365_TENANTS),
    "university": (UNIVERSITY_DOMAIN,),
}


class Person(msgspec.Struct, frozen=True, kw_only=True):
    first: str
    last: str
    street: str  # "1234 Oak St"
    city: str
    state: str
    zip: str
    county: str
    phone: str
    party: str
    precinct: str
    voter_id: str
    email: str
    provider: Provider
    spanish: bool

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.zip}"


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóúñüÁÉÍÓÚÑ", "aeiounuAEIOUN")
    return text.translate(table)


def _mailbox(rng: random.Random, first: str, last: str, provider: str) -> str:
    f = _ascii(first).lower()
    last_part = _ascii(last).lower().replace("-", "")
    domain = rng.choice(PROVIDER_DOMAINS[provider])
    if provider == "university":
        local = f"{f[0]}.{last_part}{rng.randint(1, 99) if rng.random() < 0.3 else ''}"
    elif provider == "m365":
        local = f"{f}.{last_part}"
    else:
        style = rng.randrange(4)
        local = (
            f"{f}.{last_part}{rng.randint(1, 999)}",
            f"{f}{last_part}{rng.randint(1950, 2004)}",
            f"{f[0]}{last_part}{rng.randint(10, 99)}",
            f"{last_part}.{f}",
        )[style]
    return f"{local}@{domain}"


def make_person(
    rng: random.Random, provider: Provider, spanish: bool, party: str | None = None
) -> Person:
    """One invented voter with a mailbox at ``provider``."""
    first = rng.choice(FIRST_NAMES_ES if spanish else FIRST_NAMES_EN)
    last = rng.choice(SURNAMES_ES if spanish else SURNAMES_EN)
    city, state, zip3, area, county = rng.choice(PLACES)
    number = rng.randint(100, 19999)
    street = f"{number} {rng.choice(('', 'N ', 'S ', 'E ', 'W '))}{rng.choice(STREETS)} "
    street += rng.choice(SUFFIXES)
    if rng.random() < 0.12:
        street += f" Apt {rng.randint(1, 40)}{rng.choice(('', 'A', 'B'))}"
    return Person(
        first=first,
        last=last,
        street=street,
        city=city,
        state=state,
        zip=f"{zip3}{rng.randint(1, 99):02d}",
        county=county,
        phone=f"({area}) 555-01{rng.randint(0, 99):02d}",
        party=party or rng.choices(PARTIES, weights=(45, 35, 15, 5))[0],
        precinct=f"{rng.randint(1, 88)}{rng.choice(('', '', 'A', 'B'))}",
        voter_id=f"{rng.randint(100_000_000, 129_999_999)}",
        email=_mailbox(rng, first, last, provider),
        provider=provider,
        spanish=spanish,
    )
