"""Child process for the crash tests: does real vault work until the parent SIGKILLs it.

Run as ``python crash_child.py``. The protocol on stdout/stdin, one line each:

1. the child imports what it needs and prints ``IMPORTED`` (so the parent can let the next
   child import while it is still checking the vault after the previous kill);
2. the parent sends one JSON line with the job (see ``_main``);
3. the child unlocks the vault, prints ``READY`` and works in a loop, printing an
   acknowledgement only after each unit of work has returned, flushed at once.

Jobs:

``visits``: each loop saves one "visit" in ONE unit of work (a Person, a DelegationCase
for them and a ConsentRecord for that case) and prints ``ACK <person id> <case id>``.
Now and then it also edits an earlier person (``UPD <person id> <new version>``) or
tombstones one (``DEL <person id>``), through the app's own services.

``passphrase``: flips the signed-in user's passphrase between two values, printing
``CHANGING <label>`` before each change and ``NOW <label>`` after it returned, then idles
a little so some kills land where the last acknowledged change is unambiguous.

Only synthetic data: NHS numbers from ``synthetic_nhs_number`` (the 999 range), made-up
names and addresses. The module is also imported by the tests (``save_visit``), so the
work itself runs only under ``__main__``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from desktop_app.models.consent import ConsentGivenBy, ConsentMethod, ConsentRecord, ConsentStatus
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.services.identifiers import synthetic_nhs_number
from desktop_app.services.people import open_person, remove_person, update_person
from desktop_app.services.uow import UnitOfWork
from desktop_app.services.vault.kdf import KdfParams
from desktop_app.services.vault.vault import VaultSession, VaultStore

GIVEN = ("Ada", "Bryn", "Cerys", "Dev", "Esme", "Farid", "Gwen", "Hal")
FAMILY = ("Testperson", "Samplewood", "Fakeley", "Demoford")
TOWNS = ("Leicester", "Loughborough", "Oakham", "Hinckley")
MAX_SERIALS_PER_CHILD = 5_000


def save_visit(uow: UnitOfWork, serial: int, rng: random.Random) -> tuple[str, str]:
    """One visit, all or nothing: a person, a delegation case and consent for it."""
    with uow.begin() as s:
        person = Person(
            nhs_number=synthetic_nhs_number(serial),
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=dt.date(1930 + serial % 60, 1 + serial % 12, 1 + serial % 28),
            address_line1=f"{1 + serial % 200} Example Street",
            town=rng.choice(TOWNS),
            postcode="LE1 5WW",
            team="Synthetic Test Team",
        )
        s.add(person)
        s.flush()
        case = DelegationCase(
            person_id=person.id,
            task_code="insulin_prefilled_pen",
            task_catalogue_version="2026.1",
            referred_by="Synthetic district nurse",
            flow_version="reconstructed-1",
            answers={"S1": {"visit": serial}},
        )
        s.add(case)
        s.flush()
        s.add(ConsentRecord(
            person_id=person.id,
            delegation_case_id=case.id,
            status=ConsentStatus.GIVEN.value,
            recorded_on=dt.date(2026, 1, 1) + dt.timedelta(days=serial % 300),
            given_by_kind=ConsentGivenBy.PERSON.value,
            given_by_name="The person themself",
            how=ConsentMethod.VERBAL.value,
            explained="A trained care worker would give the task; the nurse oversees it.",
        ))
        person_id, case_id = person.id, case.id
    return person_id, case_id


def _live_person_ids(uow: UnitOfWork) -> list[str]:
    with uow.read() as s:
        return list(s.scalars(select(Person.id).where(Person.deleted.is_(False)).order_by(Person.id)))


def edit_someone(uow: UnitOfWork, rng: random.Random) -> tuple[str, int] | None:
    """Change an earlier person's phone number; returns (id, new version)."""
    ids = _live_person_ids(uow)
    if not ids:
        return None
    person_id = rng.choice(ids)
    view = open_person(uow, person_id)
    phone = f"0116 496 0{rng.randrange(1000):03d}"  # Ofcom's range for drama: never real
    saved = update_person(uow, person_id, replace(view, phone=phone), view.version)
    return person_id, saved.version


def tombstone_someone(uow: UnitOfWork, rng: random.Random) -> str | None:
    """Take an earlier person off the caseload; returns their id."""
    ids = _live_person_ids(uow)
    if len(ids) < 3:
        return None
    person_id = rng.choice(ids)
    remove_person(uow, person_id)
    return person_id


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _visits(session: VaultSession, job: dict[str, object]) -> None:
    rng = random.Random(str(job["seed"]))
    serial = int(job["serial_base"])  # type: ignore[call-overload]
    last = serial + MAX_SERIALS_PER_CHILD
    uow = session.uow
    while serial < last:
        person_id, case_id = save_visit(uow, serial, rng)
        serial += 1
        _say(f"ACK {person_id} {case_id}")
        roll = rng.random()
        if roll < 0.25:
            edited = edit_someone(uow, rng)
            if edited:
                _say(f"UPD {edited[0]} {edited[1]}")
        elif roll < 0.35:
            removed = tombstone_someone(uow, rng)
            if removed:
                _say(f"DEL {removed}")
    _say("EXHAUSTED")  # the parent treats this as a failure: raise MAX_SERIALS_PER_CHILD
    time.sleep(3600)


def _passphrases(session: VaultSession, job: dict[str, object]) -> None:
    rng = random.Random(str(job["seed"]))
    secrets: dict[str, str] = job["passphrases"]  # type: ignore[assignment]
    current = str(job["current"])
    while True:
        target = "B" if current == "A" else "A"
        _say(f"CHANGING {target}")
        session.change_passphrase(secrets[current], secrets[target])
        current = target
        _say(f"NOW {current}")
        time.sleep(rng.uniform(0.02, 0.12))


def _main() -> None:
    _say("IMPORTED")
    job = json.loads(sys.stdin.readline())
    kdf = KdfParams.from_json(job["kdf"])
    store = VaultStore(Path(job["folder"]), kdf_cost=kdf)
    session = store.unlock(job["user_id"], job["passphrase"])
    _say("READY")
    if job["mode"] == "visits":
        _visits(session, job)
    elif job["mode"] == "passphrase":
        _passphrases(session, job)
    else:
        raise SystemExit(f"unknown mode {job['mode']!r}")


if __name__ == "__main__":
    _main()
