"""The console's IT pages (issue 21) against the session's real uvicorn store and PostgreSQL,
with real laptop vaults syncing: teams, users (deactivate and reactivate with a confirmation
step), devices (what each laptop last told the store; revoke), enrolment codes (shown once;
withdrawn by hand). Every page for ``it_admin`` and refused to ``ipcb_governance``; every
form's bad input shown again with what was typed; every action on the audit trail.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import __version__ as APP_VERSION
from desktop_app.models.outbox import OutboxState
from desktop_app.services import sync
from desktop_app.services.sync.state import credentials
from sync_server import admin, admin_codes, store_audit
from sync_server.auth import UNKNOWN_DEVICE, USER_DEACTIVATED
from sync_server.enrolment import ENROLMENT_REFUSED
from sync_server.models import Device, EnrolmentCode, StoreAuditEvent, StoreUser, Team
from tests.store_console.console_client import Console, ConsoleClient
from tests.store_console.test_console_it_store import behind
from tests.sync.laptops import LaptopFn, VaultLaptop, enrolled_laptops, issue_code, make_vault
from tests.sync_server.store import EnrolFn, change
from tools.throwaway_store import CLIENT_VERSION, StoreProcess, enrol_with_code

SignedIn = Callable[[str], ConsoleClient]
IT_PAGES = ("/console/teams", "/console/users", "/console/devices", "/console/enrolment-codes")
SECRET = re.compile(r'<p class="secret" id="issued-code">([0-9A-Z-]{19})</p>')


@pytest.fixture
def laptops(store: StoreProcess, store_sessions: sessionmaker[Session],
            template_vault: tuple[Path, str, str], tmp_path: Path) -> Iterator[LaptopFn]:
    """``laptops(team)``: real vaults enrolled by the real client (as tests/sync has)."""
    with enrolled_laptops(store.base_url, store_sessions, template_vault, tmp_path) as make:
        yield make


def _id(sessions: sessionmaker[Session], model: Any, **where: str) -> str:
    with sessions() as db:
        query = select(model.id)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return str(db.scalars(query).one())


def _events(sessions: sessionmaker[Session], action: str, **where: str
            ) -> list[StoreAuditEvent]:
    with sessions() as db:
        query = select(StoreAuditEvent).where(StoreAuditEvent.action == action)
        for name, value in where.items():
            query = query.where(getattr(StoreAuditEvent, name) == value)
        return list(db.scalars(query.order_by(StoreAuditEvent.at)))


def _account_id(console: Console, client: ConsoleClient) -> str:
    assert client.account is not None
    return console.account_row(client.account.username).id


def _value_of(page: str, field: str) -> str:
    """The value attribute of the text input ``field`` as the page shows it."""
    found = re.search(rf'<input type="text" id="{field}" [^>]*?value="([^"]*)"', page)
    assert found is not None, f"no {field} input on the page"
    return html.unescape(found.group(1))


def _selected(page: str, select_id: str) -> str:
    """The value of the selected option of ``select_id``."""
    start = page.index(f'<select id="{select_id}"')
    block = page[start:page.index("</select>", start)]
    found = re.search(r'<option value="([^"]*)" selected>', block)
    assert found is not None, f"nothing selected in {select_id}"
    return html.unescape(found.group(1))


def _text(answer: httpx.Response) -> str:
    """A page's text with its character references read (``'`` is sent as ``&#39;``)."""
    return html.unescape(answer.text)


def _laptop_user(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.user_id


def _laptop_device(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.device_id


# ----------------------------------------------------------------------------- roles


def test_every_it_page_and_form_is_refused_to_ipcb_governance(
        signed_in: SignedIn, enrol: EnrolFn, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    ipcb = signed_in("ipcb_governance")
    laptop = enrol(team)
    with store_sessions() as db:
        user_id = db.get_one(Device, laptop.device_id).user_id
        [code] = admin_codes.list_codes(db, team)
    pages = [*IT_PAGES, f"/console/users/{user_id}", f"/console/users/{user_id}/deactivate",
             f"/console/devices/{laptop.device_id}/revoke",
             f"/console/enrolment-codes/{code.id}/withdraw"]
    for path in pages:
        answer = ipcb.get(path)
        assert answer.status_code == 403, path
        assert "Your role (IPCB governance) cannot use this page" in answer.text, path
    name = f"Refused INT {uuid.uuid4().hex[:6]}"
    posts = {"/console/teams": {"name": name},
             "/console/users": {"team": team, "name": "Refused Person", "role": "nurse"},
             f"/console/users/{user_id}/deactivate": {},
             f"/console/devices/{laptop.device_id}/revoke": {},
             "/console/enrolment-codes": {"user": user_id, "amount": "1", "unit": "days"}}
    for path, data in posts.items():
        assert ipcb.post_form(path, data).status_code == 403, path
    # Nothing was done.
    assert laptop.http.get("/pull").status_code == 200
    with store_sessions() as db:
        assert db.scalar(select(Team).where(Team.name == name)) is None
        assert db.get_one(StoreUser, user_id).deactivated_at is None
        assert len(admin_codes.list_codes(db, team)) == 1
    # And the IT nav is not offered to the IPCB.
    home = ipcb.get("/console/").text
    assert all(f'href="{path}"' not in home for path in IT_PAGES)


# ----------------------------------------------------------------------------- teams


def test_teams_are_added_listed_with_their_counts_and_bad_names_come_back_typed(
        console: Console, signed_in: SignedIn, enrol: EnrolFn,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    name = f"City South INT {uuid.uuid4().hex[:6]}"
    added = it.post_form("/console/teams", {"name": f"  {name} "})
    assert added.status_code == 303
    team_id = _id(store_sessions, Team, name=name)
    assert added.headers["location"] == f"/console/teams?created={team_id}"
    listing = it.get(added.headers["location"]).text
    assert f"Team {name} was added." in html.unescape(listing)

    laptop = enrol(name)
    assert laptop.http.get("/pull").status_code == 200
    row = _team_row(it.get("/console/teams").text, name)
    assert re.search(r'<td class="num"><a href="[^"]+">1<', row), row  # one user, one laptop
    assert "just now" in row

    # Bad input: the message, the form again with what was typed, nothing added.
    like_an_id = str(uuid.uuid4())
    for typed, message in (("   ", "A team needs a name."),
                           (name, f"A team called {name!r} already exists."),
                           (f" {name.upper()}", f"A team called {name!r} already exists: "
                                                "names differing only in capitals or spaces "
                                                "would be taken for the same team."),
                           (like_an_id, f"{like_an_id!r} looks like an id, not a name"),
                           ("x" * 201, "A team's name can be at most 200 characters.")):
        refused = it.post_form("/console/teams", {"name": typed})
        assert refused.status_code == 400
        assert message in _text(refused)
        assert _value_of(refused.text, "name") == typed
    [event] = _events(store_sessions, "team_created", team_id=team_id)
    assert (event.chain, event.actor_kind, event.actor_id) == (
        store_audit.CONSOLE_CHAIN, "console", _account_id(console, it))


def _team_row(page: str, name: str) -> str:
    start = page.index(f"<th scope=\"row\">{html.escape(name)}</th>")
    return page[start:page.index("</tr>", start)]


# ----------------------------------------------------------------------------- users


def test_users_are_added_filtered_and_bad_input_comes_back_typed(
        signed_in: SignedIn, team: str, store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    team_id = _id(store_sessions, Team, name=team)
    added = it.post_form("/console/users", {"team": team_id, "name": "Alex Example",
                                            "role": "team_lead"})
    assert added.status_code == 303
    user_id = _id(store_sessions, StoreUser, team_id=team_id)
    assert added.headers["location"] == f"/console/users/{user_id}?done=added"
    page = it.get(added.headers["location"]).text
    assert "Alex Example" in page and "Team lead" in page and "The user was added." in page
    listed = it.get(f"/console/users?team={team_id}").text
    assert "Alex Example" in listed and _selected(listed, "filter-team") == team_id

    cases = [({"team": "", "name": "Pat Example", "role": "nurse"},
              "Choose the team the user works in."),
             ({"team": str(uuid.uuid4()), "name": "Pat Example", "role": "nurse"},
              "That team is no longer on the store; choose another."),
             ({"team": team_id, "name": "Pat Example", "role": "surgeon"},
              "Choose the user's role."),
             ({"team": team_id, "name": "   ", "role": "nurse"}, "A user needs a name.")]
    for typed, message in cases:
        refused = it.post_form("/console/users", typed)
        assert refused.status_code == 400, typed
        assert message in _text(refused), typed
        assert _value_of(refused.text, "name") == typed["name"]
        if typed["team"] == team_id:
            assert _selected(refused.text, "team") == team_id
    with store_sessions() as db:
        assert [u.name for u in admin.list_users(db, team_id)] == ["Alex Example"]


@pytest.mark.hazard("H-027")
def test_deactivating_a_user_from_the_console_stops_their_laptops_and_loses_nothing(
        console: Console, signed_in: SignedIn, laptops: LaptopFn, team: str,
        store: StoreProcess, store_sessions: sessionmaker[Session],
        pg: psycopg.Connection) -> None:
    it = signed_in("it_admin")
    leaver, colleague = laptops(team), laptops(team)
    user_id = _laptop_user(leaver)
    with store_sessions.begin() as db:
        admin_codes.issue_enrolment_code(db, user_id)  # unspent: withdrawn with the deactivation

    confirm = it.get(f"/console/users/{user_id}/deactivate")
    assert confirm.status_code == 200
    assert "Their 1 unused enrolment code will be withdrawn." in confirm.text
    assert f'<form method="post" action="/console/users/{user_id}/deactivate">' in confirm.text
    done = it.post_form(f"/console/users/{user_id}/deactivate")
    assert (done.status_code, done.headers["location"]) == (
        303, f"/console/users/{user_id}?done=deactivated")
    assert "Deactivated" in it.get(done.headers["location"]).text

    # The laptop: a clear message, its change kept, its token kept.
    waiting = leaver.add_person(1)
    with pytest.raises(sync.UserDeactivated, match="their account was deactivated"):
        leaver.sync()
    assert len(leaver.outbox(OutboxState.PENDING)) == 1
    token = credentials(leaver.uow).token
    refused = httpx.get(f"{store.base_url}/api/v1/pull", headers={
        "Authorization": f"Bearer {token}", "X-Client-Version": CLIENT_VERSION})
    assert (refused.status_code, refused.json()["detail"]) == (401, USER_DEACTIVATED)
    colleague.add_person(2)
    assert colleague.sync().pushed == 1

    devices = it.get(f"/console/devices?team={_id(store_sessions, Team, name=team)}"
                     "&state=user-deactivated").text
    assert _laptop_device(leaver) in devices and _laptop_device(colleague) not in devices
    assert "User deactivated" in devices

    assert it.post_form(f"/console/users/{user_id}/reactivate").status_code == 303
    assert leaver.sync().pushed == 1
    colleague.sync()
    assert waiting in {record_id for _, record_id in colleague.records()}

    account = _account_id(console, it)
    for action in ("user_deactivated", "user_reactivated"):
        [event] = _events(store_sessions, action, user_id=user_id)
        assert (event.chain, event.actor_id, event.team_id) == (
            store_audit.CONSOLE_CHAIN, account, _id(store_sessions, Team, name=team))
    assert _events(store_sessions, "user_deactivated", user_id=user_id)[0].detail == {
        "codes_withdrawn": 1}


# ----------------------------------------------------------------------------- devices


def test_the_device_list_shows_what_a_real_laptop_told_the_store(
        signed_in: SignedIn, laptops: LaptopFn, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    nurse = laptops(team)
    never = it.get("/console/devices").text
    row = _device_row(never, _laptop_device(nurse))
    assert "Never" in row and "not told" in row

    nurse.add_people(range(1, 4))
    assert nurse.sync().pushed == 3
    # A read-only user's laptop with changes made locally: the store refuses them, and
    # sees what it holds.
    reader = laptops(team, role="read_only")
    reader.add_people(range(10, 12))
    with pytest.raises(sync.PushNotAllowed):
        reader.sync()

    page = it.get(f"/console/devices?team={_id(store_sessions, Team, name=team)}").text
    row = _device_row(page, _laptop_device(nurse))
    assert nurse.name in row and APP_VERSION in row and "just now" in row
    assert re.search(r'<time datetime="[^"]+">\d\d/\d\d/\d{4} \d\d:\d\d</time>', row), row
    assert '<td class="num">0</td>' in row  # all sent
    assert 'href="/console/devices/' + _laptop_device(nurse) + '/revoke"' in row
    assert "Active" in row
    assert '<td class="num">2</td>' in _device_row(page, _laptop_device(reader))


def _device_row(page: str, device_id: str) -> str:
    start = page.index(f'<tr id="device-{device_id}">')
    return page[start:page.index("</tr>", start)]


@pytest.mark.hazard("H-027")
def test_revoking_from_the_console_needs_confirmation_and_the_csrf_token(
        console: Console, signed_in: SignedIn, enrol: EnrolFn, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    laptop, other = enrol(team), enrol(team)
    laptop.http.get("/pull", headers={"X-Pending-Changes": "4"})
    confirm = it.get(f"/console/devices/{laptop.device_id}/revoke")
    assert confirm.status_code == 200
    assert "When last seen it had 4 changes waiting to be sent." in confirm.text

    # Without the form's token nothing happens.
    forged = it.post(f"/console/devices/{laptop.device_id}/revoke", data={})
    assert forged.status_code == 403 and laptop.http.get("/pull").status_code == 200

    done = it.post_form(f"/console/devices/{laptop.device_id}/revoke")
    assert (done.status_code, done.headers["location"]) == (
        303, f"/console/devices?revoked={laptop.device_id}")
    assert "was revoked" in it.get(done.headers["location"]).text
    refused = laptop.http.get("/pull")
    assert (refused.status_code, refused.json()["detail"]) == (401, UNKNOWN_DEVICE)
    assert other.http.get("/pull").status_code == 200
    [event] = _events(store_sessions, "device_revoked", device_id=laptop.device_id)
    assert (event.actor_id, event.team_id) == (_account_id(console, it), laptop.team_id)
    assert event.detail == {"device_name": "Test laptop", "pending_changes": 4}
    assert "Revoked" in _device_row(it.get("/console/devices?state=revoked").text,
                                    laptop.device_id)
    assert it.get(f"/console/devices/{uuid.uuid4()}/revoke").status_code == 404


# ----------------------------------------------------------------------------- codes


@pytest.mark.hazard("H-027")
def test_a_code_issued_in_the_console_is_shown_once_and_enrols_a_laptop(
        console: Console, signed_in: SignedIn, store: StoreProcess, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    with store_sessions.begin() as db:
        user = admin.create_user(db, team, "Jo Example", "nurse")
        user_id = user.id
    form = it.get(f"/console/enrolment-codes?user={user_id}")
    assert _selected(form.text, "user") == user_id

    issued = it.post_form("/console/enrolment-codes",
                          {"user": user_id, "amount": "2", "unit": "days"})
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    found = SECRET.search(issued.text)
    assert found is not None, issued.text
    code = found.group(1)
    assert "Write it down now; it is not shown again." in issued.text
    # Never again: not on the list, not on the user's page.
    assert code not in it.get("/console/enrolment-codes").text
    assert code not in it.get(f"/console/users/{user_id}").text

    laptop = enrol_with_code(store, code)
    try:
        assert laptop.http.get("/pull").status_code == 200
        listing = it.get("/console/enrolment-codes?state=used").text
        assert "Used" in listing and "Test laptop" in listing
        with store_sessions() as db:
            [listed] = admin_codes.list_codes(db, team)
        account = _account_id(console, it)
        assert (listed.state, listed.issued_by, listed.device_id) == (
            admin_codes.CodeState.USED, account, laptop.device_id)
        assert abs(listed.expires_at - listed.created_at - dt.timedelta(days=2)) < dt.timedelta(
            seconds=5)
        [event] = _events(store_sessions, "enrolment_code_issued", user_id=user_id)
        assert event.detail == {"code_id": listed.id, "hours": 48}
        assert event.actor_id == account and code not in str(event.detail)
        assert _events(store_sessions, "device_enrolled", device_id=laptop.device_id)
    finally:
        laptop.close()


def test_a_codes_validity_out_of_range_or_not_a_number_comes_back_typed(
        signed_in: SignedIn, team: str, store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    with store_sessions.begin() as db:
        user_id = admin.create_user(db, team, "Lee Example", "nurse").id
    cases = [("31", "days", "A code can be valid for 1 hour to 30 days; 31 days is outside "
                            "that."),
             ("0", "hours", "A code can be valid for 1 hour to 30 days; 0 hours is outside "
                            "that."),
             ("three", "days", "Enter how long the code stays valid as a whole number"),
             ("2", "weeks", "Choose hours or days.")]
    for amount, unit, message in cases:
        refused = it.post_form("/console/enrolment-codes",
                               {"user": user_id, "amount": amount, "unit": unit})
        assert refused.status_code == 400, amount
        assert message in _text(refused) and SECRET.search(refused.text) is None
        assert _value_of(refused.text, "amount") == amount
        assert _selected(refused.text, "user") == user_id
        if unit in ("hours", "days"):
            assert _selected(refused.text, "unit") == unit
    no_user = it.post_form("/console/enrolment-codes", {"user": "", "amount": "3",
                                                        "unit": "days"})
    assert no_user.status_code == 400
    assert "Choose the user whose laptop the code is for." in _text(no_user)
    with store_sessions() as db:
        assert admin_codes.list_codes(db, team) == []
    # The longest allowed is allowed.
    assert SECRET.search(it.post_form("/console/enrolment-codes", {
        "user": user_id, "amount": "720", "unit": "hours"}).text)


@pytest.mark.hazard("H-027")
def test_a_code_withdrawn_by_hand_is_refused_even_typed_right(
        console: Console, signed_in: SignedIn, store: StoreProcess, team: str,
        store_sessions: sessionmaker[Session], template_vault: tuple[Path, str, str],
        tmp_path: Path) -> None:
    it = signed_in("it_admin")
    code = issue_code(store_sessions, team)
    with store_sessions() as db:
        [listed] = admin_codes.list_codes(db, team)
    page = it.get("/console/enrolment-codes").text
    assert f'href="/console/enrolment-codes/{listed.id}/withdraw"' in page
    confirm = it.get(f"/console/enrolment-codes/{listed.id}/withdraw")
    assert f"Withdraw the code starting {code[:4]}?" in confirm.text
    done = it.post_form(f"/console/enrolment-codes/{listed.id}/withdraw")
    assert done.status_code == 303
    assert f"The code starting {code[:4]} was withdrawn" in it.get(
        done.headers["location"]).text
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.42")) as client:
        answer = client.post(f"{store.base_url}/api/v1/enrol",
                             headers={"X-Client-Version": CLIENT_VERSION},
                             json={"code": code, "device_name": "Laptop 3"})
    # Refused in words that name withdrawal, on the store and on the laptop.
    assert (answer.status_code, answer.json()["detail"]) == (401, ENROLMENT_REFUSED)
    assert ENROLMENT_REFUSED == "enrolment code unknown, already used, expired or withdrawn"
    folder, vault_user, _ = template_vault
    laptop = VaultLaptop(make_vault(folder, tmp_path / "vault", vault_user), store.base_url,
                         "Laptop 3")
    try:
        with pytest.raises(sync.EnrolmentRefused) as refused:
            sync.enrol(laptop.uow, store.base_url, code, "Laptop 3")
        assert refused.value.message.startswith(
            "That enrolment code is unknown, already used, expired or withdrawn. ")
        assert not sync.sync_settings(laptop.uow).enrolled
    finally:
        laptop.close()
    with store_sessions() as db:
        assert db.get_one(EnrolmentCode, listed.id).withdrawn_at is not None
    [event] = _events(store_sessions, "enrolment_code_withdrawn", user_id=listed.user_id)
    assert event.detail == {"code_id": listed.id, "reason": "by hand"}
    assert event.actor_id == _account_id(console, it)
    # Twice: said plainly, nothing more recorded.
    again = it.post_form(f"/console/enrolment-codes/{listed.id}/withdraw")
    assert again.status_code == 400 and "That code was already withdrawn." in _text(again)


def test_a_push_batch_carries_no_row_into_the_console_pages(
        signed_in: SignedIn, enrol: EnrolFn, team: str) -> None:
    it = signed_in("it_admin")
    laptop = enrol(team)
    laptop.push([change(given_name="Unusualname")])
    for path in IT_PAGES:
        page = it.get(path)
        assert page.status_code == 200 and "Unusualname" not in page.text


# ----------------------------------------------------------------------------- notices


def test_a_notice_in_a_link_is_shown_only_when_the_store_holds_it_so(
        signed_in: SignedIn, enrol: EnrolFn, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    laptop = enrol(team)
    with store_sessions() as db:
        user_id = db.get_one(Device, laptop.device_id).user_id
    # Links typed, bookmarked or replayed: the laptop is live, the user active.
    live = it.get(f"/console/devices?revoked={laptop.device_id}")
    assert live.status_code == 200 and "was revoked" not in live.text
    assert 'class="notice"' not in live.text
    active = it.get(f"/console/users/{user_id}?done=deactivated")
    assert active.status_code == 200 and "was deactivated" not in active.text
    assert 'class="notice"' not in active.text
    assert laptop.http.get("/pull").status_code == 200

    # Done for real, each is said; and the opposite link is not believed either.
    assert it.post_form(f"/console/users/{user_id}/deactivate").status_code == 303
    said = it.get(f"/console/users/{user_id}?done=deactivated").text
    assert "The user was deactivated: their laptops are refused" in said
    assert "was reactivated" not in it.get(f"/console/users/{user_id}?done=reactivated").text
    assert it.post_form(f"/console/users/{user_id}/reactivate").status_code == 303
    assert "The user was reactivated" in it.get(
        f"/console/users/{user_id}?done=reactivated").text
    assert "was deactivated" not in it.get(f"/console/users/{user_id}?done=deactivated").text

    assert it.post_form(f"/console/devices/{laptop.device_id}/revoke").status_code == 303
    revoked = it.get(f"/console/devices?revoked={laptop.device_id}").text
    assert "Test laptop was revoked: the store refuses it from its next request, for good." in (
        revoked)


# ----------------------------------------------------------------------------- at once


@pytest.mark.hazard("H-027")
def test_a_code_issued_while_its_user_is_deactivated_is_refused_or_withdrawn(
        console: Console, signed_in: SignedIn, team: str,
        store_sessions: sessionmaker[Session], pg: psycopg.Connection) -> None:
    it = signed_in("it_admin")
    with store_sessions.begin() as db:
        first = admin.create_user(db, team, "Ash Leaver", "nurse").id
        second = admin.create_user(db, team, "Bo Leaver", "nurse").id

    # The console issues a code while the command line deactivates the user (not yet
    # committed): the code waits for the deactivation, then is refused.
    issued = behind(store_sessions, pg, lambda db: admin.deactivate_user(db, first),
                    lambda: it.post_form("/console/enrolment-codes",
                                         {"user": first, "amount": "3", "unit": "days"}))
    assert issued.status_code == 400 and SECRET.search(issued.text) is None
    assert "Ash Leaver is deactivated: reactivate them before issuing a code." in _text(issued)

    # The console deactivates the user while the command line issues a code (not yet
    # committed): the deactivation waits for the code, then withdraws it with the others.
    deactivated = behind(store_sessions, pg,
                         lambda db: admin_codes.issue_enrolment_code(db, second),
                         lambda: it.post_form(f"/console/users/{second}/deactivate"))
    assert deactivated.status_code == 303

    with store_sessions() as db:
        codes = [c for c in admin_codes.list_codes(db, team) if c.user_id in (first, second)]
    assert [(c.user_id, c.state) for c in codes] == [(second, admin_codes.CodeState.WITHDRAWN)]
    [event] = _events(store_sessions, "user_deactivated", user_id=second)
    assert event.detail == {"codes_withdrawn": 1}


# ----------------------------------------------------------------------------- filters


def _enrol_named(store: StoreProcess, store_sessions: sessionmaker[Session], team: str,
                 user: str, device: str) -> tuple[str, str]:
    """(user id, device id) of a new user in ``team`` whose laptop is called ``device``."""
    with store_sessions.begin() as db:
        user_id = admin.create_user(db, team, user, "nurse").id
        code = admin_codes.issue_enrolment_code(db, user_id)
    answer = httpx.post(f"{store.base_url}/api/v1/enrol",
                        headers={"X-Client-Version": CLIENT_VERSION},
                        json={"code": code, "device_name": device})
    assert answer.status_code == 200, answer.text
    return user_id, str(answer.json()["device_id"])


def test_devices_and_users_are_filtered_by_user_and_found_by_name(
        signed_in: SignedIn, store: StoreProcess, team: str,
        store_sessions: sessionmaker[Session]) -> None:
    it = signed_in("it_admin")
    tag = uuid.uuid4().hex[:6]
    team_id = _id(store_sessions, Team, name=team)
    priya, priyas = _enrol_named(store, store_sessions, team, f"Priya Findable {tag}",
                                 f"Bay 7 laptop {tag}")
    other, others = _enrol_named(store, store_sessions, team, f"Other Person {tag}",
                                 f"Spare laptop {tag}")

    by_user = it.get(f"/console/devices?team={team_id}&user={priya}").text
    assert f'id="device-{priyas}"' in by_user and f'id="device-{others}"' not in by_user
    assert _selected(by_user, "filter-user") == priya

    # By the laptop's name or its user's, ignoring capitals; what was typed stays typed.
    for typed, found in ((f"BAY 7 LAPTOP {tag.upper()}", priyas),
                         (f"  findable {tag} ", priyas),
                         (f"spare laptop {tag}", others),
                         (f"person {tag.upper()}", others)):
        page = it.get("/console/devices", params={"q": typed}).text
        shown = {d for d in (priyas, others) if f'id="device-{d}"' in page}
        assert shown == {found}, typed
        assert _value_of(page, "filter-q") == typed.strip()
    both = it.get("/console/devices", params={"q": f"laptop {tag}"}).text
    assert f'id="device-{priyas}"' in both and f'id="device-{others}"' in both
    # What is typed is taken as it is: % and _ match only themselves.
    for typed in ("%", "_", f"%{tag}"):
        page = it.get("/console/devices", params={"q": typed, "team": team_id}).text
        assert "device-" + priyas not in page and "No laptops." in page, typed
    unknown = it.get(f"/console/devices?user={uuid.uuid4()}").text
    assert "That user is not on the store; showing every user's laptops." in unknown

    users = it.get("/console/users", params={"q": f"FINDABLE {tag}"}).text
    assert f'href="/console/users/{priya}"' in users
    assert f'href="/console/users/{other}"' not in users
    assert _value_of(users, "filter-q") == f"FINDABLE {tag}"
    none = it.get("/console/users", params={"q": f"nobody {tag}", "team": team_id}).text
    assert f"No users in this team whose name contains “nobody {tag}”." in html.unescape(none)
    # The users list leads to each user's laptops.
    assert f'href="/console/devices?user={priya}"' in users
