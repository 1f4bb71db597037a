"""JSON in and out of the store: orjson on the hot path, the standard library where care is needed.

A push carries about a megabyte of JSON; orjson reads and writes it several times faster
than the standard library. Bodies orjson refuses (a lone surrogate in a string) are read
again by the standard library, so such a row is rejected on its own instead of failing the
batch. A body that is not UTF-8, not JSON (NaN and Infinity included) or nested too deeply
for the reader (about 1,000 levels) raises ``json.JSONDecodeError``, which FastAPI answers
with 422.

Numbers are never changed on the way in. The laptops keep integers as signed 64-bit and
other numbers as doubles, and the store keeps each row as JSON text, so a number is refused
if it cannot be stored exactly: an integer outside signed 64 bits (``2**70``), or a number
with a fraction or exponent that is not finite or does not come back with the same value
from a double (``1e400``, ``1e-400``, ``0.12345678901234567891``). A cheap scan of the raw
bytes finds the few bodies that could hold one (a number with 16 or more digits, or a
negative exponent of 3 or more digits); only those are read by the standard library, with
hooks that put an ``Inexact`` marker in place of each such number. Where a marker lands
decides the answer: inside a pushed change's ``row`` it rejects that change alone
(``row_text`` raises the reason, naming the field), as any other bad row is; anywhere else
the whole request is refused (422, naming the field).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_SHOWN = 32  # characters of a refused number or key shown in a reason

# Which bodies could hold a number that is not exact, found without a regex walking every
# byte (too slow on a megabyte). The body is first mapped to a small alphabet (digits and
# dots to "0", "e"/"E" to "e", "-" kept, JSON delimiters and whitespace to ",", anything
# else to "x"); then a candidate is either a run of 16 or more digits and dots, or a
# negative exponent of 3 or more digits ending the number. Everything else is exact: an
# integer of at most 15 digits fits in 64 bits, a decimal of at most 15 significant digits
# with an exponent under 100 survives a double (DBL_DIG is 15), and a positive exponent
# large enough to overflow makes orjson fail, which takes the careful road anyway. Only
# underflow (``1e-400`` read as 0.0) would slip through orjson silently. Text in strings
# rarely looks like either; when it does, the body merely takes the careful road.
_ALPHABET = bytes(
    ord("0") if chr(i) in "0123456789." else ord("e") if chr(i) in "eE" else
    ord("-") if chr(i) == "-" else ord(",") if chr(i) in ",]} \t\r\n" else ord("x")
    for i in range(256))
_LONG_RUN = b"0" * 16
_UNDERFLOW = re.compile(rb"e-000+,")  # mostly meets UUIDs ("...8e-1234-..."): a "-" ends them


def _may_be_inexact(body: bytes) -> bool:
    mapped = body.translate(_ALPHABET) + b","
    return _LONG_RUN in mapped or _UNDERFLOW.search(mapped) is not None


class Inexact:
    """A number the store cannot keep exactly, with its text as sent."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Inexact({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Inexact) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def refusal(self, path: str) -> str:
        """The reason, naming the field: ``row.dose_mg: 1e400 cannot be stored exactly``."""
        return f"{path}: {_shorten(self.text)} cannot be stored exactly"


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + "..."


def _exact_int(text: str) -> int | Inexact:
    # Length first: int() of thousands of digits is slow, and refused beyond 4,300.
    if len(text) > 20:
        return Inexact(text)
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else Inexact(text)


def _exact_float(text: str) -> float | Inexact:
    value = float(text)
    if math.isfinite(value) and Decimal(text) == Decimal(repr(value)):
        return value
    return Inexact(text)


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def loads(body: bytes, *, rows_alone: bool = False) -> Any:
    """Parse a request body (raises ``json.JSONDecodeError``, naming any inexact number).

    With ``rows_alone`` (the push), an inexact number inside ``changes[i].row`` is left as an
    ``Inexact`` marker for that change to be rejected on its own.
    """
    if not _may_be_inexact(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # the careful reader says what is wrong, or reads what orjson would not
    value, inexact = _careful(body)
    for path, marker in _markers(value) if inexact else ():
        if not (rows_alone and len(path) >= 3 and path[0] == "changes"
                and isinstance(path[1], int) and path[2] == "row"):
            raise json.JSONDecodeError(marker.refusal(_path_text(path)), "", 0)
    return value


def _careful(body: bytes) -> tuple[Any, bool]:
    """The body read by the standard library, and whether it holds any ``Inexact``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None
    made: list[Inexact] = []

    def exact_int(number: str) -> int | Inexact:
        value = _exact_int(number)
        if isinstance(value, Inexact):
            made.append(value)
        return value

    def exact_float(number: str) -> float | Inexact:
        value = _exact_float(number)
        if isinstance(value, Inexact):
            made.append(value)
        return value

    try:
        value = json.loads(text, parse_int=exact_int, parse_float=exact_float,
                           parse_constant=_no_constants)
        return value, bool(made)
    except json.JSONDecodeError as exc:
        raise json.JSONDecodeError(exc.msg, "", exc.pos) from None  # not the whole body again
    except RecursionError:
        raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None


Path = tuple[str | int, ...]


def _markers(value: Any, path: Path = ()) -> Iterator[tuple[Path, Inexact]]:
    """Every ``Inexact`` in ``value`` with its path, depth first (without recursion)."""
    stack: list[tuple[Path, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Inexact):
            yield where, item
        elif isinstance(item, dict):
            stack.extend(reversed([((*where, k), v) for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([((*where, i), v) for i, v in enumerate(item)]))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _path_text(path: Path) -> str:
    """``("changes", 3, "row", "dose_mg")`` as ``changes[3].row.dose_mg``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _NAME.fullmatch(part) and len(part) <= _SHOWN:
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(_shorten(part))}]"
    return text or "the body"


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; the standard library takes what orjson cannot (big integers)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")


def row_text(row: dict[str, Any]) -> bytes:
    """A row as UTF-8 JSON, key order as sent; ValueError, with the reason, if it holds a
    number that cannot be stored exactly or text that is not valid Unicode."""
    try:
        return orjson.dumps(row)
    except TypeError:  # orjson.JSONEncodeError: a marker, a lone surrogate, deep nesting
        pass
    for path, marker in _markers(row, ("row",)):
        raise ValueError(marker.refusal(_path_text(path)))
    try:
        return json.dumps(row, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("row contains text that is not valid Unicode") from exc
    except RecursionError as exc:
        raise ValueError("row is nested too deeply") from exc
