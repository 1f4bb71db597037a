"""JSON in and out of the store: orjson on the hot path, the standard library as the fallback.

A push carries about a megabyte of JSON; orjson reads and writes it several times faster
than the standard library. Request bodies orjson refuses (a lone surrogate in a string) are
read again by the standard library, so such a row is rejected on its own instead of failing
the batch; NaN and Infinity are not JSON and fail the request either way. orjson reads an
integer beyond 64 bits as a float; the desktop app's rows hold no such numbers.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def loads(body: bytes | str) -> Any:
    """Parse a request body (raises ``json.JSONDecodeError``)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body, parse_constant=_no_constants)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; the standard library takes what orjson cannot (big integers)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")


def row_text(row: dict[str, Any]) -> bytes:
    """A row as UTF-8 JSON, key order as sent; ValueError if its text is not valid Unicode."""
    try:
        return orjson.dumps(row)
    except TypeError:
        try:
            return json.dumps(row, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("row contains text that is not valid Unicode") from exc
