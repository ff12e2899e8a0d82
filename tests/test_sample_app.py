"""The sample app over HTTP (httpx + ASGI, lifespan run): seed, healthz, page, CORS, the tour.

The in-memory database by default; with MONGODB_URL set, a fresh real database per test,
seeded and dropped. The curl examples of docs/tour.md always run on the in-memory app, as
the README's run command does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
import sample_app.__main__ as sample_main
from sample_app.app import Settings, create_app
from sample_app.models import Book, isbn13_is_valid
from sample_app.seed import AUTHORS, BOOKS, PUBLISHERS, books, demo_id

ROOT = Path(__file__).resolve().parent.parent
MONGODB_URL = os.environ.get("MONGODB_URL")
ALLOWED_ORIGIN = "http://localhost:5173"


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (init_beanie, seeding), and a client on it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
def settings() -> Iterator[Settings]:
    database = f"autoapi_sample_test_{uuid.uuid4().hex[:12]}"
    yield Settings(mongodb_url=MONGODB_URL, mongodb_db=database, seed_demo_data=True,
                   cors_origins=(ALLOWED_ORIGIN,))
    if MONGODB_URL:
        import pymongo

        pymongo.MongoClient(MONGODB_URL).drop_database(database)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings) as c:
        yield c


# -- demo data -----------------------------------------------------------------------------


async def test_demo_data_is_seeded(client: httpx.AsyncClient) -> None:
    for path, count in (("publishers", len(PUBLISHERS)), ("authors", len(AUTHORS)),
                        ("books", len(BOOKS))):
        answer = await client.get(f"/api/{path}", params={"limit": 1})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == count


async def test_books_populate_their_authors(client: httpx.AsyncClient) -> None:
    good_omens = demo_id(Book, 6)
    answer = await client.get(f"/api/books/{good_omens}", params={"populate": "author,coauthor"})
    book = answer.json()
    assert (book["author"]["lastName"], book["coauthor"]["lastName"]) == ("Pratchett", "Gaiman")


async def test_seeding_is_skipped_when_there_is_data(settings: Settings) -> None:
    from sample_app.seed import seed

    async with serve(settings) as client:
        assert await seed() is False
        assert (await client.get("/api/books")).json()["total"] == len(BOOKS)


async def test_nothing_is_seeded_unless_asked(settings: Settings) -> None:
    async with serve(replace(settings, seed_demo_data=False)) as client:
        empty = {"total": 0, "items": [], "next": None, "prev": None}
        assert (await client.get("/api/books")).json() == empty


def test_demo_isbns_are_valid() -> None:
    assert all(isbn13_is_valid(book.isbn) for book in books())


async def test_a_bad_isbn_is_refused_with_the_field_named(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/books", json={"title": "Nine", "isbn": "9780000000003"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["isbn"]


async def test_an_isbn_with_hyphens_is_stored_as_digits(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/books", json={"title": "Ten", "isbn": "978-0-00-000000-2"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["isbn"] == "9780000000002"


async def test_the_schemas_folder_is_loaded(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    assert document["paths"]["/books"]["post"]["summary"] == "Add a book"
    answer = await client.post("/api/books", json={"title": ""})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["title"]


# -- healthz -------------------------------------------------------------------------------


async def test_healthz_pings_the_database(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_healthz_answers_503_when_the_ping_fails(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async def refuse(*args: Any, **kwargs: Any) -> None:
            raise ConnectionError("no server")

        app.state.database = _Unreachable(refuse)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            answer = await c.get("/healthz")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 503


@dataclass
class _Unreachable:
    command: Any


# -- the page ------------------------------------------------------------------------------


async def test_the_page_is_served_at_the_root(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="app.js"' in page.text
    for asset, kind in (("/app.js", "javascript"), ("/style.css", "text/css")):
        answer = await client.get(asset)
        assert answer.status_code == 200
        assert kind in answer.headers["content-type"]


async def test_the_page_loads_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    for asset in ("/", "/app.js", "/style.css"):
        text = (await client.get(asset)).text
        assert not re.search(r"(src|href)=\"(https?:)?//", text), asset
        assert "http://" not in text and "https://" not in text, asset


# -- CORS ----------------------------------------------------------------------------------


async def test_cors_allows_a_configured_origin(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/books", headers={"Origin": ALLOWED_ORIGIN})
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    preflight = await client.options("/api/books", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]


async def test_cors_ignores_other_origins(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/books", headers={"Origin": "http://evil.example"})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


async def test_no_cors_headers_without_configured_origins(settings: Settings) -> None:
    async with serve(replace(settings, cors_origins=())) as client:
        answer = await client.get("/api/books", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in answer.headers


# -- configuration -------------------------------------------------------------------------


def test_settings_default_to_the_in_memory_database_with_demo_data() -> None:
    assert Settings.from_env({}) == Settings(None, "autoapi_sample", True, ())


def test_a_mongodb_url_switches_the_database_and_seeds_nothing() -> None:
    env = {"MONGODB_URL": "mongodb://db:27017", "MONGODB_DB": "shelf"}
    assert Settings.from_env(env) == Settings("mongodb://db:27017", "shelf", False, ())
    assert Settings.from_env({**env, "SEED_DEMO_DATA": "yes"}).seed_demo_data is True


def test_cors_origins_are_split_on_commas_and_spaces() -> None:
    env = {"CORS_ORIGINS": "http://a.test, http://b.test/ http://c.test"}
    assert Settings.from_env(env).cors_origins == ("http://a.test", "http://b.test",
                                                   "http://c.test")


def test_main_passes_host_and_port_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(sample_main.uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setattr("sys.argv", ["sample_app", "--host", "0.0.0.0", "--port", "9000"])
    sample_main.main()
    assert calls == [(("sample_app.app:app",), {"host": "0.0.0.0", "port": 9000})]


# -- the curl examples of docs/tour.md -----------------------------------------------------


@dataclass
class Curl:
    """The part of curl the docs use: -s -G -X -H -d --data-urlencode -I -o -w, and `> file`."""

    url: str = ""
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: list[str] = field(default_factory=list)
    as_query: bool = False
    write_out: str | None = None
    discard_body: bool = False
    status: int = 0  # of the last run

    @classmethod
    def parse(cls, command: str) -> Curl:
        words = shlex.split(command)
        assert words[0] == "curl", command
        curl, args = cls(), iter(words[1:])
        for word in args:
            curl.take(word, args)
        return curl

    def take(self, word: str, args: Iterator[str]) -> None:
        if word == "-s":
            return
        if word == "-G":
            self.as_query = True
        elif word == "-I":
            self.method = "HEAD"
        elif word == "-X":
            self.method = next(args)
        elif word == "-H":
            name, _, value = next(args).partition(":")
            self.headers[name.strip()] = value.strip()
        elif word == "-d":
            self.data.append(next(args))
        elif word == "--data-urlencode":
            name, _, value = next(args).partition("=")
            self.data.append(f"{name}={quote(value, safe='')}")
        elif word == "-o":
            self.discard_body = next(args) == "/dev/null"
        elif word == "-w":
            self.write_out = next(args)
        elif word == ">":  # the body goes to a file: nothing is shown
            self.discard_body = bool(next(args))
        else:
            assert not word.startswith("-"), f"the docs test does not know curl {word}"
            self.url = word

    @property
    def sends_body(self) -> bool:
        return bool(self.data) and not self.as_query

    @property
    def verb(self) -> str:
        return self.method or ("POST" if self.sends_body else "GET")

    async def run(self, client: httpx.AsyncClient) -> str:
        url, body = self.url, None
        if self.sends_body:
            body = "&".join(self.data).encode()
            self.headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif self.data:
            url += ("&" if "?" in url else "?") + "&".join(self.data)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        answer = await client.request(self.verb, target, headers=self.headers, content=body)
        self.status = answer.status_code
        shown = "" if self.discard_body else answer.text
        return shown + (self.expand(self.write_out, answer) if self.write_out else "")

    @staticmethod
    def expand(template: str, answer: httpx.Response) -> str:
        out = template.replace("\\n", "\n").replace("%{http_code}", str(answer.status_code))
        return re.sub(r"%header\{([^}]+)\}", lambda m: answer.headers.get(m[1], ""), out)


@dataclass
class Example:
    command: str
    answer: str
    language: str


def curl_examples(page: Path) -> list[Example]:
    """Each ```sh block that is one curl command, with the fenced block after it (its answer)."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    examples = []
    for (lang, code), (answer_lang, answer) in itertools.pairwise(blocks):
        if lang == "sh" and code.startswith("curl "):
            command = code.replace("\\\n", " ").strip()
            examples.append(Example(command, answer, answer_lang))
    return examples


CURSOR = "<cursor>"


def same_answer(example: Example, got: str, created: bool) -> None:
    if example.language != "json":
        assert got.strip() == example.answer.strip(), example.command
        return
    shown, actual = json.loads(example.answer), json.loads(got)
    for key in ("next", "prev"):  # cursor tokens are opaque: the docs show a placeholder
        if isinstance(shown, dict) and shown.get(key) == CURSOR and isinstance(actual, dict):
            assert isinstance(actual.get(key), str) and actual[key], (example.command, key)
            shown[key] = actual[key]
    if created:  # a new document's id and creation time differ on every run
        for key in ("_id", "created"):
            shown.pop(key, None)
            actual.pop(key, None)
    assert actual == shown, f"{example.command}\n{got}"


async def test_every_tour_curl_example_answers_as_shown() -> None:
    examples = curl_examples(ROOT / "docs" / "tour.md")
    assert len(examples) >= 20
    async with serve(Settings(seed_demo_data=True)) as client:
        for example in examples:
            curl = Curl.parse(example.command)
            got = await curl.run(client)
            same_answer(example, got, created=curl.verb == "POST")
