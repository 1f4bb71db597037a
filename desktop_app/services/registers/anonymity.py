"""Whether a text meant to be anonymous identifies someone on the caseload.

A problem report to the IPCB (and the IPCB's ruling) is read outside the team, so it must
not say who it is about. ``identifying_findings(session, text, person_id)`` says which
identifying details the text gives, each quoted as written (``Finding``), checked against
the whole caseload on this laptop and against the patterns every identifier has:

- a name: any person's or contact's name written as a name. A given or preferred name (any
  word of it: "Mary" of "Mary Elizabeth") or its initial ("E. Testperson") with the family
  name, up to two middle names or initials between ("Edith M. Testperson"), or the family
  name first ("Testperson, Edith"); a title with the family name ("Mrs Testperson", "Dr A
  Patel"). Each part of a double-barrelled family name counts ("Mr Webber" of Lloyd
  Webber), and names are compared without hyphens, apostrophes or spaces ("OBrien-Murphy",
  "O'Brien Murphy"). A family name alone is not refused: many are common words ("Green",
  "Hall", "May"). A contact's organisation ("Dr A Patel, Charnwood Medical Centre": the part
  after the comma, or a name with "Centre", "Surgery"... in it) is not a name.
- reported from a person's wizard or record (``person_id``), also a single word of that
  person's or their contacts' names, when written with a capital letter as a name is and
  not a common English word (``anonymity_words.COMMON_WORDS``: "the best interests meeting"
  says nothing about Grace Best; "Edith" does).
- an NHS number: ten digits in threes and four (943 476 5919, 9434765919, with - . / or
  spaces between), whoever's, that pass the NHS number's check digit.
- a date of birth: any caseload person's date of birth written as a date (31/01/1938,
  31.1.38, 1938-01-31, 31011938, 31 January 1938, 31 Jan 38, Jan 31st 1938).
- a postcode: any full UK postcode ("S4 1hr" and "S1 2nd", a step and a time or an
  ordinal, are not; written in capitals they are), and any caseload person's postcode.
- an address: a caseload person's first address line, or a house number with a street
  ("12 Acacia Avenue").
- a phone number: a caseload person's or contact's (digits compared without spaces, +44
  as 0).

Names are compared without case or accents (Zoë, ZOE and zoe are the same), with curly and
straight apostrophes alike and a possessive "'s" dropped. The check cannot see every
identifying detail (a rare condition, a small village): the form asks for "the person".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person import Contact, Person
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.identifiers import normalise_nhs_number
from desktop_app.services.registers.anonymity_words import (
    COMMON_WORDS,
    NOT_INWARD,
    ORGANISATION_WORDS,
    PARTICLES,
)

NAME = "a name"
NHS_NUMBER = "an NHS number"
DATE_OF_BIRTH = "a date of birth"
POSTCODE = "a postcode"
ADDRESS = "an address"
PHONE = "a phone number"
KINDS = (NAME, NHS_NUMBER, DATE_OF_BIRTH, POSTCODE, ADDRESS, PHONE)


@dataclass(frozen=True)
class Finding:
    """One identifying detail: its kind (``KINDS``) and the words as written in the text."""

    kind: str
    words: str


_WORD = re.compile(r"[^\W\d_]+(?:['’‘-][^\W\d_]+)*")
# Titles written before a family name; those that are also ordinary words ("I miss Green")
# count only with a capital letter, as a title is written.
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "rev", "revd"})
_TITLES_CAPITALISED = frozenset({"miss", "master", "sir", "dame", "lady", "lord"})
_SEP = r"(?:[ \t]*[-./][ \t]*|[ \t]+)?"
_NHS_LIKE = re.compile(rf"(?<!\d)(\d{{3}}){_SEP}(\d{{3}}){_SEP}(\d{{4}})(?!\d)")
# The inward code's letters are never C, I, K, M, O or V: "B12 1mg" and "S9 2pm" are not
# postcodes.
_POSTCODE = re.compile(r"(?<![A-Za-z\d])([A-Za-z]{1,2}\d[A-Za-z\d]?)[ \t]*"
                       r"\d([ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![A-Za-z\d])")
_STREET = re.compile(
    r"(?<![\w])\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Close|Drive|Way|Court|Crescent|Place|Gardens|"
    r"Terrace|Grove|Walk|Rise|Hill|Square|Mews|View|Park|Row|Green|Parade|Gate|Fields)\b")
_PHONE_LIKE = re.compile(r"(?<![\d+])\+?\d[\d \t().-]*\d")
_MONTHS = {name: number for number in range(1, 13)
           for name in (dt.date(2000, number, 1).strftime("%B").lower(),
                        dt.date(2000, number, 1).strftime("%b").lower())} | {"sept": 9}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_TH = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"['’]?(\d{4}|\d{2})(?!\d)"
_DATES_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_DATES_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATES_COMPACT = re.compile(r"(?<![\d./-])(\d{6}|\d{8})(?![\d./-])")
_DATES_DAY_FIRST = re.compile(rf"(?<!\d){_DAY_TH}(?:\s+of)?[\s-]+{_MONTH},?[\s-]+{_YEAR}", re.I)
_DATES_MONTH_FIRST = re.compile(rf"(?<![\w]){_MONTH}\s+{_DAY_TH},?\s+{_YEAR}", re.I)
_MOST_QUOTED = 3  # words quoted for each kind in a refusal


def fold(word: str) -> str:
    """A word as names are compared: no accents, no case, one kind of apostrophe."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word)
                    if not unicodedata.combining(c))
    return plain.replace("’", "'").replace("‘", "'").casefold()


def _key(word: str) -> str:
    """A name word as compared: folded, with no apostrophe, hyphen or space."""
    return re.sub(r"['\-\s]", "", fold(word))


def _quote(text: str) -> str:
    return " ".join(text.split())


_At = tuple[int, int, str]  # where in the text something starts and ends, and as written


def _at(match: re.Match[str]) -> _At:
    return match.start(), match.end(), _quote(match.group())


@dataclass(frozen=True)
class _Token:
    key: str
    written: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    """The words of ``text`` (a possessive "'s" dropped from their key)."""
    found = []
    for match in _WORD.finditer(text):
        folded = fold(match.group())
        if folded.endswith("'s") and len(folded) > 2:
            folded = folded[:-2]
        found.append(_Token(_key(folded), match.group(), match.start(), match.end()))
    return found


@dataclass(frozen=True)
class _Name:
    """One person's or contact's name, as keys to look for in a text."""

    given: frozenset[str]  # each given or preferred name word, and each whole name
    initials: frozenset[str]
    family: frozenset[str]  # the whole family name and each part of it
    own: frozenset[str]  # single words refused from their own record (not common words)


def _word_keys(words: Iterable[str]) -> set[str]:
    """Each word's key and the keys of its hyphenated parts (two letters or more)."""
    keys = set()
    for word in words:
        keys |= {_key(part) for part in [word, *word.split("-")]}
    return {key for key in keys if len(key) >= 2}


def _name(given: Sequence[str], family: Sequence[str]) -> _Name:
    """The name from its given words (initials too) and family name words."""
    family_keys = _word_keys(family) - PARTICLES
    if family:
        family_keys.add(_key("".join(family)))
    given_keys = _word_keys(given)
    return _Name(frozenset(given_keys), frozenset(_key(word)[:1] for word in given),
                 frozenset(family_keys), frozenset((given_keys | family_keys) - COMMON_WORDS))


def _person_name(given: str, preferred: str | None, family: str) -> _Name:
    words = [t.written for t in _tokens(f"{given} {preferred or ''}")]
    name = _name(words, [t.written for t in _tokens(family)])
    whole = {_key(given), _key(preferred or "")} - {""}
    return _Name(name.given | whole, name.initials, name.family, name.own)


def _contact_name(name: str) -> _Name | None:
    """A contact's name before any comma, titles dropped; None for an organisation."""
    words = [t.written for t in _tokens(name.split(",")[0])]
    while words and fold(words[0]) in _TITLES | _TITLES_CAPITALISED:
        words = words[1:]
    if not words or any(fold(word) in ORGANISATION_WORDS for word in words):
        return None
    return _name(words[:-1], words[-1:])


class _Text:
    """A text's words and runs of words, ready to look names up in."""

    def __init__(self, text: str, longest: int = 4) -> None:
        self.text = text
        self.tokens = tokens = _tokens(text)
        self.runs: dict[str, list[tuple[int, int]]] = {}
        for i in range(len(tokens)):
            key = ""
            for j in range(i, min(i + longest, len(tokens))):
                key += tokens[j].key
                self.runs.setdefault(key, []).append((i, j + 1))

    def spans(self, keys: Iterable[str]) -> list[tuple[int, int]]:
        return [span for key in keys for span in self.runs.get(key, ())]

    def quote(self, start: int, end: int) -> _At:
        """Where words ``start`` to ``end`` (not included) stand, and as written."""
        at, to = self.tokens[start].start, self.tokens[end - 1].end
        return at, to, _quote(self.text[at:to])

    def _after(self, i: int) -> str:
        return self.text[self.tokens[i].end:self.tokens[i].end + 1]

    def initial(self, i: int) -> bool:
        """A single letter written as an initial: a capital or a full stop after it (and
        both for A and I, which are words too)."""
        written, dotted = self.tokens[i].written, self._after(i) == "."
        return len(written) == 1 and (dotted if written in "aAiI" else
                                      written.isupper() or dotted)

    def clean_gap(self, i: int) -> bool:
        """Only spaces between word ``i - 1`` and word ``i`` (and an initial's full stop)."""
        gap = self.text[self.tokens[i - 1].end:self.tokens[i].start]
        return not gap.strip() or (gap.strip() == "." and len(self.tokens[i - 1].written) == 1)

    def title(self, i: int) -> bool:
        folded, written = fold(self.tokens[i].written), self.tokens[i].written
        return folded in _TITLES or (folded in _TITLES_CAPITALISED and written[:1].isupper())


def _middle(text: _Text, i: int, name: _Name) -> bool:
    token = text.tokens[i]
    return text.initial(i) or token.key in name.given or (
        token.written[:1].isupper() and token.key not in COMMON_WORDS)


def _find_name(text: _Text, name: _Name) -> list[_At]:
    """Where in ``text`` words name this person or contact, and as written."""
    family = text.spans(name.family)
    if not family:
        return []
    family_at: dict[int, list[int]] = {}
    for start, end in family:
        family_at.setdefault(start, []).append(end)
    count, found = len(text.tokens), []
    firsts = [(start, end, False) for start, end in text.spans(name.given)]
    firsts += [(i, i + 1, True) for i in range(count)
               if text.initial(i) and text.tokens[i].key in name.initials]
    for start, end, initial in firsts:
        for middle in range(3):
            at = end + middle
            if at >= count or (middle and not _middle(text, at - 1, name)):
                break
            tight = middle or initial
            if at in family_at and (not tight or all(text.clean_gap(k)
                                                     for k in range(end, at + 1))):
                found.append(text.quote(start, max(family_at[at])))
                break
    for start, end in family:  # "Testperson, Edith"
        found += [text.quote(start, last) for first, last in text.spans(name.given)
                  if first == end]
    for i in range(count - 1):  # "Mrs Testperson", "Dr A Patel", "Mrs O Brien-Murphy"
        if text.title(i):
            for at in range(i + 1, min(i + 4, count)):
                if at in family_at:
                    found.append(text.quote(i, max(family_at[at])))
                    break
                if len(text.tokens[at].written) != 1:
                    break
    return found


def _own_words(text: _Text, name: _Name) -> list[_At]:
    """The person's own name words written as names (a capital letter) in ``text``."""
    return [text.quote(start, end) for start, end in text.spans(name.own)
            if text.tokens[start].written[:1].isupper()]


def _nhs_numbers(text: str) -> list[_At]:
    found = []
    for match in _NHS_LIKE.finditer(text):
        try:
            normalise_nhs_number("".join(match.groups()))
        except ValidationError:
            continue
        found.append(_at(match))
    return found


def _postcodes(text: str) -> list[_At]:
    return [_at(m) for m in _POSTCODE.finditer(text)
            if m.group(2).isupper() or m.group(2).lower() not in NOT_INWARD]


_DateValue = dt.date | tuple[int, int, int]


def _dates(text: str) -> list[tuple[_DateValue, _At]]:
    """Each date written in ``text`` (a full date, or (day, month, two-digit year)), where it
    starts and as written."""
    found: list[tuple[_DateValue, _At]] = []

    def add(match: re.Match[str], day: int, month: int, year: str) -> None:
        value: _DateValue
        if len(year) == 2:
            value = (day, month, int(year))
        else:
            try:
                value = dt.date(int(year), month, day)
            except ValueError:
                return
        found.append((value, _at(match)))

    for m in _DATES_NUMERIC.finditer(text):
        add(m, int(m[1]), int(m[3]), m[4])
    for m in _DATES_ISO.finditer(text):
        add(m, int(m[3]), int(m[2]), m[1])
    for m in _DATES_COMPACT.finditer(text):
        digits = m[1]
        add(m, int(digits[:2]), int(digits[2:4]), digits[4:])  # 17051938, 170538
        if len(digits) == 8:
            add(m, int(digits[6:]), int(digits[4:6]), digits[:4])  # 19380517
    for m in _DATES_DAY_FIRST.finditer(text):
        add(m, int(m[1]), _MONTHS[m[2].lower()], m[3])
    for m in _DATES_MONTH_FIRST.finditer(text):
        add(m, int(m[2]), _MONTHS[m[1].lower()], m[3])
    return found


def _is_birthday(value: _DateValue, birth: dt.date) -> bool:
    return value in (birth, (birth.day, birth.month, birth.year % 100))


def _phone_digits(phone: str) -> str:
    """A phone number's digits, +44 (or 0044) written as the 0 it stands for."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0044") or (phone.strip().startswith("+44")):
        digits = "0" + digits[4 if digits.startswith("0044") else 2:].lstrip("0")
    return digits


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded, and where in ``text`` each folded character came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = fold(char)
        out.append(folded)
        origin += [i] * len(folded)
    return "".join(out), origin


class _Places:
    """Addresses, postcodes and phone numbers of the caseload as written in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded, self.origin = _folded(text)
        self.phones = [(_phone_digits(m.group()), _at(m)) for m in _PHONE_LIKE.finditer(text)]

    def find(self, words: Sequence[str]) -> _At | None:
        """Where the (folded) words stand in the text, one after another, and as written."""
        if not all(word in self.folded for word in words):
            return None  # most of the caseload: no regular expression to make
        pattern = r"(?<!\w)" + r"[\W_]*".join(map(re.escape, words)) + r"(?!\w)"
        match = re.search(pattern, self.folded)
        if match is None or not match.group():
            return None
        start, end = self.origin[match.start()], self.origin[match.end() - 1] + 1
        return start, end, _quote(self.text[start:end])

    def address(self, line: str | None) -> _At | None:
        words = re.findall(r"\w+", fold(line or ""))
        return self.find(words) if len(words) >= 2 else None

    def postcode(self, postcode: str | None) -> _At | None:
        compact = re.sub(r"\s+", "", fold(postcode or ""))
        return self.find([compact[:-3], compact[-3:]]) if len(compact) >= 5 else None

    def phone(self, phone: str | None) -> list[_At]:
        digits = _phone_digits(phone or "")
        if len(digits) < 6:
            return []
        return [where for found, where in self.phones if digits in found]


def identifying_findings(session: Session, text: str,
                         person_id: str | None = None) -> list[Finding]:
    """The identifying details ``text`` gives about anyone on this laptop's caseload, or by
    the pattern of an identifier: in ``KINDS`` order, then as they come in the text, the
    same words once. ``person_id``: the person in view as the text is written (their wizard
    or record): a single word of their names, or their contacts', counts too."""
    found: list[tuple[str, int, int, str]] = []
    found += [(NHS_NUMBER, *at) for at in _nhs_numbers(text)]
    found += [(POSTCODE, *at) for at in _postcodes(text)]
    found += [(ADDRESS, *_at(m)) for m in _STREET.finditer(text)]
    words, dates, places = _Text(text), _dates(text), _Places(text)

    def name(named: _Name | None, own: bool) -> None:
        if named is None:
            return
        found.extend((NAME, *at) for at in _find_name(words, named))
        if own:
            found.extend((NAME, *word) for word in _own_words(words, named))

    people = session.execute(
        select(Person.id, Person.given_name, Person.preferred_name, Person.family_name,
               Person.date_of_birth, Person.address_line1, Person.postcode, Person.phone)
        .where(~Person.deleted | (Person.id == person_id)))
    for pid, given, preferred, family, birth, address, postcode, phone in people:
        name(_person_name(given, preferred, family), pid == person_id)
        found += [(DATE_OF_BIRTH, *at) for value, at in dates if _is_birthday(value, birth)]
        found += [(kind, *at) for kind, at in ((ADDRESS, places.address(address)),
                                               (POSTCODE, places.postcode(postcode)))
                  if at is not None]
        found += [(PHONE, *at) for at in places.phone(phone)]
    contacts = session.execute(select(Contact.person_id, Contact.name, Contact.phone)
                               .where(~Contact.deleted))
    for owner, contact, phone in contacts:
        name(_contact_name(contact), owner == person_id)
        found += [(PHONE, *at) for at in places.phone(phone)]
    # Each once, and not again inside a longer one ("Edith" in "Edith Testperson").
    kept = [f for f in set(found) if not any(
        o[0] == f[0] and o[1] <= f[1] and f[2] <= o[2] and o[2] - o[1] > f[2] - f[1]
        for o in found)]
    ordered = sorted(kept, key=lambda f: (KINDS.index(f[0]), f[1], f[2]))
    return list(dict.fromkeys(Finding(kind, quoted) for kind, _start, _end, quoted in ordered))


def _listed(found: Sequence[Finding]) -> str:
    quoted: dict[str, list[str]] = {}
    for item in found:
        said = quoted.setdefault(item.kind, [])
        if item.words and item.words not in said:
            said.append(item.words)
    parts = [kind + (" (" + ", ".join(f'"{w}"' for w in said[:_MOST_QUOTED])
                     + (", …" if len(said) > _MOST_QUOTED else "") + ")" if said else "")
             for kind, said in sorted(quoted.items(), key=lambda kv: _order(kv[0]))]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def refuse_identifying(found: Sequence[Finding], field: str, what: str) -> None:
    """ValidationError naming ``field`` when ``found`` lists identifying details (their
    words quoted so the writer knows what to change): ``what`` says
    where the text goes ("The IPCB reads this text")."""
    if not found:
        return
    raise ValidationError(
        f"{what}, so it must not say who it is about, but it gives {_listed(found)}. Write "
        "'the person' (or 'their daughter', 'the carer') instead, and leave out numbers, "
        "dates of birth, addresses and phone numbers.", field=field)
