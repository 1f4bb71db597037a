"""Names in the order a reader expects: accents beside their letter, case ignored.

Python's own order, and SQLite's (BINARY), compare code points: "Łukasiewicz" and
"Öztürk" come after "Zoë", and "de Souza" after every capital. ``name_key`` turns a name
into a text whose code-point order is the order a UK reader expects (the Unicode
collation's first three levels, closely enough for names written in Latin letters):

1. the letters without their accents and without case: "Zoë" is filed as "zoe",
   "Łukasz" as "lukasz". Letters that Unicode does not decompose into a letter and an
   accent (Ł, Ø, Đ, Ħ, ı, ß, Æ, Œ, Þ ...) are spelt out from a table; stripping accents
   alone would leave "Łukasz" after "Zoë". Spaces and punctuation sort before letters
   ("Smith, Zed" before "Smithson"), typographic apostrophes and dashes as ASCII ones;
2. then the accents: "Zoe" before "Zoë", "Lukasz" before "Łukasz";
3. then the name exactly as written, so two different names never tie (a total order,
   the same on every laptop whatever its locale).

The same key orders Python lists (``sorted(rows, key=lambda r: name_key(r.name))``) and
SQL: every vault connection has it as the SQL function ``name_key`` (``register``,
called by ``services.vault.database``), used as ``ORDER BY name_key(family_name)``
(``by_name``). An index on ``name_key(family_name), name_key(given_name)`` (migration
0010) lets the caseload walk people in this order. SQLite keeps the keys it computed, so
the index must be rebuilt whenever the key could change: ``KEY_VERSION`` names this code's
rules and the Unicode tables Python ships (a Python upgrade can change a decomposition),
and opening a vault rebuilds the index when the version it was built with differs
(``services.vault.vault``). Change ``_RULES`` when the rules here change.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, String, func
from sqlalchemy.orm import QueryableAttribute

__all__ = ["INDEX", "KEY_VERSION", "SQL_FUNCTION", "by_name", "name_key", "register"]

SQL_FUNCTION = "name_key"
INDEX = "ix_person_family_key"
_RULES = "1"
#: What the keys depend on: these rules and the Unicode tables of this Python.
KEY_VERSION = f"{_RULES}/unicode {unicodedata.unidata_version}"
_LEVELS = "\x01"  # below every character a key's first two levels can hold
# Letters with no decomposition into a base letter and a combining mark.
_SPELT_OUT = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t", "ı": "i", "ȷ": "j", "Ŋ": "N", "ŋ": "n",
    "Ƒ": "F", "ƒ": "f", "Ɨ": "I", "ɨ": "i", "Ƶ": "Z", "ƶ": "z", "Ɓ": "B", "ɓ": "b",
    "Ɗ": "D", "ɗ": "d", "Ƙ": "K", "ƙ": "k", "Ƴ": "Y", "ƴ": "y", "ĸ": "q",
    "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th", "ß": "ss",
    "ẞ": "SS", "Ǆ": "DZ", "ǅ": "Dz", "ǆ": "dz",
    # Typographic apostrophes and dashes file as the ASCII ones typed on a keyboard.
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u02bb": "'", "`": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
})
_DROPPED = ("Mn", "Me", "Cc", "Cf", "Cs", "Co", "Cn")  # marks, controls, unassigned


def _letters(text: str) -> str:
    """Level 1: accents and controls dropped, letters spelt out, case folded."""
    kept = []
    for char in unicodedata.normalize("NFKD", text):
        kind = unicodedata.category(char)
        if kind in _DROPPED:
            continue
        kept.append(" " if kind.startswith("Z") else char)
    return "".join(kept).translate(_SPELT_OUT).casefold()


def _accents(text: str) -> str:
    """Level 2: the letters with their accents, case folded (controls dropped)."""
    return "".join(c for c in unicodedata.normalize("NFD", text).casefold()
                   if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))


@functools.lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """The text to sort ``text`` by (see the module): equal keys only for equal names."""
    if text.isascii() and text.isprintable():  # most names: the same key, sooner
        return f"{text.translate(_SPELT_OUT).lower()}{_LEVELS}{text.lower()}{_LEVELS}{text}"
    return f"{_letters(text)}{_LEVELS}{_accents(text)}{_LEVELS}{text}"


def _sql_name_key(value: Any) -> Any:
    """``name_key`` for SQLite: NULL stays NULL (sorted first), a non-text value as it is."""
    return name_key(value) if isinstance(value, str) else value


def register(connection: Any) -> None:
    """Give a DB-API SQLite or SQLCipher connection the ``name_key`` SQL function
    (deterministic, so an index may use it)."""
    connection.create_function(SQL_FUNCTION, 1, _sql_name_key, deterministic=True)


def by_name(column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str]:
    """``name_key(column)``: order by a name column as a reader expects."""
    return func.name_key(column, type_=String())
