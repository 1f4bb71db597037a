"""The synthetic demo caseload (``--demo``): its own vault, a known passphrase, no real data.

Every NHS number is from the 999 range, which no real patient holds; names, streets and
practices are invented. The demo vault lives in its own folder (``paths.demo_paths``).
"""

from __future__ import annotations

import datetime as dt
import random

from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.user import Role
from desktop_app.services.identifiers import synthetic_nhs_number
from desktop_app.services.people import PersonInput, create_person
from desktop_app.services.uow import UnitOfWork
from desktop_app.services.vault import VaultStore

DEMO_PEOPLE = 300
GIVEN = [
    "Margaret",
    "Harold",
    "Zoë",
    "Łukasz",
    "Aisha",
    "Gurpreet",
    "Siobhán",
    "Kwame",
    "Doris",
    "Raj",
    "Elsie",
    "Tomasz",
    "Niamh",
    "Bernard",
    "Priya",
    "Winston",
    "Irene",
    "Mohammed",
]
FAMILY = [
    "O'Brien",
    "Patel",
    "Ní Bhriain",
    "Kowalski",
    "Smith",
    "Mistry",
    "Okafor",
    "Jones",
    "Begum",
    "Taylor",
    "Chauhan",
    "Nowak",
    "Walker",
    "Khan",
    "Hughes",
    "Lakhani",
]
STREETS = ["Demo Road", "Sample Street", "Example Avenue", "Test Lane", "Placeholder Close"]
TEAMS = [
    ("City North", "Leicester", "LE4"),
    ("City South", "Leicester", "LE2"),
    ("Charnwood", "Loughborough", "LE11"),
    ("Melton", "Melton Mowbray", "LE13"),
    ("Hinckley", "Hinckley", "LE10"),
    ("Rutland", "Oakham", "LE15"),
]
PROVIDERS = [
    ("Demo Homecare Ltd", "leicester_city"),
    ("Sample Care Services", "leicestershire_county"),
    ("Example Support at Home", "rutland_county"),
]


def _person(rng: random.Random, serial: int) -> PersonInput:
    team, town, district = rng.choice(TEAMS)
    return PersonInput(
        nhs_number=synthetic_nhs_number(serial),
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 60)),
        address_line1=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
        town=town,
        postcode=f"{district} {rng.randrange(1, 9)}ZZ",
        team=team,
        open_to_community_health=rng.random() < 0.6,
        gp_practice_name=f"{town} Demo Medical Practice",
    )


def seed_demo_caseload(uow: UnitOfWork, people: int = DEMO_PEOPLE, seed: int = 999) -> None:
    """Fill a vault with synthetic people, providers and care workers."""
    rng = random.Random(seed)
    for serial in range(people):
        create_person(uow, _person(rng, serial))
    with uow.begin() as session:
        for name, council in PROVIDERS:
            provider = CareProvider(name=name, phone="0116 000 0000", council=council)
            session.add(provider)
            session.flush()
            for i in range(4):
                session.add(
                    CareWorker(
                        provider_id=provider.id,
                        given_name=rng.choice(GIVEN),
                        family_name=rng.choice(FAMILY),
                        role_title=f"Care worker {i + 1}",
                    )
                )


def ensure_demo_vault(store: VaultStore, user_name: str, passphrase: str) -> None:
    """Create and fill the demo vault the first time; later runs reuse it."""
    if store.exists():
        return
    created = store.create(user_name, Role.NURSE, passphrase)
    try:
        seed_demo_caseload(created.session.uow)
    finally:
        created.session.close()
