"""Screenshots of the central store's web console for docs/store-console.md.

    .venv/bin/python tools/console_screenshots.py [OUT_DIR]     # default: docs/store-console

Needs what the console's browser tests need (``.ci/run`` installs both): PostgreSQL 15
(``postgresql-15``) and Debian's headless chromium (``chromium chromium-driver``).

It runs a throwaway store (tools/throwaway_store.py: PostgreSQL in a temporary folder and
the real uvicorn server, removed at the end) and fills it with synthetic data the way real
use does: an IT administrator adds the teams and users and issues the enrolment codes on
the console's pages; real laptops (encrypted vaults filled with the app's own synthetic
demo caseload, with made-up equality answers) enrol with those codes and sync through the
app's sync client; the IPCB publishes a flow version that most laptops then receive; IT
revokes one laptop and deactivates one user; one laptop stops its sync after its first
batch, so it still has changes waiting. Every person, name and number is invented (NHS
numbers from the 999 range). The browser is the tests' (tests/store_console/browser.py),
1366 pixels wide, with JavaScript off; each page is saved whole:

- ``sign-in.png``: the sign-in form (password and the authenticator app's code);
- ``devices.png``: the IT device list, every team;
- ``audit.png``: the audit page after "Verify the audit trail now" (its newest events);
- ``framework.png``: the IPCB's framework page (versions, publish, which laptops hold which);
- ``report-equality.png``: the IPCB equality report, which the store makes for all teams
  together and one ended financial quarter only (the latest), with its list of quarters,
  small numbers suppressed (down to its second table).

The store runs as in production: its audit chains keyed (``SCP_STORE_AUDIT_KEY_FILE``) and
the console accounts' TOTP secrets encrypted (``SCP_CONSOLE_SECRET_KEY_FILE``), each with a
throwaway key file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyotp  # noqa: E402
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402
from sqlalchemy import select, update  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from desktop_app.models.meta import LocalMeta  # noqa: E402
from desktop_app.models.person import PREFER_NOT_TO_SAY, Person  # noqa: E402
from desktop_app.models.user import Role  # noqa: E402
from desktop_app.services import sync  # noqa: E402
from desktop_app.services.demo.caseload import (  # noqa: E402
    seed_demo_caseload,
    seed_demo_delegations,
)
from desktop_app.services.framework.flow import newest_flow_file  # noqa: E402
from desktop_app.services.sync import SyncClient, SyncOptions  # noqa: E402
from desktop_app.services.vault import VaultSession, VaultStore  # noqa: E402
from sync_server import store_audit  # noqa: E402
from sync_server.config import CONSOLE_SECRET_KEY_FILE_ENV, normalise_database_url  # noqa: E402
from sync_server.console import accounts  # noqa: E402
from sync_server.database import make_engine, make_session_factory  # noqa: E402
from sync_server.models import Device  # noqa: E402
from sync_server.reports.periods import ended_quarters  # noqa: E402
from tests.store_console.browser import (  # noqa: E402
    missing_browser,
    page_text,
    press,
    save_png,
    sign_in,
    start_chromium,
    tab_to_button,
    tab_to_field,
    wait_for_new_page,
)
from tools.throwaway_store import PostgresCluster, StoreProcess, postgres_bin_dir  # noqa: E402
from tools.throwaway_vault import CHEAP_KDF  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "store-console"
PASSPHRASE = "synthetic passphrase 999"
PASSWORD = "a long synthetic password"


@dataclass(frozen=True)
class Operator:
    """A console account made for the screenshots (as ``create-console-account`` would)."""

    username: str
    name: str
    role: str
    secret: str = ""


@dataclass(frozen=True)
class Staff:
    """A store user, the laptop they enrol, and how much of the demo caseload it holds."""

    team: str
    name: str
    role: str  # the label on the console's Add user form
    laptop: str
    people: int = 0
    delegations: int = 0


TEAMS = ("Charnwood INT", "Melton INT", "Hinckley INT")
STAFF = (
    Staff("Charnwood INT", "Amelia Hart", "Community nurse", "LLR-NB-10412", 60, 36),
    Staff("Charnwood INT", "Kofi Mensah", "Team lead", "LLR-NB-10377", 12),
    Staff("Melton INT", "Sarah Whitfield", "Community nurse", "LLR-NB-10533", 60, 36),
    Staff("Melton INT", "Imran Qureshi", "Community nurse", "LLR-NB-10561"),
    Staff("Hinckley INT", "Ellen Marsh", "Community nurse", "LLR-NB-10618", 60, 36),
    Staff("Hinckley INT", "Tom Brierley", "Social care practitioner", "LLR-NB-10644"),
)
NOT_RECEIVING = "LLR-NB-10561"  # its user is deactivated before the IPCB's version is out
REVOKED = "LLR-NB-10644"  # reported lost
WAITING = "LLR-NB-10377"  # stops its sync after one batch: changes still waiting

# Made-up equality answers (the demo caseload records none), weighted roughly like LLR.
ANSWERS: dict[str, list[tuple[str | None, int]]] = {
    "eq_sex": [("Female", 56), ("Male", 40), (PREFER_NOT_TO_SAY, 2), (None, 2)],
    "eq_ethnicity": [("White British", 58), ("Asian or Asian British: Indian", 22),
                     ("Black or Black British: Caribbean", 4), ("White: any other", 8),
                     ("Mixed: White and Asian", 2), (PREFER_NOT_TO_SAY, 2), (None, 4)],
    "eq_religion_belief": [("Christian", 44), ("No religion", 24), ("Hindu", 12),
                           ("Muslim", 8), ("Sikh", 6), ("Jain", 1), (PREFER_NOT_TO_SAY, 2),
                           (None, 3)],
    "eq_disability": [("Yes", 62), ("No", 30), (PREFER_NOT_TO_SAY, 3), (None, 5)],
}


# ----------------------------------------------------------------------------- laptops


def template_vault(folder: Path) -> tuple[Path, str]:
    """One vault (a team lead's, as every vault starts), copied for each laptop."""
    path = folder / "template"
    created = VaultStore(path, kdf_cost=CHEAP_KDF).create("Demo Team Lead", Role.TEAM_LEAD,
                                                          PASSPHRASE)
    user_id = created.session.user.user_id
    created.session.close()
    return path, user_id


def laptop_vault(template: tuple[Path, str], folder: Path) -> VaultSession:
    """A copy of the template with a device id of its own, unlocked."""
    shutil.copytree(template[0], folder)
    store = VaultStore(folder, kdf_cost=CHEAP_KDF)
    vault = store.unlock(template[1], PASSPHRASE)
    with vault.factory.begin() as s:
        s.execute(update(LocalMeta).where(LocalMeta.key == "device_id")
                  .values(value=str(uuid.uuid4())))
    vault.close()
    return store.unlock(template[1], PASSPHRASE)


def fill_caseload(vault: VaultSession, staff: Staff, seed: int) -> None:
    """The demo's people and delegations, and made-up equality answers for each person."""
    seed_demo_caseload(vault.uow, people=staff.people, seed=seed)
    seed_demo_delegations(vault.uow, count=staff.delegations, seed=seed)
    rng = random.Random(seed)
    with vault.uow.begin() as s:
        for person in s.scalars(select(Person)):
            for column, choices in ANSWERS.items():
                values, weights = zip(*choices, strict=True)
                setattr(person, column, rng.choices(values, weights)[0])


def run_sync(vault: VaultSession, stop_after_first_batch: bool = False) -> None:
    """One run of the app's sync client (or one that is stopped after its first batch)."""
    asked: list[bool] = []

    def cancelled() -> bool:
        asked.append(True)
        return stop_after_first_batch and len(asked) > 1

    options = SyncOptions(batch_size=5) if stop_after_first_batch else SyncOptions()
    SyncClient(options).run(vault.uow, lambda _: None, cancelled)


# ----------------------------------------------------------------------------- console


class Console:
    """The browser on the throwaway store's console, signed in as one operator at a time."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> str:
        self.driver.get(f"{self.base_url}{path}")
        return page_text(self.driver)

    def sign_in(self, operator: Operator) -> None:
        sign_in(self.driver, self.base_url, operator.username, PASSWORD,
                lambda: pyotp.TOTP(operator.secret).now())
        self.expect(f"Welcome, {operator.name}")

    def sign_out(self) -> None:
        self.open("/console/")
        self.submit_with("Sign out")

    def expect(self, words: str) -> None:
        text = page_text(self.driver)
        if words not in text:
            raise RuntimeError(f"expected {words!r} at {self.driver.current_url}:\n{text}")

    def find(self, xpath: str) -> WebElement:
        return self.driver.find_element(By.XPATH, xpath)

    def type_into(self, field_id: str, text: str) -> None:
        tab_to_field(self.driver, field_id)
        press(self.driver, text)

    def choose(self, field_id: str, label: str) -> None:
        Select(tab_to_field(self.driver, field_id)).select_by_visible_text(label)

    def submit_with(self, button: str) -> None:
        tab_to_button(self.driver, button)
        wait_for_new_page(self.driver, lambda: press(self.driver, Keys.ENTER))

    def add_team(self, name: str) -> None:
        self.open("/console/teams")
        self.type_into("name", name)
        self.submit_with("Add team")
        self.expect(f"Team {name} was added.")

    def add_user(self, staff: Staff) -> str:
        self.open("/console/users#add-user")  # the Tab walk starts at the form
        self.choose("team", staff.team)
        self.type_into("name", staff.name)
        self.choose("role", staff.role)
        self.submit_with("Add user")
        self.expect("The user was added.")
        return self.driver.current_url.split("/console/users/")[1].split("?")[0]

    def issue_code(self, user_id: str, days: str = "3") -> str:
        self.open(f"/console/enrolment-codes?user={user_id}")
        self.type_into("amount", days)
        self.choose("unit", "days")
        self.submit_with("Issue code")
        return self.driver.find_element(By.CSS_SELECTOR, ".secret").text.strip()

    def confirm(self, path: str, button: str) -> None:
        self.open(path)
        self.submit_with(button)

    def publish_flow(self, document: Path, note: str) -> None:
        self.open("/console/framework")
        tab_to_field(self.driver, "kind-flow")
        press(self.driver, Keys.SPACE)
        self.driver.find_element(By.ID, "document").send_keys(str(document))
        self.type_into("note", note)
        self.submit_with("Publish")
        self.expect("Published the delegation flow")


# ----------------------------------------------------------------------------- the story


def make_operators(factory: sessionmaker[Session]) -> tuple[Operator, Operator]:
    """An IT administrator and an IPCB governance account (the first accounts are made on
    the command line; this is what it does)."""
    made = []
    for username, name, role in (("r.patel", "Rina Patel", "it_admin"),
                                 ("j.okoro", "Dr Joy Okoro", "ipcb_governance")):
        with factory.begin() as db:
            _, secret = accounts.create_account(db, username, name, role, PASSWORD)
        made.append(Operator(username, name, role, secret))
    return made[0], made[1]


def flow_2026_3(folder: Path) -> Path:
    """The shipped newest flow as the IPCB's 2026.3, one question reworded."""
    document = json.loads(newest_flow_file().read_text(encoding="utf-8"))
    document["flow_version"] = "2026.3"
    document["steps"]["S4"]["question"] = ("Is the person's condition stable and "
                                           "predictable (IPCB wording, 2026.3)?")
    path = folder / "delegation_flow_2026.3.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def story(console: Console, base_url: str, factory: sessionmaker[Session], folder: Path,
          out: Path, progress: Callable[[str], None]) -> list[Path]:
    it, ipcb = make_operators(factory)
    shots = []
    console.open("/console/sign-in")
    shots.append(save_png(console.driver, out / "sign-in.png"))

    progress("IT adds the teams and users and issues the codes")
    console.sign_in(it)
    for team in TEAMS:
        console.add_team(team)
    users = {staff.laptop: console.add_user(staff) for staff in STAFF}
    codes = {staff.laptop: console.issue_code(users[staff.laptop]) for staff in STAFF}

    progress("laptops are filled with the demo caseload, enrol and sync")
    template = template_vault(folder)
    laptops: dict[str, VaultSession] = {}
    for seed, staff in enumerate(STAFF, start=1):
        vault = laptop_vault(template, folder / staff.laptop)
        laptops[staff.laptop] = vault
        if staff.people:
            fill_caseload(vault, staff, seed)
        sync.enrol(vault.uow, base_url, codes[staff.laptop], staff.laptop)
        run_sync(vault)
    console.confirm(f"/console/users/{users[NOT_RECEIVING]}/deactivate",
                    f"Deactivate {next(s.name for s in STAFF if s.laptop == NOT_RECEIVING)}")
    console.sign_out()

    progress("the IPCB publishes flow 2026.3; the laptops receive it")
    console.sign_in(ipcb)
    console.publish_flow(flow_2026_3(folder), "S4 reworded after the IPCB's review of "
                                              "stability questions, October 2026")
    for name, vault in laptops.items():
        if name not in (NOT_RECEIVING, WAITING):
            run_sync(vault)
    with laptops[WAITING].uow.begin() as s:  # changes waiting to be sent
        for person in s.scalars(select(Person)):
            person.communication_needs = "Prefers large print"
    run_sync(laptops[WAITING], stop_after_first_batch=True)
    # The latest ended quarter, by its address (what the form's list sends): one view, so
    # one report_viewed event on the audit page's shot.
    console.open(f"/console/reports/equality?quarter={ended_quarters(dt.date.today())[0].key}")
    console.expect("Small numbers are suppressed")
    shots.append(save_png(console.driver, out / "report-equality.png", until=console.find(
        "//section[h2[normalize-space()='Disability']]")))
    console.open("/console/framework")
    shots.append(save_png(console.driver, out / "framework.png"))
    console.sign_out()

    progress("IT revokes a lost laptop and looks at the devices and the audit trail")
    console.sign_in(it)
    with factory() as db:
        lost = db.scalars(select(Device.id).where(Device.name == REVOKED)).one()
    console.confirm(f"/console/devices/{lost}/revoke", f"Revoke {REVOKED}")
    console.open("/console/devices")
    shots.append(save_png(console.driver, out / "devices.png"))
    console.confirm("/console/audit", "Verify the audit trail now")
    console.open("/console/audit")
    shots.append(save_png(console.driver, out / "audit.png",
                          until=console.find("(//table//tbody/tr)[16]"), margin=1))
    console.sign_out()
    for vault in laptops.values():
        vault.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=OUT,
                        help=f"where the PNGs go (default {OUT})")
    args = parser.parse_args()
    absent = missing_browser()
    bin_dir = postgres_bin_dir()
    if absent or bin_dir is None:
        print("needs chromium, chromium-driver and postgresql-15 (apt-get install "
              "--no-install-recommends chromium chromium-driver postgresql-15)",
              file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="scp-console-shots-"))
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    # As in production: the store's audit chains keyed, and the console accounts' TOTP
    # secrets encrypted (in this process too, which makes the accounts).
    keys = {store_audit.KEY_FILE_ENV: folder / "audit.key",
            CONSOLE_SECRET_KEY_FILE_ENV: folder / "console.key"}
    for variable, key in keys.items():
        key.write_text(secrets.token_hex(32))
        key.chmod(0o600)
        os.environ[variable] = str(key)
    store = StoreProcess(cluster.store_url, folder / "store.log",
                         env={variable: str(key) for variable, key in keys.items()})
    driver: WebDriver | None = None
    try:
        store.start()
        engine = make_engine(normalise_database_url(cluster.store_url))
        driver = start_chromium(folder / "profile")
        shots = story(Console(driver, store.base_url), store.base_url,
                      make_session_factory(engine), folder, args.out,
                      lambda step: print(f"- {step}", flush=True))
        engine.dispose()
        for shot in shots:
            print(shot)
        return 0
    except Exception:
        print(store.log()[-4000:], file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        store.stop()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
