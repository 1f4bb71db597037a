"""Finding people on the caseload: search as you type, filters, one page at a time.

What a nurse types is read as one of three things, by its characters alone:

- only digits (spaces and hyphens ignored): the start of an NHS number;
- any digit among letters: the start of a postcode, with or without its space;
- otherwise names: every word typed must begin the family, given or preferred name,
  ignoring case ("smi jo" finds "Smith, John"), or all the words together begin the
  family name ("ní bh" finds "Ní Bhriain"). Accented letters match in either case, but
  only as typed: "zoe" does not find "Zoë".

Then the team and status filters. SQLite does the filtering, the sorting (family, then
given name, each by ``services.core.collation.name_key``: accents beside their letter,
case ignored, "Kowalski, Łukasz" before "Zoë", "de Souza" among the Ds) and the paging;
one page of plain frozen rows reaches Python, never the caseload. NHS numbers and
postcodes are stored normalised (``services.identifiers``), so their prefixes are index
ranges. Names have no normalised column: a name search reads the person table once (about
10-20 ms at 50,000 people; ``benchmarks/caseload.py``).
Removed (tombstoned) people never appear.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    SQLColumnExpression,
    String,
    and_,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.review import Review
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import (
    format_nhs_number,
    normalise_nhs_number,
    normalise_postcode,
)

MAX_LIMIT = 1000
# Up to this many matches one pass finds them all; beyond it, the broad plan (``_Plan``).
# Measured at 50,000 people: the narrow plan costs ~1 ms per 1,000 matches over its scan,
# and the broad one is cheap once a fifth of the caseload matches.
NARROW_MATCHES = 10000
NHS_NUMBER_LENGTH = 10
_LIKE_ESCAPE = "\\"
# A postcode's outward code is 2-4 characters, its inward code a digit and two letters.
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_OUTWARD_PREFIX = re.compile(r"^[A-Z]{1,2}(\d[A-Z\d]?)?$")
_INWARD_PREFIX = re.compile(r"^\d[A-Z]{0,2}$")
_WORD_SPLIT = re.compile(r"[\s,]+")
# Cases whose reviews still matter: a withdrawn or closed arrangement has none due.
_ENDED = (CaseStatus.WITHDRAWN.value, CaseStatus.CLOSED.value)
_DRAFTS = (CaseStatus.DRAFT.value, CaseStatus.IN_PROGRESS.value)


class CaseloadStatus(enum.StrEnum):
    """The status filter of the caseload screen."""

    ACTIVE_DELEGATION = "active_delegation"
    REVIEW_OVERDUE = "review_overdue"
    DRAFT_IN_PROGRESS = "draft_in_progress"


@dataclass(frozen=True)
class CaseloadQuery:
    """What the caseload screen asks for: typed text, filters and the page wanted.

    ``status`` is a ``CaseloadStatus`` value (or None for everyone; anything else is a
    ValueError). ``limit`` is capped at ``MAX_LIMIT``.
    """

    text: str = ""
    team: str | None = None
    status: str | None = None
    offset: int = 0
    limit: int = 200


@dataclass(frozen=True)
class CaseloadRow:
    """One person as the caseload table shows them."""

    person_id: str
    nhs_number_display: str
    full_name: str
    date_of_birth: dt.date
    postcode: str
    team: str
    active_delegations: int
    next_review_due: dt.date | None


@dataclass(frozen=True)
class CaseloadPage:
    """One page of matches and how many match in all."""

    rows: tuple[CaseloadRow, ...]
    total: int


@dataclass(frozen=True)
class NewPersonHint:
    """What a search that found nobody can fill in on the new person's form: a valid NHS
    number (ten digits), the names, or a whole postcode; empty where the search said
    nothing sure (an NHS number that fails its check, a postcode cut short)."""

    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    postcode: str = ""


def new_person_hint(text: str) -> NewPersonHint:
    """The search ``text`` read for the new person's form, as ``search`` reads it: digits
    are an NHS number (kept only when valid: hazard H-021), digits among letters a
    postcode (kept only when whole), else names: "Family, Given", one word for the family
    name, or "Given Family Name" (the first word the given name). Names are kept as typed."""
    typed = " ".join(unicodedata.normalize("NFC", text).split())
    compact = re.sub(r"[\s-]", "", typed)
    try:
        if compact.isascii() and compact.isdigit():
            return NewPersonHint(nhs_number=normalise_nhs_number(compact))
        if any(c.isdigit() for c in typed):
            return NewPersonHint(postcode=normalise_postcode(typed))
    except ValidationError:
        return NewPersonHint()
    if "," in typed:
        family, _, given = typed.partition(",")
        return NewPersonHint(given_name=given.strip(" ,"), family_name=family.strip())
    given, _, family = typed.partition(" ")
    return NewPersonHint(family_name=given) if not family else NewPersonHint(
        given_name=given, family_name=family)


def display_name(family: str, given: str, preferred: str | None) -> str:
    """``Family, Given (Preferred)``; the preferred name only when it differs."""
    name = f"{family}, {given}"
    return f"{name} ({preferred})" if preferred and preferred != given else name


def search(uow: UnitOfWork, query: CaseloadQuery, today: dt.date | None = None) -> CaseloadPage:
    """The page of people matching ``query``, sorted by family then given name (then id,
    so pages never overlap), and the exact number of people matching.

    ``today`` decides what is overdue (tests pass a fixed day). How SQLite is asked
    depends on how many people could match; see ``_Plan``.
    """
    today = today or dt.date.today()
    limit = max(0, min(query.limit, MAX_LIMIT))
    offset = max(0, query.offset)
    typed = _Typed.parse(query.text)
    with uow.read() as session:
        plan = _Plan.choose(session, typed, query.team, query.status)
        if not plan.broad:
            narrow = _conditions(typed, query, today, plan)
            result = session.execute(_narrow_page(narrow, limit, offset)).all()
            matched = int(result[0].matched)
            if matched <= NARROW_MATCHES:
                return CaseloadPage(tuple(_row(r) for r in result if r.id is not None), matched)
        broad = _conditions(typed, query, today, _Plan(broad=True, range_index=False))
        rows = tuple(_row(r) for r in _broad_rows(session, broad, limit, offset))
        return CaseloadPage(rows, _count(session, broad))


def teams(uow: UnitOfWork) -> list[str]:
    """The teams of the people on the caseload, in order (for the team filter)."""
    # The distinct teams come from the team index alone; each is then checked for one
    # person not removed, instead of reading every person's row.
    distinct = select(Person.team).distinct().subquery("teams")
    alive = aliased(Person)
    stmt = (select(distinct.c.team)
            .where(select(alive.id).where(alive.team == distinct.c.team,
                                          alive.deleted.is_(False)).exists())
            .order_by(by_name(distinct.c.team)))
    with uow.read() as session:
        return list(session.scalars(stmt))


# ---------------------------------------------------------------- reading the typed text


@dataclass(frozen=True)
class _Typed:
    """The search text read as an NHS number start, postcode starts or name words."""

    ranges: tuple[tuple[str, str], ...] = ()  # (column name, prefix), any of them
    names: str = ""
    nothing: bool = False  # text that can match no one ("LE1 X", eleven digits)

    @classmethod
    def parse(cls, text: str) -> _Typed:
        text = unicodedata.normalize("NFC", text).strip()
        compact = re.sub(r"[\s-]", "", text)
        if not text:
            return cls()
        if compact.isascii() and compact.isdigit():
            if len(compact) > NHS_NUMBER_LENGTH:
                return cls(nothing=True)
            return cls(ranges=(("nhs_number", compact),))
        if any(c.isdigit() for c in text):
            prefixes = postcode_prefixes(text)
            return cls(ranges=tuple(("postcode", p) for p in prefixes), nothing=not prefixes)
        words = " ".join(w for w in _WORD_SPLIT.split(text) if w)
        return cls(names=words)


@dataclass(frozen=True)
class _Plan:
    """How to ask SQLite, chosen from counts that the indexes alone can answer.

    *Narrow*: collect every match in one pass (through the smaller of the NHS-number or
    postcode range and the team, or a scan for names), then count them and sort the page
    from that set. *Broad* (more than ``NARROW_MATCHES``): read the page in name order
    from the family-name index, which soon meets enough matches, and count in a scan. A
    narrow attempt that finds too many falls back to broad. A range or team is left out of
    the index choice (``+column``) when SQLite would otherwise pick the worse index.
    """

    broad: bool = False
    range_index: bool = True
    team_index: bool = True

    @classmethod
    def choose(cls, session: Session, typed: _Typed, team: str | None,
               status: str | None) -> _Plan:
        if not (typed.ranges or typed.names or typed.nothing or team or status):
            return cls(broad=True)  # everyone: only the name order helps
        in_range = _index_count(session, _ranges(typed, indexed=True)) if typed.ranges else None
        in_team = _index_count(session, [Person.team == team]) if team else None
        known = [n for n in (in_range, in_team) if n is not None]
        if known and min(known) > NARROW_MATCHES and not (status or typed.names):
            return cls(broad=True)
        if in_range is not None and in_team is not None:
            return cls(range_index=in_range <= in_team, team_index=in_team < in_range)
        return cls()


def _index_count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    """How many rows meet ``conditions``, removed people included: the index alone answers."""
    return session.scalar(select(func.count()).select_from(Person).where(*conditions)) or 0


def _conditions(typed: _Typed, query: CaseloadQuery, today: dt.date, plan: _Plan
                ) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Person.deleted.is_(False)]
    if typed.nothing:
        conditions.append(false())
    if typed.ranges:
        conditions.extend(_ranges(typed, indexed=plan.range_index))
    if typed.names:
        conditions.append(_names(typed.names))
    if query.team:
        team = Person.team if plan.team_index else _not_indexed(Person.team.expression)
        conditions.append(team == query.team)
    if query.status:
        conditions.append(_status_condition(CaseloadStatus(query.status), today))
    return conditions


def _not_indexed(column: ColumnElement[str]) -> ColumnElement[str]:
    """``+column``: the same value, but SQLite's planner will not use an index for it."""
    return UnaryExpression(column, operator=custom_op("+"), type_=String())


def _ranges(typed: _Typed, *, indexed: bool) -> list[ColumnElement[bool]]:
    """The NHS number or postcode starts with one of the typed prefixes.

    A range, not LIKE: LIKE ignores case, so SQLite cannot use the (binary) index for it.
    ``indexed=False``: a broad range is cheaper to test on each row of a scan than to
    visit row by row through its index.
    """
    terms = []
    for name, prefix in typed.ranges:
        column: ColumnElement[str] = getattr(Person, name).expression
        if not indexed:
            column = _not_indexed(column)
        upper_bound = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        terms.append(and_(column >= prefix, column < upper_bound))
    return [or_(*terms)]


def postcode_prefixes(typed: str) -> list[str]:
    """The stored forms (``LE1 5WW``) that a typed start of a postcode can begin.

    A typed space is taken as the split between outward and inward code; without one,
    every split that makes sense is tried: ``LE15`` is LE15 or the start of LE1 5...
    """
    parts = typed.upper().split()
    if not parts or not all(p.isascii() and p.isalnum() for p in parts):
        return []
    if len(parts) == 2:
        outward, inward = parts
        ok = _OUTWARD.match(outward) and _INWARD_PREFIX.match(inward)
        return [f"{outward} {inward}"] if ok else []
    compact = "".join(parts)
    prefixes = [compact] if _OUTWARD_PREFIX.match(compact) else []
    for split in range(2, min(4, len(compact) - 1) + 1):
        outward, inward = compact[:split], compact[split:]
        if _OUTWARD.match(outward) and _INWARD_PREFIX.match(inward):
            prefixes.append(f"{outward} {inward}")
    return prefixes


def _starts_with(column: SQLColumnExpression[str | None], typed: str) -> ColumnElement[bool]:
    """``column`` begins with ``typed``, ignoring case (also for accented letters)."""
    if typed.isascii():
        escaped = re.sub(r"([\\%_])", r"\\\1", typed)
        return column.like(escaped + "%", escape=_LIKE_ESCAPE)
    # LIKE folds ASCII letters only; GLOB with a class per letter ([Łł]) folds them all.
    return column.op("GLOB")("".join(_glob_char(c) for c in typed) + "*")


def _glob_char(char: str) -> str:
    if char in "*?[]":
        return f"[{char}]"
    upper, lower = char.upper(), char.lower()
    if upper != lower and len(upper) == 1 and len(lower) == 1:
        return f"[{upper}{lower}]"
    return char


def _name_word(word: str) -> ColumnElement[bool]:
    return or_(_starts_with(Person.family_name, word), _starts_with(Person.given_name, word),
               _starts_with(Person.preferred_name, word))


def _names(text: str) -> ColumnElement[bool]:
    """Every typed word begins the family, given or preferred name; or all the words
    together begin the family name ("ní bh" finds "Ní Bhriain", "smith-j" "Smith-Jones").
    ``text`` is the words joined by single spaces (``_Typed.parse``).

    Words inside a name ("jones" in "Smith-Jones") are not matched: testing every word
    start costs about twice the scan (see the benchmark); a search column would fix it.
    """
    first, *rest = text.split(" ")
    if not rest:
        return _name_word(first)
    # The whole phrase can only begin a family name that the first word begins, so it is
    # tested only on the few rows the first word lets through.
    phrase = _starts_with(Person.family_name, " ".join([first, *rest]))
    return and_(_name_word(first), or_(phrase, and_(*(_name_word(w) for w in rest))))


# ---------------------------------------------------------------- statuses and the page


def _outstanding_reviews() -> Select[Any]:
    return (select(Review.person_id)
            .join(DelegationCase, DelegationCase.id == Review.delegation_case_id)
            .where(Review.done_on.is_(None), Review.deleted.is_(False),
                   DelegationCase.deleted.is_(False), DelegationCase.status.not_in(_ENDED)))


def _status_condition(status: CaseloadStatus, today: dt.date) -> ColumnElement[bool]:
    # IN (subquery) lets SQLite start from the few matching cases, not from every person.
    if status is CaseloadStatus.REVIEW_OVERDUE:
        return Person.id.in_(_outstanding_reviews().where(Review.due_on < today))
    wanted = ((CaseStatus.ACTIVE.value,) if status is CaseloadStatus.ACTIVE_DELEGATION
              else _DRAFTS)
    return Person.id.in_(select(DelegationCase.person_id).where(
        DelegationCase.status.in_(wanted), DelegationCase.deleted.is_(False)))


def _row_columns(person_id: SQLColumnExpression[str]) -> list[ColumnElement[Any]]:
    """A page row's figures, worked out for the rows of the page only."""
    # Without statistics SQLite would look up every active case by status for each row;
    # ``+status`` leaves it the person's own few cases.
    active = (select(func.count()).select_from(DelegationCase)
              .where(DelegationCase.person_id == person_id,
                     _not_indexed(DelegationCase.status.expression) == CaseStatus.ACTIVE.value,
                     DelegationCase.deleted.is_(False))
              .scalar_subquery())
    next_due = (_outstanding_reviews().where(Review.person_id == person_id)
                .with_only_columns(func.min(Review.due_on)).scalar_subquery())
    return [active.label("active"), next_due.label("next_due")]


_PERSON_COLUMNS = (Person.id, Person.nhs_number, Person.family_name, Person.given_name,
                   Person.preferred_name, Person.date_of_birth, Person.postcode, Person.team)
_BY_NAME = (by_name(Person.family_name), by_name(Person.given_name), Person.id)


def _narrow_page(conditions: list[ColumnElement[bool]], limit: int, offset: int
                 ) -> Select[Any]:
    """One row per person on the page, each with ``matched``: how many match, counted up to
    ``NARROW_MATCHES + 1``. With no one on the page, one row of NULLs still carries it.

    Each match's family name key is worked out once (in Python: ``name_key``); the given
    name's only for the people up to the family key the page ends at, not for every match.
    """
    matches = (select(Person.id, by_name(Person.family_name).label("family_key"),
                      Person.given_name)
               .where(*conditions).limit(NARROW_MATCHES + 1)
               .cte("matches").prefix_with("MATERIALIZED"))  # read once, used thrice
    last = (select(matches.c.family_key).order_by(matches.c.family_key)
            .limit(1).offset(max(0, offset + limit - 1)).scalar_subquery())
    page = (select(matches.c.id)
            .where(or_(last.is_(None), matches.c.family_key <= last))
            .order_by(matches.c.family_key, by_name(matches.c.given_name), matches.c.id)
            .limit(limit).offset(offset).subquery("page"))
    counted = select(func.count().label("matched")).select_from(matches).subquery("counted")
    joined = counted.outerjoin(page, true()).outerjoin(Person, Person.id == page.c.id)
    return (select(counted.c.matched, *_PERSON_COLUMNS, *_row_columns(Person.id))
            .select_from(joined).order_by(*_BY_NAME))


def _broad_rows(session: Session, conditions: list[ColumnElement[bool]], limit: int,
                offset: int) -> list[Row[Any]]:
    """The page of a broad search, read in name order from the names' key index
    (``ix_person_family_key``, on ``name_key(family_name), name_key(given_name)``:
    migration 0010), which also holds the keys the page is sorted by.

    SQLite 3.53 (SQLCipher's) will not walk that index for a three-term ORDER BY and sorts
    the whole table instead; it does for one term. So first find the family name's key the
    page ends at, walking the index on it alone, then sort only the rows up to it.
    """
    if limit == 0:
        return []
    family = by_name(Person.family_name)
    last_family = session.scalar(select(family).where(*conditions)
                                 .order_by(family).limit(1).offset(offset + limit - 1))
    if last_family is not None:
        conditions = [*conditions, family <= last_family]
    page = (select(*_PERSON_COLUMNS).where(*conditions)
            .order_by(*_BY_NAME).limit(limit).offset(offset).subquery("page"))
    statement = (select(page, *_row_columns(page.c.id))
                 .order_by(by_name(page.c.family_name), by_name(page.c.given_name),
                           page.c.id))
    return list(session.execute(statement))


def _count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).select_from(Person).where(*conditions)) or 0


def _row(r: Row[Any]) -> CaseloadRow:
    values = r._mapping
    return CaseloadRow(
        person_id=values["id"],
        nhs_number_display=format_nhs_number(values["nhs_number"]),
        full_name=display_name(values["family_name"], values["given_name"],
                               values["preferred_name"]),
        date_of_birth=values["date_of_birth"],
        postcode=values["postcode"],
        team=values["team"],
        active_delegations=int(values["active"]),
        next_review_due=values["next_due"],
    )
