"""A real browser for the console's tests: Debian's chromium driven through its chromedriver.

Selenium is given both paths (``/usr/bin/chromium`` and ``/usr/bin/chromedriver``), so
Selenium Manager never runs and nothing is ever downloaded (``SE_OFFLINE`` is set as well,
in case a later selenium looks anyway). The browser is headless (``--headless=new``), has a
fixed 1366x900 window, a fresh profile in a temporary folder, and ``--no-sandbox`` only when
running as root (CI does; chromium's sandbox refuses root).

JavaScript is switched OFF in the browser's content settings: the console uses none (its CSP
forbids scripts), so every page these tests walk through proves it works without it.
WebDriver's own commands (finding elements, reading text) still work, as they do not run
as page scripts.

Without chromium the tests are skipped on a developer's machine with the apt-get command to
install it, but in CI (``CI`` set), or as root where apt-get could install it, they fail: a
skip must never hide a browser test that did not run (the same policy as PostgreSQL in
tests/sync_server/fixtures.py). ``.ci/run`` installs ``chromium chromium-driver``.

Cookies: chromium treats http://127.0.0.1 as a secure context, so it keeps and sends the
console's ``__Host-`` Secure session cookie over the throwaway store's plain loopback http;
no TLS is needed for these tests (checked with both 127.0.0.1 and localhost).
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1366, 900)
WAIT_S = 20.0  # the longest a page may take to arrive after a form is sent
APT = "apt-get install --no-install-recommends chromium chromium-driver"
MISSING = "Debian's chromium and chromium-driver are not installed: "


def missing_browser() -> str | None:
    """What is missing of chromium and its driver, or None when both are there."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    return ", ".join(absent) or None


def start_chromium(profile: Path, log: Path | None = None,
                   window: tuple[int, int] = WINDOW) -> WebDriver:
    """A headless chromium with JavaScript off, its profile in ``profile`` (a new folder).

    ``log`` takes chromedriver's log (useful when the browser does not start)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", f"--window-size={window[0]},{window[1]}",
                     f"--user-data-dir={profile}", "--lang=en-GB", "--no-first-run",
                     "--no-default-browser-check", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions",
                     "--password-store=basic", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium's sandbox refuses to run as root
    options.add_experimental_option("prefs", {
        "profile.managed_default_content_settings.javascript": 2,  # no JavaScript at all
        "credentials_enable_service": False,
        "profile.password_manager_enabled": False,
        "profile.password_manager_leak_detection": False,
        "intl.accept_languages": "en-GB,en",
    })
    service = Service(executable_path=str(CHROMEDRIVER),
                      log_output=str(log) if log is not None else os.devnull)
    return webdriver.Chrome(service=service, options=options)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless chromium for the whole run (tests sign in and out within it)."""
    absent = missing_browser()
    if absent is not None:
        if os.environ.get("CI") or (os.geteuid() == 0 and shutil.which("apt-get")):
            pytest.fail(f"{MISSING}{absent} — {APT} (as .ci/run does)")
        pytest.skip(f"{MISSING}{absent} — {APT} to run the console's browser tests")
    folder = Path(tempfile.mkdtemp(prefix="scp-chromium-"))
    driver = start_chromium(folder / "profile", folder / "chromedriver.log")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(folder, ignore_errors=True)


# ----- helpers the tests (and tools/console_screenshots.py) share -----

def page_text(driver: WebDriver) -> str:
    """The visible text of the page's body (what a person reads)."""
    return driver.find_element(By.TAG_NAME, "body").text


def wait_for_new_page(driver: WebDriver, action: Callable[[], None]) -> None:
    """Run ``action`` (a key press that sends a form, a link followed) and wait until the
    browser has thrown the old page away and loaded the next one."""
    old = driver.find_element(By.TAG_NAME, "html")
    action()
    try:
        WebDriverWait(driver, WAIT_S).until(expected_conditions.staleness_of(old))
        WebDriverWait(driver, WAIT_S).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
    except TimeoutException:
        raise AssertionError(f"no new page after the action; still at {driver.current_url}:\n"
                             f"{page_text(driver)[:2000]}") from None


def press(driver: WebDriver, *keys: str) -> None:
    """Type ``keys`` into whatever has the keyboard focus, as a person at the keyboard."""
    ActionChains(driver).send_keys(*keys).perform()


def focused(driver: WebDriver) -> WebElement:
    """The element with the keyboard focus."""
    return driver.switch_to.active_element


# What can take the keyboard focus (a generous superset: the bound of a Tab walk, not a
# claim about which of them are reachable; the walk itself proves that).
FOCUSABLE = ("a[href], button, input:not([type=hidden]), select, textarea, summary, "
             "[tabindex]")


def tab_to(driver: WebDriver, describe: str, matches: Callable[[WebElement], bool],
           limit: int | None = None) -> WebElement:
    """Press Tab until the focused element ``matches``: proves the control is reachable
    from the keyboard alone. ``describe`` names it in the failure.

    The walk is bounded by the page's own number of focusable elements (and a few more for
    the browser's own stops), not a fixed count: a list that grows (every user the session's
    other tests added is a row of links before the "Add a user" form) must not push a form
    out of reach, while a control that is never reached still fails after one lap."""
    if limit is None:
        limit = len(driver.find_elements(By.CSS_SELECTOR, FOCUSABLE)) + 5
    for _ in range(limit):
        element = focused(driver)
        if element.tag_name != "body" and matches(element):
            return element
        press(driver, Keys.TAB)
    raise AssertionError(f"{describe} is not reachable with Tab at {driver.current_url} "
                         f"({limit} presses)")


def tab_to_field(driver: WebDriver, field_id: str) -> WebElement:
    """Tab until the form field with the id ``field_id`` (what its label's ``for`` names)
    has the focus."""
    return tab_to(driver, f"the field #{field_id}",
                  lambda element: element.get_attribute("id") == field_id)


def tab_to_button(driver: WebDriver, label: str) -> WebElement:
    """Tab until a button (or submit input) whose text starts with ``label`` has the focus."""
    def is_button(element: WebElement) -> bool:
        kind = (element.get_attribute("type") or "").lower()
        if element.tag_name == "button" or (element.tag_name == "input" and kind == "submit"):
            text = element.text or element.get_attribute("value") or ""
            return text.strip().lower().startswith(label.lower())
        return False
    return tab_to(driver, f"the button {label!r}", is_button)


def tab_to_link(driver: WebDriver, label: str) -> WebElement:
    """Tab until a link whose text starts with ``label`` has the focus."""
    return tab_to(driver, f"the link {label!r}",
                  lambda element: element.tag_name == "a"
                  and element.text.strip().lower().startswith(label.lower()))


def save_png(driver: WebDriver, target: Path, until: WebElement | None = None,
             margin: int = 24, width: int = WINDOW[0]) -> Path:
    """Save the page ``width`` pixels wide: all of it (not only what the window shows), or
    down to the bottom of ``until`` and ``margin`` pixels more."""
    height = int(driver.execute_script(
        "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        if until is not None:
            box = until.rect
            height = min(height, int(box["y"] + box["height"]) + margin)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png",
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


def sign_in(driver: WebDriver, base_url: str, username: str, password: str,
            code: Callable[[], str]) -> None:
    """Sign in through the console's form with the keyboard only: Tab to the username,
    type it, Tab, the password, Tab, the 6-digit code (``code()`` is asked for it at the
    last moment, so it is fresh), Enter; and wait for the page that answers."""
    driver.get(f"{base_url}/console/sign-in")
    tab_to_field(driver, "username")
    press(driver, username, Keys.TAB)
    assert focused(driver).get_attribute("id") == "password", "Tab from the username"
    press(driver, password, Keys.TAB)
    assert focused(driver).get_attribute("id") == "code", "Tab from the password"
    press(driver, code())
    wait_for_new_page(driver, lambda: press(driver, Keys.ENTER))


def sign_out(driver: WebDriver, base_url: str) -> None:
    """Sign out with the keyboard: from the top of the home page, Tab to the header's
    Sign out button, Enter."""
    driver.get(f"{base_url}/console/")
    tab_to_button(driver, "Sign out")
    wait_for_new_page(driver, lambda: press(driver, Keys.ENTER))
    assert "You have signed out." in page_text(driver), page_text(driver)
