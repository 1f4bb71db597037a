"""A framework document as the IPCB uploads it and a laptop receives it: decoded, checked by
its kind's rules, and fingerprinted.

The content is kept exactly as uploaded (its SHA-256 is over those bytes, UTF-8), so what
a laptop receives can be compared byte for byte with what the IPCB published. Decoding is
strict: not UTF-8, not JSON, a name given twice in one object (JSON readers silently keep
the last, so a step written twice would lose one), or NaN/Infinity are refused with the
place where the problem is.

A flow is checked as one the app's wizard can show (``app_flow.check_app_flow``); a
catalogue by ``catalogue_rules.check_catalogue``. A received release must also call itself
what the store says it is (``check_release``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from scp_common.framework.app_flow import check_app_flow
from scp_common.framework.catalogue_rules import CatalogueError, check_catalogue
from scp_common.framework.flow_rules import FlowError

KINDS: Final = ("flow", "catalogue")
KIND_NAMES: Final = {"flow": "delegation flow", "catalogue": "task catalogue"}
VERSION_KEYS: Final = {"flow": "flow_version", "catalogue": "catalogue_version"}
MAX_DOCUMENT_BYTES: Final = 1024 * 1024  # the shipped flow is ~25 KB, the catalogue ~24 KB


class DocumentError(ValueError):
    """The document cannot be used: the message says why, in plain words."""


@dataclass(frozen=True)
class CheckedDocument:
    """A document that passed every rule of its kind."""

    kind: str
    version: str
    content: str
    sha256: str
    data: Any


def sha256_text(content: str) -> str:
    """The hex SHA-256 of ``content`` as UTF-8 bytes."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DocumentError(f"The file gives {key!r} twice in one JSON object; each name "
                                "may appear once there.")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise DocumentError(f"The file holds {name}, which is not a number JSON allows.")


def decode(raw: bytes | str) -> tuple[str, Any]:
    """The document's text and its decoded JSON; DocumentError saying where it is wrong."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"The file is larger than {MAX_DOCUMENT_BYTES // 1024} KiB; a "
                                "flow or catalogue is far smaller.")
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DocumentError(f"The file is not UTF-8 text (byte {err.start + 1} cannot be "
                                "read); save it as UTF-8 and upload it again.") from None
    else:
        content = raw
    if not content.strip():
        raise DocumentError("The file is empty.")
    try:
        data = json.loads(content.removeprefix("\ufeff"), object_pairs_hook=_no_duplicates,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        what = err.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise DocumentError(f"The file is not valid JSON: {what} at line {err.lineno}, "
                            f"column {err.colno}.") from None
    except RecursionError:
        raise DocumentError("The file is not valid JSON: it is nested too deeply.") from None
    return content, data


def check_data(kind: str, data: Any) -> str:
    """The version of ``data`` once it passes every rule of ``kind``; DocumentError with
    the rule's own message otherwise."""
    if kind not in KINDS:
        raise DocumentError(f"Unknown kind {kind!r}: choose a flow or a catalogue.")
    try:
        if kind == "flow":
            check_app_flow(data)
        else:
            check_catalogue(data)
    except (FlowError, CatalogueError) as err:
        raise DocumentError(str(err)) from err
    return str(data[VERSION_KEYS[kind]])


def check_document(kind: str, raw: bytes | str) -> CheckedDocument:
    """Decode ``raw`` and check it as a ``kind`` (module docstring)."""
    content, data = decode(raw)
    version = check_data(kind, data)
    return CheckedDocument(kind, version, content, sha256_text(content), data)


def check_release(kind: str, version: str, content: str, sha256: str) -> CheckedDocument:
    """What a laptop received, checked again before it is kept: the fingerprint matches the
    content, the content passes every rule, and it is the version the store named."""
    if sha256_text(content) != sha256:
        raise DocumentError(f"The {KIND_NAMES.get(kind, kind)} {version} that arrived does not "
                            "match its fingerprint (SHA-256): it was changed on the way or on "
                            "the central store. It was not kept.")
    checked = check_document(kind, content)
    if checked.version != version:
        raise DocumentError(f"The {KIND_NAMES[kind]} sent as version {version} calls itself "
                            f"{checked.version}. It was not kept.")
    return checked
