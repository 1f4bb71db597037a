"""The caseload screen (``ui.caseload``), driven with the keyboard and mouse as a nurse would.

Two kinds of ``run``: ``run_now`` calls the search at once on this thread, against a real
encrypted vault (the ``vault`` fixture, opened on this thread); ``HeldRunner`` keeps each
search until the test delivers it, in any order, with a fake in-memory search, so the
test decides when and in which order answers come back.

How these tests were seen to fail (each mutation made in ``ui/caseload.py``, the tests
run, the mutation undone): the sequence check in ``_on_page_found`` removed: the stale
answer test fails; ``textChanged`` connected to ``search_now`` (no debounce): the typing
test fails (three searches); ``_PeopleTable.keyPressEvent`` removed: the Enter test fails;
an accessible name removed: the accessibility test names the control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.models.person import Person
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.people import caseload
from desktop_app.services.people.caseload import (
    CaseloadPage,
    CaseloadQuery,
    CaseloadRow,
    CaseloadStatus,
)
from desktop_app.services.vault import VaultSession
from desktop_app.ui.caseload import CaseloadModel, CaseloadWidget
from tests.support import person_values

FAMILIES = ["Smith", "Smithson", "Jones", "Patel", "Kowalski"]


def run_now(fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
    done(fn())


class HeldRunner:
    """Keeps every (fn, done) until the test delivers it."""

    def __init__(self) -> None:
        self.held: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.held.append((fn, done))

    def deliver(self, position: int = 0) -> None:
        fn, done = self.held.pop(position)
        done(fn())

    def deliver_all(self) -> None:
        while self.held:
            self.deliver()


def fake_row(serial: int, family: str, given: str = "Ann") -> CaseloadRow:
    return CaseloadRow(person_id=f"person-{serial}",
                       nhs_number_display=format_nhs_number(synthetic_nhs_number(serial)),
                       full_name=f"{family}, {given}", date_of_birth=dt.date(1940, 1, 2),
                       postcode="LE1 5WW", team="City North INT", active_delegations=serial % 3,
                       next_review_due=dt.date(2026, 7, 9) if serial % 2 else None)


class FakeCaseload:
    """An in-memory ``search``: names starting with the typed text; records each query."""

    def __init__(self, rows: list[CaseloadRow]) -> None:
        self.rows = rows
        self.queries: list[CaseloadQuery] = []

    def search(self, query: CaseloadQuery) -> CaseloadPage:
        self.queries.append(query)
        found = [r for r in self.rows if r.full_name.lower().startswith(query.text.lower())]
        return CaseloadPage(tuple(found[query.offset:query.offset + query.limit]), len(found))


def shown_names(widget: CaseloadWidget) -> list[str]:
    model = widget.model
    return [model.data(model.index(r, CaseloadModel.NAME)) for r in range(model.rowCount())]


@pytest.fixture
def people(vault: VaultSession) -> dict[str, str]:
    """A few people in the vault: full name -> id."""
    with vault.uow.begin() as session:
        added = [Person(**person_values(serial, family_name=family, given_name="Edith"))
                 for serial, family in enumerate(FAMILIES, start=1)]
        session.add_all(added)
    return {f"{p.family_name}, {p.given_name}": p.id for p in added}


@pytest.fixture
def searches() -> list[CaseloadQuery]:
    """Every query the real widget sent, in order."""
    return []


@pytest.fixture
def real_widget(qtbot: Any, vault: VaultSession, people: dict[str, str],
                searches: list[CaseloadQuery]) -> CaseloadWidget:
    """The screen over the vault, shown, with the search run at once on this thread."""
    def search(query: CaseloadQuery) -> CaseloadPage:
        searches.append(query)
        return caseload.search(vault.uow, query)

    widget = CaseloadWidget(run_now, search, lambda: caseload.teams(vault.uow))
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_typing_searches_once_when_the_typing_pauses(qtbot: Any, real_widget: CaseloadWidget,
                                                     searches: list[CaseloadQuery]) -> None:
    assert len(shown_names(real_widget)) == len(FAMILIES)  # everyone, on opening
    assert real_widget.status_label.text() == "5 people"
    searches.clear()
    qtbot.keyClicks(real_widget.search_edit, "smi")
    assert searches == []  # nothing yet: the typing has not paused
    with qtbot.waitSignal(real_widget.results_shown, timeout=2000) as shown:
        pass
    assert shown.args == [2]
    assert [q.text for q in searches] == ["smi"]
    assert shown_names(real_widget) == ["Smith, Edith", "Smithson, Edith"]
    assert real_widget.status_label.text() == "2 people"


def test_no_match_says_so(qtbot: Any, real_widget: CaseloadWidget) -> None:
    qtbot.keyClicks(real_widget.search_edit, "zzz")
    qtbot.waitUntil(lambda: real_widget.model.rowCount() == 0, timeout=2000)
    assert real_widget.status_label.text() == "No one matches “zzz”"


@pytest.mark.hazard("H-015")
def test_enter_on_a_row_opens_that_person(qtbot: Any, real_widget: CaseloadWidget,
                                          people: dict[str, str]) -> None:
    table = real_widget.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # from the first row (selected) to the second
    name = real_widget.model.data(table.currentIndex().siblingAtColumn(0))
    emitted: list[str] = []
    real_widget.person_opened.connect(emitted.append)
    with qtbot.waitSignal(real_widget.person_opened, timeout=1000) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [people[name]]
    assert emitted == [people[name]]  # once
    assert name == sorted(people)[1]


@pytest.mark.hazard("H-015")
def test_double_click_on_a_row_opens_that_person(qtbot: Any, real_widget: CaseloadWidget,
                                                 people: dict[str, str]) -> None:
    table = real_widget.table
    index = real_widget.model.index(3, CaseloadModel.POSTCODE)
    where = table.visualRect(index).center()
    # A real double-click starts with a click: the view opens only the row pressed on.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    emitted: list[str] = []
    real_widget.person_opened.connect(emitted.append)
    with qtbot.waitSignal(real_widget.person_opened, timeout=1000) as opened:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert opened.args == [people[sorted(people)[3]]]
    assert emitted == opened.args  # once


def test_ctrl_f_goes_to_the_search_box(qtbot: Any, real_widget: CaseloadWidget) -> None:
    real_widget.activateWindow()
    real_widget.table.setFocus()
    qtbot.waitUntil(real_widget.table.hasFocus, timeout=1000)
    qtbot.keyClick(real_widget.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(real_widget.search_edit.hasFocus, timeout=1000)


@pytest.mark.hazard("H-015")
def test_a_stale_answer_is_dropped(qtbot: Any) -> None:
    fake = FakeCaseload([fake_row(i, f) for i, f in enumerate(FAMILIES)])
    runner = HeldRunner()
    widget = CaseloadWidget(runner, fake.search, lambda: [], delay_ms=10)
    qtbot.addWidget(widget)
    runner.deliver_all()  # the teams and the opening search
    qtbot.keyClicks(widget.search_edit, "s")
    qtbot.waitUntil(lambda: len(runner.held) == 1, timeout=1000)
    qtbot.keyClicks(widget.search_edit, "mithson")
    qtbot.waitUntil(lambda: len(runner.held) == 2, timeout=1000)
    runner.deliver(1)  # the answer to "smithson" comes back first...
    assert shown_names(widget) == ["Smithson, Ann"]
    runner.deliver(0)  # ...then the slow answer to "s", which must not replace it
    assert shown_names(widget) == ["Smithson, Ann"]
    assert widget.status_label.text() == "1 person"
    assert [q.text for q in fake.queries] == ["", "smithson", "s"]


def test_pages_are_fetched_as_the_table_scrolls(qtbot: Any) -> None:
    fake = FakeCaseload([fake_row(i, f"Person{i:04d}") for i in range(450)])
    widget = CaseloadWidget(run_now, fake.search, lambda: [], page_size=200)
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show()
    qtbot.waitExposed(widget)
    model = widget.model
    assert (model.rowCount(), model.total) == (200, 450)
    widget.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=2000)
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 450 and not model.canFetchMore(QModelIndex())
    assert shown_names(widget) == [f"Person{i:04d}, Ann" for i in range(450)]
    assert [q.offset for q in fake.queries] == [0, 200, 400]
    assert widget.status_label.text() == "450 people"


@pytest.mark.hazard("H-015")
def test_a_next_page_for_an_older_search_is_dropped(qtbot: Any) -> None:
    fake = FakeCaseload([fake_row(i, f"Person{i:04d}") for i in range(300)])
    runner = HeldRunner()
    widget = CaseloadWidget(runner, fake.search, lambda: [], page_size=100)
    qtbot.addWidget(widget)
    runner.deliver_all()
    widget.model.fetchMore(QModelIndex())  # page two of everyone, still on its way...
    widget.search_edit.setText("person01")
    widget.search_now()  # ...when a new search starts
    runner.deliver(0)
    assert widget.model.rowCount() == 100  # page two was not added
    runner.deliver(0)
    assert widget.model.rowCount() == widget.model.total == 100  # Person0100..0199


def test_filters_go_into_the_query(qtbot: Any) -> None:
    fake = FakeCaseload([fake_row(i, f) for i, f in enumerate(FAMILIES)])
    widget = CaseloadWidget(run_now, fake.search, lambda: ["Charnwood INT", "City North INT"])
    qtbot.addWidget(widget)
    combo = widget.team_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All teams", "Charnwood INT", "City North INT"]
    combo.setCurrentIndex(2)
    widget.status_combo.setCurrentIndex(
        widget.status_combo.findData(CaseloadStatus.REVIEW_OVERDUE))
    last = fake.queries[-1]
    assert (last.team, last.status, last.offset) == (
        "City North INT", CaseloadStatus.REVIEW_OVERDUE, 0)
    widget.refresh()  # the team list is reloaded; the chosen team stays chosen
    assert widget.team_combo.currentData() == "City North INT"


def test_columns_show_the_row_as_a_nurse_reads_it(qtbot: Any) -> None:
    model = CaseloadModel()
    model.set_page(CaseloadPage((fake_row(7, "Patel", "Raj"),), 1))
    texts = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert texts == ["Patel, Raj", format_nhs_number(synthetic_nhs_number(7)), "02/01/1940",
                     "LE1 5WW", "City North INT", "1", "09/07/2026"]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)]
    assert headers == ["Name", "NHS number", "Date of birth", "Postcode", "Team",
                       "Active delegations", "Next review"]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.UserRole) == "person-7"


def test_every_control_has_an_accessible_name(qtbot: Any,
                                              real_widget: CaseloadWidget) -> None:
    controls = [w for w in real_widget.findChildren(QWidget)
                if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible()]
    assert {type(w).__name__ for w in controls} >= {"QLineEdit", "QComboBox", "_PeopleTable"}
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []
    assert real_widget.status_label.accessibleName()
    assert real_widget.search_edit.placeholderText() == "Name, NHS number or postcode"
    assert not real_widget.table.isSortingEnabled()
    assert QApplication.instance() is not None
