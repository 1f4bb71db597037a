"""Whether a text meant to be anonymous identifies someone on the caseload.

A problem report to the IPCB (and the IPCB's ruling) is read outside the team, so it must
not say who it is about. ``caseload_details(session, text)`` says which kinds of
identifying detail the text gives, checked against the whole caseload on this laptop and
against the patterns every identifier has:

- a name: any person's full name (given or preferred name with the family name, in either
  order, "Edith Testperson" or "Testperson, Edith"), a title with a family name
  ("Mrs Testperson"), or a contact's full name. A family name alone is not refused: many
  are common words ("Green", "Hall", "May").
- an NHS number: any ten digits (spaced or not) that pass the NHS number's check digit,
  whoever's it is.
- a date of birth: any caseload person's date of birth written as a date (31/01/1938,
  31.1.38, 1938-01-31, 31 January 1938, Jan 31st 1938).
- a postcode: any full UK postcode.
- an address: a caseload person's first address line, or a house number with a street
  ("12 Acacia Avenue").

Names are compared without case or accents (Zoë, ZOE and zoe are the same), with curly and
straight apostrophes alike and a possessive "'s" dropped. The check cannot see every
identifying detail (a rare condition, a small village): the form asks for "the person".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person import Contact, Person
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.identifiers import normalise_nhs_number

NAME = "a name"
NHS_NUMBER = "an NHS number"
DATE_OF_BIRTH = "a date of birth"
POSTCODE = "a postcode"
ADDRESS = "an address"
KINDS = (NAME, NHS_NUMBER, DATE_OF_BIRTH, POSTCODE, ADDRESS)

_WORD = re.compile(r"[^\W\d_]+(?:['’‘-][^\W\d_]+)*")
# Titles written before a family name; those that are also ordinary words ("I miss Green")
# count only with a capital letter, as a title is written.
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "rev", "revd"})
_TITLES_CAPITALISED = frozenset({"miss", "master", "sir", "dame", "lady", "lord"})
_NHS_LIKE = re.compile(r"(?<![\d])(?:\d[ \t-]?){9}\d(?![\d])")
# The inward code's letters are never C, I, K, M, O or V: "B12 1mg" and "S9 2pm" are not
# postcodes.
_POSTCODE = re.compile(r"(?<![A-Za-z\d])([A-Za-z]{1,2}\d[A-Za-z\d]?)[ \t]*"
                       r"(\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![A-Za-z\d])")
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)", re.I)
_STREET = re.compile(
    r"(?<![\w])\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Close|Drive|Way|Court|Crescent|Place|Gardens|"
    r"Terrace|Grove|Walk|Rise|Hill|Square|Mews|View|Park|Row|Green|Parade|Gate|Fields)\b")
_MONTHS = {name: number for number in range(1, 13)
           for name in (dt.date(2000, number, 1).strftime("%B").lower(),
                        dt.date(2000, number, 1).strftime("%b").lower())} | {"sept": 9}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_TH = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATES_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_DATES_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATES_DAY_FIRST = re.compile(rf"(?<!\d){_DAY_TH}(?:\s+of)?\s+{_MONTH},?\s+(\d{{4}})(?!\d)",
                              re.I)
_DATES_MONTH_FIRST = re.compile(rf"(?<![\w]){_MONTH}\s+{_DAY_TH},?\s+(\d{{4}})(?!\d)", re.I)


def fold(word: str) -> str:
    """A word as names are compared: no accents, no case, one kind of apostrophe."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word)
                    if not unicodedata.combining(c))
    return plain.replace("’", "'").replace("‘", "'").casefold()


def _words(text: str) -> list[tuple[str, str]]:
    """(folded, as written) for each word of ``text``, a possessive "'s" dropped."""
    found = []
    for match in _WORD.finditer(text):
        written = match.group()
        folded = fold(written)
        if folded.endswith("'s") and len(folded) > 2:
            folded = folded[:-2]
        found.append((folded, written))
    return found


def _name_words(name: str | None) -> tuple[str, ...]:
    return tuple(folded for folded, _ in _words(name or ""))


def _is_title(folded: str, written: str) -> bool:
    return folded in _TITLES or (folded in _TITLES_CAPITALISED and written[:1].isupper())


class _Text:
    """The word sequences of a text, ready to look names up in."""

    def __init__(self, text: str, longest: int = 6) -> None:
        words = _words(text)
        folded = [w for w, _ in words]
        self.runs = {tuple(folded[i:i + n]) for n in range(1, longest + 1)
                     for i in range(len(folded) - n + 1)}
        self.after_title = {tuple(folded[i + 1:i + 1 + n]) for n in range(1, longest + 1)
                            for i, (w, written) in enumerate(words) if _is_title(w, written)
                            and i + n < len(words)}

    def has(self, run: Sequence[str]) -> bool:
        return bool(run) and tuple(run) in self.runs

    def has_titled(self, family: Sequence[str]) -> bool:
        return bool(family) and tuple(family) in self.after_title


def _names_a_person(text: _Text, given: Iterable[tuple[str, ...]],
                    family: tuple[str, ...]) -> bool:
    if not family:
        return False
    for first in given:
        if first and (text.has((*first, *family)) or text.has((*family, *first))):
            return True
    return text.has_titled(family)


def _names_a_contact(text: _Text, name: str) -> bool:
    words = _name_words(name)
    while words and words[0] in _TITLES | _TITLES_CAPITALISED:
        if len(words) > 1:
            words = words[1:]
        else:
            break
    return (len(words) >= 2 and text.has(words)) or (
        len(words) >= 1 and text.has_titled(words[-1:]))


def nhs_numbers_in(text: str) -> bool:
    """Whether ``text`` has ten digits (spaced or not) that pass the NHS number check."""
    for match in _NHS_LIKE.finditer(text):
        try:
            normalise_nhs_number(match.group())
        except ValidationError:
            continue
        return True
    return False


def postcodes_in(text: str) -> bool:
    """Whether ``text`` has a full UK postcode (not "S1 2nd", a step and an ordinal)."""
    return any(not _ORDINAL.fullmatch(m.group(2)) for m in _POSTCODE.finditer(text))


def dates_in(text: str) -> set[dt.date | tuple[int, int, int]]:
    """The dates written in ``text``: full dates, and (day, month, two-digit year) for a
    date written with a two-digit year."""
    found: set[dt.date | tuple[int, int, int]] = set()

    def add(day: int, month: int, year: str) -> None:
        if len(year) == 2:
            found.add((day, month, int(year)))
            return
        try:
            found.add(dt.date(int(year), month, day))
        except ValueError:
            pass

    for d, _sep, m, y in _DATES_NUMERIC.findall(text):
        add(int(d), int(m), y)
    for y, m, d in _DATES_ISO.findall(text):
        add(int(d), int(m), y)
    for d, month, y in _DATES_DAY_FIRST.findall(text):
        add(int(d), _MONTHS[month.lower().rstrip(".")], y)
    for month, d, y in _DATES_MONTH_FIRST.findall(text):
        add(int(d), _MONTHS[month.lower().rstrip(".")], y)
    return found


def _mentions_birthday(found: set[dt.date | tuple[int, int, int]], birth: dt.date) -> bool:
    return birth in found or (birth.day, birth.month, birth.year % 100) in found


def _flat(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w]+", " ", fold(text)).split()) + " "


def caseload_details(session: Session, text: str) -> list[str]:
    """Which kinds of identifying detail (``KINDS``, in that order) ``text`` gives about
    anyone on this laptop's caseload, or by the pattern of an identifier."""
    found: set[str] = set()
    if nhs_numbers_in(text):
        found.add(NHS_NUMBER)
    if postcodes_in(text):
        found.add(POSTCODE)
    if _STREET.search(text):
        found.add(ADDRESS)
    words, dates, flat = _Text(text), dates_in(text), _flat(text)
    people = session.execute(
        select(Person.given_name, Person.preferred_name, Person.family_name,
               Person.date_of_birth, Person.address_line1).where(~Person.deleted))
    for given, preferred, family, birth, address in people:
        if NAME not in found and _names_a_person(
                words, (_name_words(given), _name_words(preferred)), _name_words(family)):
            found.add(NAME)
        if DATE_OF_BIRTH not in found and dates and _mentions_birthday(dates, birth):
            found.add(DATE_OF_BIRTH)
        line = _flat(address or "")
        if ADDRESS not in found and len(line.split()) >= 2 and line in flat:
            found.add(ADDRESS)
    if NAME not in found:
        contacts = session.scalars(select(Contact.name).where(~Contact.deleted))
        if any(_names_a_contact(words, name) for name in contacts):
            found.add(NAME)
    return [kind for kind in KINDS if kind in found]


def refuse_identifying(found: Sequence[str], field: str, what: str) -> None:
    """ValidationError naming ``field`` when ``found`` lists identifying details: ``what``
    says where the text goes ("The IPCB reads this text")."""
    if not found:
        return
    kinds = list(dict.fromkeys(found))
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    raise ValidationError(
        f"{what}, so it must not say who it is about, but it gives {listed}. Write "
        "'the person' (or 'their daughter', 'the carer') instead, and leave out numbers, "
        "dates of birth and addresses.", field=field)
