"""The laptop's "Export shared care record…" (issue 22): the file the user chose, its audit,
who may export, and the person record's action, on a real vault.

The case is built through the services (``tools.sample_case.build_case``); the file is
parsed back with ``fhir.resources``. The person record is wired as the app wires it
(``RecordExportController``), with the task runner done at once (``run_now``) and the save
dialog answered by the test (``choose_export_file``).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from PySide6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction, AuditEvent
from desktop_app.services.core.atomic import TEMP_MARKER
from desktop_app.services.core.errors import PermissionDenied, StorageError
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.people.fhir_export import ExportResult, export_person_record
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from desktop_app.ui.controllers.record_export import RecordExportController
from desktop_app.ui.person_record import PersonRecordWidget
from tests.support import as_role, run_now
from tests.ui.test_where_you_land import mnemonics
from tools.sample_case import BuiltCase, CaseSpec, build_case

_LAPTOP_TODAY = dt.date(2027, 3, 10)
_LAPTOP_NOW = dt.datetime(2027, 3, 10, 9, 30, tzinfo=dt.UTC)
_LAPTOP_NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


@pytest.fixture
def laptop_case(vault: VaultSession) -> BuiltCase:
    """A whole delegated case (consent, oversight, two workers, a review) for one person of
    this file's own (whatever else the vault holds)."""
    return build_case(vault.uow, CaseSpec(serial=41, given_name="Maryam", family_name="Dossa",
                                          preferred_name=None,
                                          provider_name="Laptop Export Care Ltd",
                                          attorney_name="Imran Dossa"))


@pytest.fixture
def laptop_folder(tmp_path: Path) -> Path:
    """An empty folder for the user to choose (the test's own folder also holds the vault)."""
    folder = tmp_path / "chosen"
    folder.mkdir()
    return folder


@pytest.fixture
def laptop_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system's temp folder, empty and private to this test, so a test can see whether
    anything was written there."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def _laptop_exports(vault: VaultSession, person_id: str) -> list[tuple[str, str]]:
    """The audit trail's export events on the person: (user id, device id) of each."""
    with vault.uow.read() as session:
        return [(e.user_id, e.device_id) for e in session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "person", AuditEvent.entity_id == person_id,
            AuditEvent.action == AuditAction.EXPORT.value))]


def _laptop_nhs_number(vault: VaultSession, person_id: str) -> str:
    return load_record(vault.uow, person_id).person.nhs_number


def _laptop_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- the service


def test_the_export_writes_a_bundle_holding_the_patient_and_audits_it(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    result = export_person_record(vault.uow, laptop_case.person_id,
                                  laptop_folder / "record-for-gp", now=_LAPTOP_NOW)
    assert result.path == laptop_folder / "record-for-gp.json"  # the suffix the user left off
    parsed = Bundle.model_validate_json(result.path.read_bytes())
    assert parsed.type == "collection"
    resources = [entry.resource for entry in parsed.entry or []]
    patients = [r for r in resources if r.get_resource_type() == "Patient"]
    assert [p.id for p in patients] == [laptop_case.person_id]
    nhs = [i.value for i in patients[0].identifier or [] if i.system == _LAPTOP_NHS_SYSTEM]
    assert nhs == [_laptop_nhs_number(vault, laptop_case.person_id)]
    kinds = {r.get_resource_type() for r in resources}
    assert {"Patient", "CarePlan", "Consent", "Provenance"} <= kinds
    assert result.total == len(resources)
    assert result.counts == {kind: sum(1 for r in resources if r.get_resource_type() == kind)
                             for kind in kinds}
    actor = vault.uow.actor
    assert _laptop_exports(vault, laptop_case.person_id) == [(actor.user_id, actor.device_id)]


def test_a_json_name_is_kept_as_typed(vault: VaultSession, laptop_case: BuiltCase,
                                      laptop_folder: Path) -> None:
    result = export_person_record(vault.uow, laptop_case.person_id, laptop_folder / "Record.JSON")
    assert result.path == laptop_folder / "Record.JSON"
    assert _laptop_listing(laptop_folder) == ["Record.JSON"]


def test_the_file_is_private_and_no_temporary_file_is_left_anywhere(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path,
        laptop_tempdir: Path) -> None:
    folder = laptop_folder
    old = folder / "record.json"
    old.write_text("an older export", encoding="utf-8")
    old.chmod(0o644)
    mask = os.umask(0)  # a plain open() would give 0666: the 0600 is the export's own
    try:
        result = export_person_record(vault.uow, laptop_case.person_id, old)
    finally:
        os.umask(mask)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert result.path.read_bytes().startswith(b"{")  # the old file replaced whole
    assert _laptop_listing(folder) == ["record.json"]
    assert _laptop_listing(laptop_tempdir) == []


@pytest.mark.parametrize(("where", "reason"), [
    ("missing-folder", "the folder does not exist"),
    ("a-folder-of-that-name", "a folder already has that name"),
    ("too-long", "the file name is too long"),
])
def test_a_file_that_cannot_be_written_leaves_nothing_and_is_not_audited(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path, laptop_tempdir: Path,
        where: str, reason: str) -> None:
    folder = laptop_folder
    target = {"missing-folder": folder / "no-such-folder" / "record.json",
              "a-folder-of-that-name": folder / "record.json",  # made a folder below
              "too-long": folder / ("r" * 300 + ".json")}[where]
    if where == "a-folder-of-that-name":
        target.mkdir()  # the temp file is written beside it, then cannot replace it
    before = _laptop_listing(folder)
    with pytest.raises(StorageError) as refused:
        export_person_record(vault.uow, laptop_case.person_id, target)
    assert refused.value.message == f"Could not save the file: {reason}. Nothing was written."
    assert _laptop_nhs_number(vault, laptop_case.person_id) not in refused.value.message
    assert _laptop_listing(folder) == before  # no file, no partial file
    assert not [p for p in folder.rglob(f"*{TEMP_MARKER}*")]
    assert _laptop_listing(laptop_tempdir) == []
    assert _laptop_exports(vault, laptop_case.person_id) == []


class _LaptopCommitFails:
    """The vault's unit of work, whose writes are rolled back and then fail as a commit
    that meets a full disk would (the database is the real one)."""

    def __init__(self, vault: VaultSession) -> None:
        self._uow = vault.uow
        self.actor = vault.uow.actor

    def read(self) -> Any:
        return self._uow.read()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self._uow.read() as session:  # rolled back at the end
            yield session
        raise StorageError("The disk is full. Free some space; nothing you typed is lost.")


def test_a_file_whose_audit_cannot_be_committed_is_taken_away_again(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    with pytest.raises(StorageError, match="The disk is full"):
        export_person_record(_LaptopCommitFails(vault), laptop_case.person_id,  # type: ignore[arg-type]
                             laptop_folder / "record.json")
    assert _laptop_listing(laptop_folder) == []
    assert _laptop_exports(vault, laptop_case.person_id) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="the superuser may write in any folder")
def test_a_folder_the_user_may_not_write_in_is_refused_plainly(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    folder = laptop_folder / "not-mine"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="you do not have permission to save in that "
                                               "folder. Nothing was written."):
            export_person_record(vault.uow, laptop_case.person_id, folder / "record.json")
        assert _laptop_listing(folder) == []
    finally:
        folder.chmod(0o700)
    assert _laptop_exports(vault, laptop_case.person_id) == []


def test_a_read_only_user_is_refused_and_nothing_is_written(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    reader = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied, match="read-only user.*Ask the person's nurse"):
        export_person_record(reader, laptop_case.person_id, laptop_folder / "record.json")
    assert _laptop_listing(laptop_folder) == []
    assert _laptop_exports(vault, laptop_case.person_id) == []


@pytest.mark.parametrize("role", ["nurse", "social_care_practitioner"])
def test_the_people_caring_for_the_person_may_export(
        vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path, role: str) -> None:
    result = export_person_record(as_role(vault, role), laptop_case.person_id,
                                  laptop_folder / "record.json")
    assert result.path.is_file() and result.counts["Patient"] == 1
    assert len(_laptop_exports(vault, laptop_case.person_id)) == 1


# ---------------------------------------------------------------- the person record


def _laptop_record(qtbot: Any, vault: VaultSession, person_id: str, role: str = "nurse",
                   show: bool = False) -> PersonRecordWidget:
    """The person record showing the person, given its export as the app gives it."""
    widget = PersonRecordWidget(lambda *a: None, None, allowed(role, Permission.DELEGATE))
    qtbot.addWidget(widget)
    context = SimpleNamespace(window=widget, run=run_now, today=lambda: _LAPTOP_TODAY,
                              uow=lambda: as_role(vault, role),
                              can=lambda permission: allowed(role, permission))
    RecordExportController(context, widget)  # type: ignore[arg-type]
    widget.show_record(load_record(vault.uow, person_id))
    if show:
        widget.show()
        qtbot.waitExposed(widget)
        widget.activateWindow()
        qtbot.waitUntil(widget.isActiveWindow)
    return widget


def _laptop_answer(widget: PersonRecordWidget, path: Path | None) -> list[str]:
    """Answer the save dialog with ``path`` (None: Cancel); the names it suggested."""
    suggested: list[str] = []

    def choose(name: str) -> str | None:
        suggested.append(name)
        return None if path is None else str(path)

    widget.choose_export_file = choose
    return suggested


def _laptop_saved_words(result_path: Path) -> str:
    data = Bundle.model_validate_json(result_path.read_bytes())
    return f"Shared care record saved to {result_path} ({len(data.entry or [])} resources)."


def test_a_nurse_exports_from_the_record_to_the_file_chosen(
        qtbot: Any, vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    widget = _laptop_record(qtbot, vault, laptop_case.person_id)
    assert not widget.export_button.isHidden() and widget.export_button.isEnabled()
    assert widget.export_button.text() == "E&xport shared care record…"
    suggested = _laptop_answer(widget, laptop_folder / "for-the-gp")
    qtbot.mouseClick(widget.export_button, Qt.MouseButton.LeftButton)
    nhs = _laptop_nhs_number(vault, laptop_case.person_id)
    assert [Path(name).name for name in suggested] == [
        f"shared-care-record-{nhs}-2027-03-10.json"]
    written = laptop_folder / "for-the-gp.json"
    assert widget.message.text() == _laptop_saved_words(written)
    assert widget.export_button.isEnabled()  # ready for another
    assert len(_laptop_exports(vault, laptop_case.person_id)) == 1


def test_the_record_says_plainly_when_the_file_cannot_be_saved(
        qtbot: Any, vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    widget = _laptop_record(qtbot, vault, laptop_case.person_id)
    _laptop_answer(widget, laptop_folder / "gone" / "record.json")
    widget.export_record()
    assert "Could not save the file: the folder does not exist. Nothing was written." \
        in widget.message.text()
    assert widget.export_button.isEnabled()
    assert _laptop_listing(laptop_folder) == []
    assert _laptop_exports(vault, laptop_case.person_id) == []


def test_cancelling_the_save_dialog_exports_nothing(
        qtbot: Any, vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    widget = _laptop_record(qtbot, vault, laptop_case.person_id)
    suggested = _laptop_answer(widget, None)
    widget.export_record()
    assert len(suggested) == 1 and widget.message.text() == ""
    assert _laptop_exports(vault, laptop_case.person_id) == []


def test_the_export_is_reached_by_keyboard_alone(
        qtbot: Any, vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    widget = _laptop_record(qtbot, vault, laptop_case.person_id, show=True)
    letters = mnemonics(widget)  # Alt+X is the export's alone on the record
    assert "x" in letters and len(letters) == len(set(letters)), letters
    # Alt+X from wherever the focus is on the record (here: the first detail).
    _laptop_answer(widget, laptop_folder / "by-alt-x.json")
    first = widget.form.fields["nhs_number"]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    qtbot.keyClick(first, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    # (A mnemonic "animates" the click: the button is pressed a moment after the key.)
    qtbot.waitUntil(lambda: (laptop_folder / "by-alt-x.json").exists())
    assert widget.message.text() == _laptop_saved_words(laptop_folder / "by-alt-x.json")
    # Tabbed to, the button is pressed with Space.
    _laptop_answer(widget, laptop_folder / "by-space.json")
    widget.export_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.export_button.hasFocus)
    qtbot.keyClick(widget.export_button, Qt.Key.Key_Space)
    assert widget.message.text() == _laptop_saved_words(laptop_folder / "by-space.json")
    assert len(_laptop_exports(vault, laptop_case.person_id)) == 2


def test_a_read_only_user_is_not_offered_the_export(
        qtbot: Any, vault: VaultSession, laptop_case: BuiltCase, laptop_folder: Path) -> None:
    widget = _laptop_record(qtbot, vault, laptop_case.person_id, role="read_only")
    assert widget.export_button.isHidden() and not widget.can_export()
    suggested = _laptop_answer(widget, laptop_folder / "record.json")
    widget.export_record()  # as a stray Alt+X would: nothing happens
    assert suggested == [] and _laptop_listing(laptop_folder) == []


def test_a_new_person_form_has_nothing_to_export(qtbot: Any) -> None:
    widget = PersonRecordWidget(lambda *a: None)
    qtbot.addWidget(widget)
    widget.set_export(run_now, _laptop_never_called)
    assert not widget.export_button.isHidden() and not widget.export_button.isEnabled()
    suggested: list[str] = []
    widget.choose_export_file = lambda name: suggested.append(name) or None
    widget.export_record()
    assert suggested == []


def _laptop_never_called(_person_id: str, _target: Path) -> ExportResult:
    raise AssertionError("no person to export")


@pytest.mark.parametrize(("role", "offered"), [
    ("team_lead", True), ("nurse", True), ("social_care_practitioner", True),
    ("read_only", False)])
def test_the_signed_in_features_give_the_record_its_export_by_role(
        qtbot: Any, role: str, offered: bool) -> None:
    """``controllers/features.py`` makes the export's controller for the people
    controller's person record, as it does the delegations' history."""
    from desktop_app.ui.controllers.features import Features

    widget = PersonRecordWidget(lambda *a: None)
    qtbot.addWidget(widget)
    context = SimpleNamespace(window=widget, run=run_now, today=lambda: _LAPTOP_TODAY,
                              uow=None, can=lambda permission: allowed(role, permission))
    people = SimpleNamespace(context=context, person_screen=widget)
    other = SimpleNamespace()
    features = Features(other, other, people, other, None, other, other)  # type: ignore[arg-type]
    assert features.record_export is not None
    assert features.record_export in features.each()
    assert widget.can_export() is offered
    assert widget.export_button.isHidden() is not offered
