"""The demo page in tenant mode (`TENANT_HEADER`), driven in headless Chromium: the tenant
switch sends the header on every request, and switching changes what the page lists.

Needs what tests/test_browser.py needs (Debian's `chromium` and `chromium-driver`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Imported from there, selenium included, so that without it both modules skip alike.
from tests.test_browser import (
    EN_DASH,
    By,
    Select,
    assert_soon,
    author_names,
    book_titles,
    chromium,
    fill_book,
    pytestmark,  # noqa: F401  (the same skip without Chromium)
    sample_app_server,
    save,
    texts,
)

# The newest five books of each demo tenant, as the page lists them (newest first).
ACME_FIRST_PAGE = ["Coraline", "American Gods", "The Long Earth", "Good Omens", "Guards! Guards!"]
GLOBEX_NEWEST = "Dirk Gently's Holistic Detective Agency"


@pytest.fixture(scope="module")
def tenant_url() -> Iterator[str]:
    with sample_app_server(TENANT_HEADER="X-Tenant-ID") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-tenants")) as driver:
        yield driver


@pytest.fixture
def page(browser: Any, tenant_url: str) -> Any:
    browser.get(tenant_url + "/")
    assert_soon(browser, lambda: book_titles(browser) == ACME_FIRST_PAGE, "acme's first page")
    return browser


def switch_to(driver: Any, tenant: str) -> None:
    Select(driver.find_element(By.ID, "tenant")).select_by_value(tenant)


def pager_text(driver: Any) -> str:
    return str(driver.find_element(By.ID, "book-pager").text)


def test_the_switch_lists_the_tenants_and_starts_on_the_first(page: Any) -> None:
    switch = page.find_element(By.ID, "tenant-switch")
    assert switch.is_displayed()
    assert texts(page, "#tenant option") == ["acme", "globex"]
    assert f"1{EN_DASH}5 of 9" in pager_text(page)
    assert_soon(page, lambda: "Terry Pratchett" in author_names(page), "acme's authors")


def test_switching_tenant_changes_what_the_page_lists(page: Any) -> None:
    switch_to(page, "globex")
    assert_soon(page, lambda: book_titles(page)[:1] == [GLOBEX_NEWEST], "globex's newest book")
    assert not set(book_titles(page)) & set(ACME_FIRST_PAGE)
    assert f"1{EN_DASH}5 of 9" in pager_text(page)
    assert_soon(page, lambda: "Octavia E. Butler" in author_names(page), "globex's authors")
    assert "Terry Pratchett" not in author_names(page)
    choices = texts(page, "#book-author option")
    assert "Ted Chiang" in choices and "Neil Gaiman" not in choices
    switch_to(page, "acme")
    assert_soon(page, lambda: book_titles(page) == ACME_FIRST_PAGE, "acme's books again")


def test_a_book_made_in_one_tenant_is_not_in_the_other(page: Any) -> None:
    switch_to(page, "globex")
    assert_soon(page, lambda: book_titles(page)[:1] == [GLOBEX_NEWEST], "globex's books")
    page.find_element(By.ID, "new-book").click()
    fill_book(page, "Bloodchild", "978-0-00-000000-2", "Octavia E. Butler")
    save(page)
    assert_soon(page, lambda: book_titles(page)[:1] == ["Bloodchild"], "the new book in globex")
    switch_to(page, "acme")
    assert_soon(page, lambda: book_titles(page) == ACME_FIRST_PAGE, "acme without it")
    switch_to(page, "globex")
    assert_soon(page, lambda: book_titles(page)[:1] == ["Bloodchild"], "globex still has it")
