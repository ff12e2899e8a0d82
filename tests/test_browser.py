"""The demo page driven in headless Chromium: `python -m sample_app` in a subprocess, selenium.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped without.
Set SCREENSHOT_PATH (e.g. docs/screenshot.png) to save a screenshot of the page.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
# Flags this machine's closed network and root user need (see .ci/run).
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
)
WAIT_S = 15
EN_DASH = "\u2013"  # the pager writes its ranges ("1-5 of 18") with an en dash

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Chromium and ChromeDriver (apt-get install chromium chromium-driver)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sample app exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the sample app did not become healthy in 30 s")


@contextmanager
def sample_app_server(**settings: str) -> Iterator[str]:
    """`python -m sample_app` on a free port, in memory with demo data, plus `settings` (env)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "MONGODB_DB"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "sample_app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env={**env, **settings}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """Headless Chromium driven by ChromeDriver, with a fresh profile in `profile`."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        pytest.fail(f"Chromium did not start: {exc.msg}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The README's run command, on a free port, with the in-memory database and demo data."""
    with sample_app_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture
def page(browser: Any, base_url: str) -> Any:
    browser.get(base_url + "/")
    assert_soon(browser, lambda: len(book_titles(browser)) == 5, "the first page of books")
    return browser


def assert_soon(driver: Any, condition: Callable[[], Any], what: str) -> Any:
    # The page re-renders lists wholesale, so an element found a moment ago may be gone.
    wait = WebDriverWait(driver, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(lambda _: condition(), f"waiting for {what}")


def texts(driver: Any, selector: str) -> list[str]:
    """The texts of every match, read in one step so a re-render cannot interleave."""
    script = "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)"
    return list(driver.execute_script(script, selector))


def book_titles(driver: Any) -> list[str]:
    return texts(driver, "#book-list .book h3")


def first_book(driver: Any) -> Any:
    return driver.find_element(By.CSS_SELECTOR, "#book-list .book")


def error_for(driver: Any, field: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f'[data-error-for="{field}"]').text)


def fill_book(driver: Any, title: str, isbn: str, author: str | None = None) -> None:
    for name, value in (("title", title), ("isbn", isbn)):
        type_into(driver.find_element(By.ID, f"book-{name}"), value)
    if author is not None:
        Select(driver.find_element(By.ID, "book-author-id")).select_by_visible_text(author)


def type_into(box: Any, text: str) -> None:
    """Replace the box's text by typing, so the page sees `input` events as from a person."""
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        box.send_keys(text)


def save(driver: Any) -> None:
    driver.find_element(By.CSS_SELECTOR, "#book-form button[type=submit]").click()


def test_books_show_their_populated_author_and_page(page: Any) -> None:
    newest = first_book(page)
    assert newest.find_element(By.TAG_NAME, "h3").text == "Dirk Gently's Holistic Detective Agency"
    assert "by Douglas Adams" in newest.text
    assert f"1{EN_DASH}5 of 18" in page.find_element(By.ID, "book-pager").text
    page.find_element(By.CSS_SELECTOR, '#book-pager [data-step="1"]').click()
    assert_soon(page, lambda: f"6{EN_DASH}10 of 18" in page.find_element(By.ID, "book-pager").text,
             "the second page")
    assert book_titles(page)[-1] == "Coraline"


def test_create_a_book_then_a_validation_error(page: Any) -> None:
    page.find_element(By.ID, "new-book").click()
    fill_book(page, "The Lifecycle of Software Objects", "978-0-00-000000-2", "Ted Chiang")
    save(page)
    assert_soon(page, lambda: book_titles(page)[:1] == ["The Lifecycle of Software Objects"],
             "the new book at the top of the list")
    assert "by Ted Chiang" in first_book(page).text
    assert "ISBN 9780000000002" in first_book(page).text

    page.find_element(By.ID, "new-book").click()
    fill_book(page, "", "9780000000002")
    save(page)
    assert_soon(page, lambda: error_for(page, "title"), "the title error")
    assert not error_for(page, "isbn")

    fill_book(page, "A Book With a Typo", "978-0-00-000000-3")
    save(page)
    assert_soon(page, lambda: error_for(page, "isbn"), "the ISBN error")
    assert "ISBN-13" in error_for(page, "isbn")
    assert not error_for(page, "title")
    isbn_box = page.find_element(By.ID, "book-isbn")
    assert isbn_box.get_attribute("aria-invalid") == "true"
    assert "A Book With a Typo" not in book_titles(page)
    save_screenshot(page)


def test_edit_then_delete_a_book(page: Any) -> None:
    target = first_book(page)
    target.find_element(By.XPATH, ".//button[text()='Edit']").click()
    title_box = page.find_element(By.ID, "book-title")
    assert_soon(page, lambda: title_box.get_attribute("value"), "the form filled from the API")
    type_into(title_box, "Renamed by the browser test")
    save(page)
    assert_soon(
        page, lambda: "Renamed by the browser test" in book_titles(page), "the edited title"
    )

    first_book(page).find_element(By.XPATH, ".//button[text()='Delete']").click()
    page.switch_to.alert.accept()
    assert_soon(page, lambda: "Renamed by the browser test" not in book_titles(page),
             "the deleted book gone")


def test_search_and_filter_boxes(page: Any) -> None:
    type_into(page.find_element(By.ID, "book-search"), "earth")
    earth = ["A Wizard of Earthsea", "The Long Earth"]
    assert_soon(page, lambda: sorted(book_titles(page)) == earth,
             "the books whose title contains 'earth'")
    type_into(page.find_element(By.ID, "book-search"), "")
    Select(page.find_element(By.ID, "book-author")).select_by_visible_text("Neil Gaiman")
    gaiman = ["American Gods", "Coraline", "Good Omens"]
    assert_soon(page, lambda: sorted(book_titles(page)) == gaiman,
             "the books Neil Gaiman wrote or co-wrote")

    type_into(page.find_element(By.ID, "author-search"), "discworld")
    assert_soon(page, lambda: author_names(page) == ["Terry Pratchett"], "the author search")


def author_names(driver: Any) -> list[str]:
    return texts(driver, "#author-list .author button")


def save_screenshot(driver: Any) -> None:
    """The whole page as it is now, when SCREENSHOT_PATH names a file to write."""
    target = os.environ.get("SCREENSHOT_PATH")
    if not target:
        return
    path = ROOT / target
    path.parent.mkdir(parents=True, exist_ok=True)
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    # Headless Chromium captures the window only: make it as tall as the page first.
    driver.set_window_size(size["width"], height + (size["height"] - viewport_height(driver)))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(size["width"], size["height"])


def viewport_height(driver: Any) -> int:
    return int(driver.execute_script("return window.innerHeight"))


def test_no_tenant_switch_without_tenant_mode(page: Any) -> None:
    assert not page.find_element(By.ID, "tenant-switch").is_displayed()
