"""Which activity group a task is in, as the reports read it on the store.

A delegation keeps the task code and the catalogue version it was decided under; the
laptop's reports look its category up in that version (its vault's ``task_type`` table),
else in the newest version that knows the code, else "other". The store does the same
over every catalogue it knows, as ``sync_server.framework`` knows them: the ones the app
ships (its ``resources/`` folder) and every version the IPCB published from the console.
Only codes, versions, categories and their labels are read: publishing checked the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scp_common.framework.versions import version_key
from sync_server import framework

OTHER = "other"
NO_TASK_CODE = ""  # a social care need recorded with no healthcare task (S1)


@dataclass(frozen=True)
class Categories:
    """Task categories: (code, version) → category, code → the newest version's category,
    and the category labels of the newest catalogue, in its order."""

    by_version: Mapping[tuple[str, str], str]
    newest: Mapping[str, str]
    labels: tuple[tuple[str, str], ...]

    def of(self, code: str, version: str) -> str:
        """The task's category under its own version, else the newest, else other."""
        return self.by_version.get((code, version)) or self.newest.get(code) or OTHER

    @property
    def label_map(self) -> dict[str, str]:
        """Category code → label."""
        return dict(self.labels)


def documents(db: Session, kind: str) -> list[Any]:
    """Every known document of ``kind`` ("flow" or "catalogue"), shipped and published,
    decoded (one that does not decode is left out)."""
    found = []
    for content in [*(s.content for s in framework.shipped() if s.kind == kind),
                    *(r.content for r in framework.published(db, kind))]:
        try:
            found.append(json.loads(content))
        except ValueError:
            continue
    return found


def categories(db: Session) -> Categories:
    """Every known catalogue's categories (the shipped ones and those published)."""
    return from_documents(documents(db, "catalogue"))


def from_documents(docs: Iterable[Any]) -> Categories:
    """The categories of already-decoded catalogue documents (malformed parts skipped)."""
    usable = [doc for doc in docs
              if isinstance(doc, dict) and isinstance(doc.get("catalogue_version"), str)]
    usable.sort(key=lambda doc: version_key(doc["catalogue_version"]))
    by_version: dict[tuple[str, str], str] = {}
    newest: dict[str, str] = {}
    labels: tuple[tuple[str, str], ...] = ()
    for doc in usable:  # oldest first: the newest version wins
        for task in doc.get("tasks") or ():
            if isinstance(task, dict) and isinstance(task.get("code"), str):
                category = str(task.get("category") or OTHER)
                by_version[(task["code"], doc["catalogue_version"])] = category
                newest[task["code"]] = category
        found = tuple((str(c["code"]), str(c.get("label", c["code"])))
                      for c in doc.get("categories") or () if isinstance(c, dict) and "code" in c)
        labels = found or labels
    return Categories(by_version, newest, labels)
