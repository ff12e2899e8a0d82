"""`<mount>/docs` in headless Chromium: Swagger UI renders the document and runs a request.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped without.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from beanie import init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.conftest import MONGODB_URL, RUN_DATABASE, new_client
from tests.models import ALL_MODELS, Author

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--window-size=1280,1000")

DATABASE = f"{RUN_DATABASE}_docs"

pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="needs Chromium and ChromeDriver")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await init_beanie(database=new_client()[DATABASE], document_models=ALL_MODELS)
    await Author(firstName="Ursula", lastName="Le Guin").insert()
    yield


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = Starlette(routes=[Mount("/api", app=AutoAPI(models=ALL_MODELS))], lifespan=lifespan)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    if MONGODB_URL:
        import pymongo

        pymongo.MongoClient(MONGODB_URL).drop_database(DATABASE)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    yield driver
    driver.quit()


def test_swagger_ui_renders_and_runs_a_request(base_url: str, browser: Any) -> None:
    browser.get(f"{base_url}/api/docs")
    wait = WebDriverWait(browser, 20)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.get_attribute("data-path")
             for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/authors", "/authors/{id}", "/authors/{id}/books"} <= paths
    listing = browser.find_element(By.ID, "operations-authors-list_authors")
    summary = listing.find_element(By.CSS_SELECTOR, ".opblock-summary")
    # centred first: at the window's edge the click can land on a neighbouring block
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    wait.until(lambda d: listing.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    listing.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    listing.find_element(By.CSS_SELECTOR, ".execute").click()
    wait.until(lambda d: "Le Guin" in listing.text)
    assert "200" in listing.find_element(By.CSS_SELECTOR, ".live-responses-table").text
    refused = [e["message"] for e in browser.get_log("browser")
               if "Content Security Policy" in e["message"] or e["level"] == "SEVERE"]
    assert refused == []
