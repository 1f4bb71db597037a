"""Child processes for the crash tests: real vault work until the parent SIGKILLs them.

Run as ``python crash_child.py``: a small fork server. Importing the app costs ~0.5 s of
CPU, more than a whole kill round, so this process imports once (and opens nothing: no
database, no key file) and forks one worker per job. Each worker is a fresh process as
far as the vault is concerned: it unlocks the vault itself, and it is the one SIGKILLed.
The protocol, one line each, every line flushed at once:

1. the server prints ``IMPORTED``;
2. for each JSON job line on stdin (see ``_work``) it forks a worker and prints
   ``PID <pid>``; when the worker has died it prints ``EXIT <pid> <exit code>`` (-9 for
   SIGKILL). Every line a worker printed is in the pipe before its ``EXIT`` line. The
   dead worker is reaped only when the next job (or EOF) arrives, so its pid cannot be
   reused by another process while the parent might still signal it;
3. the worker unlocks the vault, prints ``READY`` and works in a loop, printing an
   acknowledgement only after each unit of work has returned.

Jobs:

``visits``: each loop saves one "visit" in ONE unit of work (a Person, a DelegationCase
for them and a ConsentRecord for that case) and prints ``ACK <person id> <case id>``.
Now and then it also edits an earlier person (``UPD <person id> <new version>``) or
tombstones one (``DEL <person id>``), through the app's own services.

``passphrase``: flips the signed-in user's passphrase between two values, printing
``CHANGING <label>`` before each change and ``NOW <label>`` after it returned, then idles
a little so some kills land where the last acknowledged change is unambiguous. With
``die_at`` it SIGKILLs itself at one exact step of the atomic key-file write instead.

Only synthetic data: NHS numbers from ``synthetic_nhs_number`` (the 999 range), made-up
names and addresses. The module is also imported by the tests (``save_visit``), so the
work itself runs only under ``__main__``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.models.consent import ConsentGivenBy, ConsentMethod, ConsentRecord, ConsentStatus
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.people import open_person, remove_person, update_person
from desktop_app.services.vault.kdf import KdfParams
from desktop_app.services.vault.vault import VaultSession, VaultStore

GIVEN = ("Ada", "Bryn", "Cerys", "Dev", "Esme", "Farid", "Gwen", "Hal")
FAMILY = ("Testperson", "Samplewood", "Fakeley", "Demoford")
TOWNS = ("Leicester", "Loughborough", "Oakham", "Hinckley")
MAX_SERIALS_PER_CHILD = 2_000  # x 200 rounds (--slow) stays under synthetic_nhs_number's 500,000


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
        query = select(Person.id).where(Person.deleted.is_(False)).order_by(Person.id)
        return list(s.scalars(query))


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


def _die_at(point: str) -> None:
    """SIGKILL this process at one step of ``atomic.write_atomic`` (a crash there, exactly)."""
    real_replace = os.replace

    def die(*_args: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def replace_then_die(src: str, dst: str) -> None:
        real_replace(src, dst)
        die()

    if point == "fsync":  # temp file written, not yet flushed to disk nor renamed
        os.fsync = die  # type: ignore[assignment]
    elif point == "replace":  # temp file complete and durable, rename not done
        os.replace = die  # type: ignore[assignment]
    elif point == "after_replace":  # renamed, folder not yet fsynced
        os.replace = replace_then_die  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown crash point {point!r}")


def _passphrases(session: VaultSession, job: dict[str, object]) -> None:
    rng = random.Random(str(job["seed"]))
    secrets: dict[str, str] = job["passphrases"]  # type: ignore[assignment]
    current = str(job["current"])
    if job.get("die_at"):
        _die_at(str(job["die_at"]))
    while True:
        target = "B" if current == "A" else "A"
        _say(f"CHANGING {target}")
        session.change_passphrase(secrets[current], secrets[target])
        current = target
        _say(f"NOW {current}")
        time.sleep(rng.uniform(0.02, 0.12))


def _work(job: dict[str, Any]) -> None:
    cost = job["kdf"]  # the costs only: the salt is made fresh for every wrap
    kdf = KdfParams(int(cost["memory_kib"]), int(cost["iterations"]), int(cost["parallelism"]), b"")
    store = VaultStore(Path(job["folder"]), kdf_cost=kdf)
    session = store.unlock(job["user_id"], job["passphrase"])
    _say("READY")
    if job["mode"] == "visits":
        _visits(session, job)
    elif job["mode"] == "passphrase":
        _passphrases(session, job)
    else:
        raise SystemExit(f"unknown mode {job['mode']!r}")


def _die_with_server(server_pid: int) -> None:
    """Linux: the kernel SIGKILLs this worker if the server dies (no orphan keeps writing)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != server_pid:  # the server died before the line above
        os._exit(2)


def _serve() -> None:
    _say("IMPORTED")
    worker = 0
    while True:
        line = sys.stdin.readline()
        if worker:  # reap the previous worker only now: until the parent moved on, its pid
            os.waitpid(worker, 0)  # stayed reserved (a zombie), so a late kill hits nothing
        if not line:
            return  # the parent closed stdin: done
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        server_pid = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into this loop
            code = 0
            try:
                _die_with_server(server_pid)
                _work(job)
            except BaseException:  # reported on stderr, exit code 1
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        worker = pid
        _say(f"PID {pid}")
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # leaves it a zombie
        assert ended is not None
        code = ended.si_status if ended.si_code == os.CLD_EXITED else -ended.si_status
        _say(f"EXIT {pid} {code}")


if __name__ == "__main__":
    _serve()
