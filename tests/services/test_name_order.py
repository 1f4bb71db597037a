"""Names sort as a reader expects (``services.core.collation``), in Python and in the vault.

Issue 17: the caseload put "Kowalski, Łukasz"-like names after "Zoë" and "de Souza" after
every capital, because SQLite and Python compare code points. ``name_key`` is checked here
for its properties (Hypothesis), on names a UK caseload holds, and end to end: the caseload
(both of its plans, and page by page), the person record's contacts and a provider's care
workers come back in that order from the encrypted vault.

How these tests were seen to fail (each mutation made, the tests run, the mutation undone):

* ``name_key`` returning the name itself: every ordering test fails ("de Souza" last).
* ``_SPELT_OUT`` without "Ł": "Łukasiewicz" files after "Lyons" (examples, caseload).
* the name as written dropped from the key: the total-order property fails ("Zoe"/"zoe").
* the caseload's ``_BY_NAME``/page order back to the bare columns: the caseload test fails
  under both plans; ``_broad_rows``'s bound on the bare ``family_name``: the paging test.
* ``collation.register`` removed from ``vault.database``: every vault test fails
  ("no such function: name_key").
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop_app.models.meta import LocalMeta
from desktop_app.models.person import Person
from desktop_app.services.core import collation
from desktop_app.services.core.collation import name_key
from desktop_app.services.people import caseload, contacts
from desktop_app.services.people.caseload import CaseloadQuery, search
from desktop_app.services.people.record import load_record
from desktop_app.services.providers import workers
from desktop_app.services.vault import VaultSession
from desktop_app.services.vault.vault import NAME_KEY_VERSION
from tests.support import PASSPHRASE, add_provider, person_values

# Accented letters and their base letter (Ł, Ø, Đ ... do not decompose in Unicode).
ACCENTED = {"é": "e", "ë": "e", "è": "e", "á": "a", "å": "a", "ä": "a", "ö": "o", "ø": "o",
            "ó": "o", "ñ": "n", "ç": "c", "ł": "l", "ś": "s", "ż": "z", "ź": "z", "đ": "d",
            "ü": "u", "í": "i", "ı": "i", "ğ": "g", "ş": "s", "č": "c", "ř": "r", "ħ": "h"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
words = st.text(alphabet=LETTERS, min_size=1, max_size=8)


def cmp(a: str, b: str) -> int:
    return (a > b) - (a < b)


def accented(word: str, picks: list[bool]) -> str:
    """``word`` with some of its letters swapped for an accented form of the same letter."""
    by_base: dict[str, list[str]] = {}
    for letter, base in ACCENTED.items():
        by_base.setdefault(base, []).append(letter)
    return "".join(by_base[c][0] if pick and c in by_base else c
                   for c, pick in zip(word, picks, strict=False))


@given(words, words, st.lists(st.booleans(), min_size=8, max_size=8))
def test_an_accented_name_files_where_its_plain_letters_do(word: str, other: str,
                                                           picks: list[bool]) -> None:
    variant = accented(word, picks)
    if other != word:
        assert cmp(name_key(variant), name_key(other)) == cmp(name_key(word), name_key(other))
    if variant != word:  # and right after the unaccented spelling
        assert name_key(word) < name_key(variant)


@given(words, words, st.lists(st.booleans(), min_size=8, max_size=8))
def test_case_does_not_decide_the_order_of_two_different_names(a: str, b: str,
                                                               caps: list[bool]) -> None:
    a_cased = "".join(c.upper() if up else c for c, up in zip(a, caps, strict=False)) + a[8:]
    if a != b:
        assert cmp(name_key(a_cased), name_key(b)) == cmp(a, b)
        assert cmp(name_key(a.upper()), name_key(b)) == cmp(a, b)


@given(st.lists(st.text(max_size=12), max_size=20), st.randoms(use_true_random=False))
def test_the_order_is_total_and_the_same_whatever_order_names_come_in(
        names: list[str], rng: random.Random) -> None:
    ordered = sorted(names, key=name_key)
    shuffled = list(names)
    rng.shuffle(shuffled)
    assert sorted(shuffled, key=name_key) == ordered
    for a in names:
        for b in names:
            assert (name_key(a) == name_key(b)) == (a == b)


@settings(max_examples=50)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_sqlite_orders_by_the_sql_function_as_python_does(names: list[str]) -> None:
    connection = sqlite3.connect(":memory:")
    try:
        collation.register(connection)
        connection.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO n (name) VALUES (?)", [(n,) for n in names])
        rows = connection.execute("SELECT name FROM n ORDER BY name_key(name), id").fetchall()
    finally:
        connection.close()
    assert [row[0] for row in rows] == sorted(names, key=name_key)


def test_names_of_a_uk_caseload_file_beside_their_letters() -> None:
    expected = ["Adams", "Aeron", "Æsop", "Bell", "Çelik", "Davies", "de Souza", "Desai",
                "Dixon", "Kowalczyk", "Kowalski, Łukasz", "Kozłowski", "Lucas",
                "Łukasiewicz", "Lyons", "Ní Bhriain", "Nowak", "O'Brien", "O’Connor", "Oakes",
                "Ørsted", "Ostler", "Owen", "Öztürk", "Patel", "Smith, Zed", "Smith-Jones",
                "Smithson", "Young", "Żak", "Zoe", "Zoë"]
    shuffled = list(expected)
    random.Random(17).shuffle(shuffled)
    assert sorted(shuffled, key=name_key) == expected


# ---------------------------------------------------------------- in the vault

CASELOAD = [("Zoë", "Abbott"), ("Kowalczyk", "Anna"), ("Kowalski", "Łukasz"),
            ("Kozłowski", "Ewa"), ("de Souza", "Maria"), ("Davies", "Huw"), ("Dixon", "Ann"),
            ("Łukasiewicz", "Jan"), ("Lucas", "Mary"), ("Lyons", "Ann"), ("Öztürk", "Ayşe"),
            ("Owen", "Gwen"), ("Patel", "Raj"), ("Żak", "Zofia"), ("Young", "Zoë"),
            ("Young", "Zoe"), ("young", "Adam")]
IN_ORDER = ["Davies, Huw", "de Souza, Maria", "Dixon, Ann", "Kowalczyk, Anna",
            "Kowalski, Łukasz", "Kozłowski, Ewa", "Lucas, Mary", "Łukasiewicz, Jan",
            "Lyons, Ann", "Owen, Gwen", "Öztürk, Ayşe", "Patel, Raj", "Young, Zoe",
            "Young, Zoë", "young, Adam", "Żak, Zofia", "Zoë, Abbott"]


@pytest.fixture
def named_caseload(vault: VaultSession) -> VaultSession:
    with vault.uow.begin() as session:
        session.add_all(Person(**person_values(serial, family_name=family, given_name=given_))
                        for serial, (family, given_) in enumerate(CASELOAD, start=1))
    return vault


@pytest.mark.parametrize("narrow_matches", [caseload.NARROW_MATCHES, 3])
def test_the_caseload_lists_names_as_a_reader_expects(
        named_caseload: VaultSession, monkeypatch: pytest.MonkeyPatch,
        narrow_matches: int) -> None:
    monkeypatch.setattr(caseload, "NARROW_MATCHES", narrow_matches)  # 3: the broad plan
    everyone = search(named_caseload.uow, CaseloadQuery())
    names = [row.full_name for row in everyone.rows]
    assert names == IN_ORDER
    assert (names.index("Kowalczyk, Anna") < names.index("Kowalski, Łukasz")
            < names.index("Kozłowski, Ewa") < names.index("Zoë, Abbott"))
    # Page by page (the broad plan bounds each page by the family name's key).
    pages = [search(named_caseload.uow, CaseloadQuery(offset=offset, limit=4)).rows
             for offset in range(0, len(IN_ORDER), 4)]
    assert [row.full_name for page in pages for row in page] == IN_ORDER
    # A search keeps the order too: the family name first (two spellings of a family name
    # that differ only in case each keep their people together), then the given name.
    found = search(named_caseload.uow, CaseloadQuery(text="you"))
    assert [row.full_name for row in found.rows] == ["Young, Zoe", "Young, Zoë", "young, Adam"]


def test_the_caseload_walks_the_name_key_index(named_caseload: VaultSession) -> None:
    """The vault at head has migration 0010's index, and the broad plan's first step (the
    family key the page ends at) reads it in order instead of sorting the caseload."""
    with named_caseload.uow.read() as session:
        indexes = {row[1] for row in session.execute(text("PRAGMA index_list(person)"))}
        plan = session.execute(text(
            "EXPLAIN QUERY PLAN SELECT name_key(family_name) FROM person WHERE deleted = 0 "
            "ORDER BY name_key(family_name) LIMIT 1 OFFSET 199")).all()
    assert "ix_person_family_key" in indexes
    assert any("ix_person_family_key" in str(row[-1]) for row in plan), plan
    assert not any("TEMP B-TREE" in str(row[-1]) for row in plan), plan


def test_contacts_and_care_workers_are_listed_in_name_order(vault: VaultSession) -> None:
    with vault.uow.begin() as session:
        person = Person(**person_values(40))
        session.add(person)
    for name in ("Zoë Young", "Łucja Nowak", "adam Smith", "Éamon Byrne"):
        contacts.add_contact(vault.uow, person.id, contacts.ContactInput(
            kind="next_of_kin", name=name, relationship="Relative"))
    shown: Any = load_record(vault.uow, person.id).contacts
    assert [c.name for c in shown] == ["adam Smith", "Éamon Byrne", "Łucja Nowak", "Zoë Young"]

    provider_id, _ = add_provider(vault.uow)  # Aisha Worker, Tomasz Worker
    for given_, family in (("Zofia", "Żak"), ("Ola", "Øby"), ("Dan", "de Vries")):
        workers.add_worker(vault.uow, provider_id, workers.WorkerInput(given_, family,
                                                                        "Care worker"))
    listed = workers.list_workers(vault.uow, provider_id)
    assert [w.name for w in listed] == ["Dan de Vries", "Ola Øby", "Aisha Worker",
                                        "Tomasz Worker", "Zofia Żak"]


def test_opening_a_vault_rebuilds_the_name_index_built_with_another_key(
        vault_copy: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite keeps the keys it computed: a vault whose name-order index was built with
    another ``name_key`` (a Python with other Unicode tables, other rules) has it rebuilt
    when it is opened, and the version it was built with is kept."""
    store, user_id, _ = vault_copy
    session = store.unlock(user_id, PASSPHRASE)
    try:
        with session.uow.begin() as s:
            s.add(Person(**person_values(1, family_name="Żak")))
        with session.factory() as s, s.begin():
            stamp = s.get(LocalMeta, NAME_KEY_VERSION)
            assert stamp is not None and stamp.value == collation.KEY_VERSION
            stamp.value = "0/unicode 1.0"
    finally:
        session.close()
    reindexed: list[str] = []
    real = collation.name_key
    monkeypatch.setattr(collation, "_sql_name_key",
                        lambda value: reindexed.append("key") or real(value)
                        if value is not None else None)
    session = store.unlock(user_id, PASSPHRASE)
    try:
        assert reindexed  # REINDEX worked the keys out again
        with session.factory() as s:
            assert s.get(LocalMeta, NAME_KEY_VERSION).value == collation.KEY_VERSION
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        session.close()
