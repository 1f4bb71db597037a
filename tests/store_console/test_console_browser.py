"""The console in a real browser (issue 21's "done when"): Debian's chromium, headless, with
JavaScript off, driven through selenium (browser.py), against real uvicorn stores on
loopback and the session's real PostgreSQL.

The IT tests use the session's store (tests/sync_server/fixtures.py). The IPCB's use a
store of this module's own, on a database of its own: a published flow version is the
store's for good and every laptop syncing with that store would receive it, and the
reports' "all teams" are then exactly this module's. One browser serves the module and each
role signs in once (``operators``), by keyboard. Each test makes its own team. The laptops are
real: copies of the template vault enrolled and synced by the desktop app's own sync
client (tests/sync/laptops.py), one of them with a code read off the console's page. All
data is synthetic.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import __version__ as desktop_version
from desktop_app.models.framework_release import FrameworkRelease as HeldRelease
from desktop_app.models.outbox import OutboxState
from desktop_app.services import sync
from desktop_app.services.framework import releases
from desktop_app.services.framework.flow import newest_flow_file
from desktop_app.services.reports import ReportQuery, equality_report
from sync_server import admin
from sync_server.config import MIN_CLIENT_VERSION_ENV, normalise_database_url
from sync_server.database import make_engine, make_session_factory
from tests.services.reports import dataset
from tests.store_console import browser as harness
from tests.store_console.browser import (
    focused,
    page_text,
    press,
    sign_in,
    sign_out,
    tab_to_button,
    tab_to_field,
    wait_for_new_page,
)
from tests.store_console.console_client import Account, Console, totp_code
from tests.sync.laptops import LaptopFn, VaultLaptop, enrolled_laptops, make_vault
from tests.sync_server.store import MIN_CLIENT_VERSION
from tools.throwaway_store import PostgresCluster, StoreProcess

browser = harness.browser  # the session's chromium (a fixture)

IT, IPCB = "it_admin", "ipcb_governance"
ROLE_NAMES = {IT: "IT administrator", IPCB: "IPCB governance"}
QUARTER = "January to March 2026 (2025/26 quarter 4)"  # the dataset's period
NEW_QUESTION = "Is the person's condition stable and predictable (IPCB wording, 2026.3)?"


# ----------------------------------------------------------------------------- fixtures


class IpcbStore:
    """The module's own store: a database of its own on the session's PostgreSQL, its own
    uvicorn and its console (each IPCB test adds a team of its own with ``new_team``)."""

    def __init__(self, postgres: PostgresCluster, folder: Path) -> None:
        self.postgres = postgres
        self.database = postgres.new_database("browser")
        self.process = StoreProcess(postgres.database_url(self.database), folder / "store.log",
                                    env={MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION}).start()
        self.engine = make_engine(normalise_database_url(postgres.database_url(self.database)))
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.console = Console(self.process.base_url, self.sessions)

    def new_team(self, prefix: str) -> tuple[str, str]:
        """A new team on this store: (name, id)."""
        name = unique(prefix)
        with self.sessions.begin() as db:
            return name, admin.create_team(db, name).id

    def close(self) -> None:
        self.engine.dispose()
        self.process.stop()
        self.postgres.drop_database(self.database)


@pytest.fixture(scope="module")
def ipcb_store(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[IpcbStore]:
    store = IpcbStore(postgres, tmp_path_factory.mktemp("ipcb-store"))
    try:
        yield store
    finally:
        store.close()


class Operators:
    """One console account per role, each on its role's console, and the role the browser
    is signed in as. Switching role signs the other out first (by keyboard): both stores
    listen on 127.0.0.1, and cookies do not go by port, so the two consoles' session
    cookies would take each other's place. The IT tests come first, so each role signs in
    once."""

    def __init__(self, driver: WebDriver, consoles: dict[str, Console]) -> None:
        self.driver = driver
        self.consoles = consoles
        self.accounts: dict[str, Account] = {}
        self.current: str | None = None

    def account(self, role: str) -> Account:
        if role not in self.accounts:
            self.accounts[role] = self.consoles[role].make_account(
                role, display_name=f"Browser {role.replace('_', ' ')}")
        return self.accounts[role]

    def __call__(self, role: str) -> WebDriver:
        """The browser, signed in as ``role``'s account on its console."""
        if self.current != role:
            self.sign_out()
            console, account = self.consoles[role], self.account(role)
            sign_in(self.driver, console.base_url, account.username, account.password,
                    lambda: totp_code(account.totp_secret))
            assert self.driver.current_url == console.url("/console/"), \
                page_text(self.driver)
            self.current = role
        return self.driver

    def sign_out(self) -> None:
        if self.current is not None:
            sign_out(self.driver, self.consoles[self.current].base_url)
            self.current = None


@pytest.fixture(scope="module")
def operators(browser: WebDriver, console: Console, ipcb_store: IpcbStore
              ) -> Iterator[Operators]:
    """The module's operators: IT on the session's store, the IPCB on the module's own;
    signed out (by keyboard) at the end, while both stores still run."""
    everyone = Operators(browser, {IT: console, IPCB: ipcb_store.console})
    yield everyone
    everyone.sign_out()
    browser.delete_all_cookies()


@pytest.fixture
def forget_received_versions() -> Iterator[None]:
    """The app's registry of received framework versions is the process's: empty it
    after a test whose laptop received one (so no later test starts under 2026.3)."""
    yield
    releases.forget()


# ----------------------------------------------------------------------------- helpers


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes the console accepts now (this step's, the one
    before or the one after)."""
    accepted = {totp_code(secret, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333")
                if code not in accepted)


def open_page(driver: WebDriver, console: Console, path: str) -> str:
    """Go to a console page; its visible text."""
    driver.get(console.url(path))
    return page_text(driver)


def fill(driver: WebDriver, field_id: str, text: str) -> None:
    """Tab to the field ``field_id`` (from wherever the focus is), empty it, type ``text``."""
    tab_to_field(driver, field_id)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(
        Keys.DELETE, text).perform()


def choose(driver: WebDriver, field_id: str, label: str) -> None:
    """Tab to the drop-down ``field_id`` and pick the option ``label``."""
    Select(tab_to_field(driver, field_id)).select_by_visible_text(label)


def choose_by_keys(driver: WebDriver, field_id: str, label: str) -> None:
    """Tab to the drop-down ``field_id`` and move its choice to the option ``label`` with
    the arrow keys, as a person does on a closed list (no click, no script)."""
    field = tab_to_field(driver, field_id)
    options = [option.text.strip() for option in Select(field).options]
    assert label in options, options
    steps = options.index(label) - options.index(Select(field).first_selected_option.text.strip())
    press(driver, *([Keys.ARROW_DOWN if steps > 0 else Keys.ARROW_UP] * abs(steps)))
    assert Select(field).first_selected_option.text.strip() == label


def enter(driver: WebDriver) -> None:
    """Enter on the focused field or button sends its form; wait for the answer."""
    wait_for_new_page(driver, lambda: press(driver, Keys.ENTER))


def table_rows(table: WebElement) -> list[list[str]]:
    """A table's body rows, each cell's text."""
    return [[cell.text.strip() for cell in row.find_elements(By.XPATH, "./th|./td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def device_row(driver: WebDriver, device_id: str) -> dict[str, str]:
    """The devices table's row of a laptop: its cells' text by column heading."""
    table = driver.find_element(By.CSS_SELECTOR, "table.devices")
    headings = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    row = table.find_element(By.ID, f"device-{device_id}")
    cells = row.find_elements(By.XPATH, "./th|./td")
    return dict(zip(headings, (cell.text.strip() for cell in cells), strict=True))


def captioned(driver: WebDriver, caption: str) -> list[list[list[str]]]:
    """The rows of each table whose caption is ``caption``, in page order."""
    return [table_rows(table) for table in driver.find_elements(
        By.XPATH, f"//table[caption[normalize-space()='{caption}']]")]


def vault_laptop(template_vault: tuple[Path, str, str], folder: Path, name: str,
                 server_url: str) -> VaultLaptop:
    """A laptop with a vault of its own (a copy of the template), not enrolled yet."""
    source, user_id, _ = template_vault
    vault = make_vault(source, folder / name.lower().replace(" ", "-"), user_id)
    return VaultLaptop(vault, server_url, name)


@pytest.fixture
def ipcb_laptops(ipcb_store: IpcbStore, template_vault: tuple[Path, str, str],
                 tmp_path: Path) -> Iterator[LaptopFn]:
    """``ipcb_laptops(team)``: real laptops enrolled with the IPCB tests' store."""
    with enrolled_laptops(ipcb_store.process.base_url, ipcb_store.sessions, template_vault,
                          tmp_path, label="IPCB laptop") as make:
        yield make


# ----------------------------------------------------------- (a) sign-in by keyboard


def test_sign_in_with_password_and_code_by_keyboard_alone(
        browser: WebDriver, console: Console, operators: Operators) -> None:
    account = operators.account(IT)
    # A wrong code first: the one message for every failure, the username kept, never the
    # password, and the focus in the password field to try again.
    sign_in(browser, console.base_url, account.username, account.password,
            lambda: wrong_code(account.totp_secret))
    assert browser.current_url == console.url("/console/sign-in")
    assert "Username, password or code not right" in page_text(browser)
    assert browser.find_element(By.ID, "username").get_attribute("value") == account.username
    assert browser.find_element(By.ID, "password").get_attribute("value") == ""
    assert focused(browser).get_attribute("id") == "password"

    driver = operators(IT)  # Tab, type, Tab, type, Tab, the code from pyotp, Enter
    text = page_text(driver)
    assert "Welcome, Browser it admin" in text and ROLE_NAMES[IT] in text
    nav = [link.text for link in driver.find_elements(By.CSS_SELECTOR, "nav a")]
    assert nav == ["Teams", "Users", "Devices", "Enrolment codes", "Audit"]
    # The navigation works from the keyboard too.
    harness.tab_to_link(driver, "Devices")
    enter(driver)
    assert driver.current_url == console.url("/console/devices")


# ------------------------- (b) IT: a code from the page enrols a real laptop; revoked


def test_it_issues_a_code_a_real_laptop_enrols_syncs_and_is_revoked(
        console: Console, operators: Operators, template_vault: tuple[Path, str, str],
        tmp_path: Path) -> None:
    driver = operators(IT)
    team_name, user_name = unique("Browser INT"), unique("Ada Example")
    # A team and a user, added on the console's own pages.
    open_page(driver, console, "/console/teams")
    fill(driver, "name", team_name)
    enter(driver)
    assert f"Team {team_name} was added." in page_text(driver)
    # Straight to the form (as the teams page's "Add a user" link would): the page's list
    # holds every user the session's other tests added, each row a few Tab stops; the
    # fragment moves the browser's Tab starting point to the form's heading.
    open_page(driver, console, "/console/users#add-user")
    choose(driver, "team", team_name)
    fill(driver, "name", user_name)
    choose(driver, "role", "Community nurse")
    tab_to_button(driver, "Add user")
    enter(driver)
    assert "The user was added." in page_text(driver), page_text(driver)
    user_id = driver.current_url.split("/console/users/")[1].split("?")[0]

    # A code for two hours from the user's "Issue code" link, read off the page.
    open_page(driver, console, f"/console/enrolment-codes?user={user_id}")
    fill(driver, "amount", "2")
    enter(driver)
    text = page_text(driver)
    assert f"Enrolment code for {user_name}" in text, text
    assert "Write it down now; it is not shown again." in text
    code = driver.find_element(By.CSS_SELECTOR, ".secret").text.strip()
    assert code and code not in driver.current_url

    # A real laptop: the desktop app's sync client enrols with the code and syncs.
    laptop = vault_laptop(template_vault, tmp_path, "Ward laptop 7", console.base_url)
    try:
        laptop.enrolment = sync.enrol(laptop.uow, console.base_url, code, laptop.name)
        device_id = laptop.enrolment.device_id
        laptop.add_person(1)
        assert laptop.sync().pushed == 1

        # The device list (reloaded, filtered to the team) shows what its sync told it.
        open_page(driver, console, f"/console/devices?team={laptop.enrolment.team_id}")
        row = device_row(driver, device_id)
        assert row["Laptop"].startswith(laptop.name)
        assert (row["Team"], row["Enrolled by"]) == (team_name, user_name)
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}\n.*(ago|now)", row["Last seen"]), \
            row
        assert row["App version"] == desktop_version
        assert row["Changes waiting"] == "0"
        assert row["State"] == "Active"

        # Revoked through the confirmation page, with the keyboard.
        revoke = driver.find_element(By.CSS_SELECTOR, f"#device-{device_id} a[href$='/revoke']")
        driver.get(revoke.get_attribute("href") or "")
        assert f"Revoke {laptop.name}?" in page_text(driver)
        tab_to_button(driver, f"Revoke {laptop.name}")
        enter(driver)
        assert f"{laptop.name} was revoked" in page_text(driver)
        assert device_row(driver, device_id)["State"].startswith("Revoked")

        # Its next sync is refused as revoked, and the change made since is kept.
        laptop.add_person(2)
        with pytest.raises(sync.DeviceRevoked, match="no longer accepts this laptop"):
            laptop.sync()
        assert sync.sync_settings(laptop.uow).revoked_at is not None
        assert len(laptop.outbox(OutboxState.PENDING)) == 1
    finally:
        laptop.close()


# -------------------- (c) the IPCB publishes a flow version; a laptop receives it


@pytest.mark.usefixtures("forget_received_versions")
def test_ipcb_publishes_a_flow_file_and_a_laptop_receives_it_on_its_next_sync(
        ipcb_store: IpcbStore, operators: Operators, ipcb_laptops: LaptopFn,
        tmp_path: Path) -> None:
    team_name, _ = ipcb_store.new_team("Flow INT")
    laptop = ipcb_laptops(team_name)
    assert laptop.sync().framework == ()  # nothing published yet
    document = copy.deepcopy(json.loads(newest_flow_file().read_text(encoding="utf-8")))
    document["flow_version"] = "2026.3"
    document["steps"]["S4"]["question"] = NEW_QUESTION
    upload = tmp_path / "delegation_flow_2026.3.json"
    upload.write_text(json.dumps(document, indent=2), encoding="utf-8")

    driver = operators(IPCB)
    console = ipcb_store.console
    open_page(driver, console, "/console/framework")
    # The kind by keyboard (Space ticks the focused radio button), the file through the
    # file field (a browser's file chooser is the one thing typed keys cannot drive), the
    # note typed, then Publish.
    tab_to_field(driver, "kind-flow")
    press(driver, Keys.SPACE)
    driver.find_element(By.ID, "document").send_keys(str(upload))
    fill(driver, "note", "S4 reworded; approved by the IPCB")
    tab_to_button(driver, "Publish")
    enter(driver)
    text = page_text(driver)
    assert "Published the delegation flow 2026.3. Laptops receive it on their next sync." \
        in text, text
    versions, _ = captioned(driver, "Delegation flow")  # in force; laptops holding each
    assert any(row[0].startswith("2026.3") and "newest" in row[0]
               and row[3] == "S4 reworded; approved by the IPCB" for row in versions), versions

    # The laptop's next sync receives it: its summary says so and its vault holds it.
    assert laptop.sync().framework == ("Received delegation flow 2026.3 from the IPCB.",)
    with laptop.uow.read() as s:
        held = s.scalars(select(HeldRelease)).one()
        assert (held.kind, held.version) == ("flow", "2026.3")
        assert json.loads(held.content) == document

    # "Which laptops hold which": the laptop, by team, with 2026.3, and the count.
    open_page(driver, console, "/console/framework")
    [by_team] = captioned(driver, "Laptops by team")
    assert [(row[0], row[1], row[3]) for row in by_team
            if row[1] == laptop.name] == [(team_name, laptop.name, "2026.3")], by_team
    _, counts = captioned(driver, "Delegation flow")
    assert ["2026.3", "1"] in counts, counts


# ------------------------------- (d) the IPCB's equality report, a cell suppressed


def test_ipcb_equality_report_shows_a_suppressed_cell(
        ipcb_store: IpcbStore, operators: Operators, ipcb_laptops: LaptopFn) -> None:
    """The report tests' known caseload (tests/services/reports/dataset.py), written on a
    real laptop with the desktop's services and synced: religions recorded fewer than 5
    times (Sikh 2, Jain 1) are folded into "Other", whose 3 is shown as "<5".

    The store makes this report for all teams together and one ended financial quarter
    only, chosen from a list (sync_server/reports/periods.py): the quarter is chosen with
    the keyboard. This module's store holds no other team's records in that quarter, so
    "all teams" is this laptop's caseload and the laptop's own report is the oracle."""
    team_name, _ = ipcb_store.new_team("Equality INT")
    laptop = ipcb_laptops(team_name)
    dataset.build(laptop.uow)
    assert laptop.sync().pushed > 0
    # What the laptop's own report says of the same records (the oracle).
    mine = equality_report(laptop.uow, ReportQuery(dt.date(2026, 1, 1), dt.date(2026, 3, 31),
                                                   None), today=dt.date.today())
    religion = next(s for s in mine.sections if s.title == "Religion or belief")
    expected = next([cell.text for cell in row] for row in religion.rows
                    if row[0].text == "Other")
    assert "<5" in expected

    driver = operators(IPCB)
    text = open_page(driver, ipcb_store.console, "/console/reports/equality")
    # No team and no free period to choose: one list of ended quarters, and why.
    assert driver.find_elements(By.ID, "team") == [] and driver.find_elements(By.ID, "from") == []
    assert "never for one team or any other period" in text, text
    choose_by_keys(driver, "quarter", QUARTER)
    tab_to_button(driver, "Show the report")  # Enter on a drop-down does not send its form
    enter(driver)
    text = page_text(driver)
    assert "Small numbers are suppressed" in text, text
    assert "1 January 2026 to 31 March 2026" in text
    assert Select(driver.find_element(By.ID, "quarter")).first_selected_option.text == QUARTER
    section = driver.find_element(
        By.XPATH, "//section[h2[normalize-space()='Religion or belief']]")
    rows = table_rows(section.find_element(By.TAG_NAME, "table"))
    assert expected in rows, rows
    other = section.find_element(By.XPATH, ".//tr[th[normalize-space()='Other']]")
    hidden = other.find_elements(By.CSS_SELECTOR, "td.suppressed abbr")
    assert [cell.text for cell in hidden] == [text for text in expected if text == "<5"]
    assert all((cell.get_attribute("title") or "").startswith("1 to 4") for cell in hidden)
    assert driver.current_url.endswith("/console/reports/equality?quarter=2026-01")
