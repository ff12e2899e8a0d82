"""The sample app in tenant mode (`TENANT_HEADER`) over HTTP: two tenants, one database each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sample_app.app import Settings
from sample_app.models import Author, Book
from sample_app.seed import BOOKS, PUBLISHERS, demo_id
from sample_app.tenants import TENANT_AUTHORS, TENANTS, database_namer, tenant_documents

from tests.test_sample_app import ALLOWED_ORIGIN, MONGODB_URL, serve

HEADER = "X-Tenant-ID"


def as_tenant(tenant: str) -> dict[str, str]:
    return {HEADER: tenant}


@pytest.fixture
def settings() -> Iterator[Settings]:
    database = f"autoapi_sample_test_{uuid.uuid4().hex[:12]}"
    yield Settings(mongodb_url=MONGODB_URL, mongodb_db=database, seed_demo_data=True,
                   cors_origins=(ALLOWED_ORIGIN,), tenant_header=HEADER)
    if MONGODB_URL:
        import pymongo

        server = pymongo.MongoClient(MONGODB_URL)
        for name in (database, *map(database_namer(database), TENANTS)):
            server.drop_database(name)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings) as c:
        yield c


async def titles(client: httpx.AsyncClient, tenant: str) -> set[str]:
    answer = await client.get("/api/books", params={"limit": 100}, headers=as_tenant(tenant))
    assert answer.status_code == 200, answer.text
    return {book["title"] for book in answer.json()["items"]}


def test_the_header_switches_tenant_mode_on() -> None:
    assert Settings.from_env({}).tenant_header is None
    assert Settings.from_env({"TENANT_HEADER": " X-Tenant-ID "}).tenant_header == HEADER


async def test_the_tenants_split_the_demo_data(client: httpx.AsyncClient) -> None:
    # (the documents are built after the app's `init_beanie`, which `client` runs)
    assert sorted(n for numbers in TENANT_AUTHORS.values() for n in numbers) == list(range(1, 10))
    books = [book for tenant in TENANTS for book in dict(tenant_documents(tenant))[Book]]
    assert len(books) == len(BOOKS)
    for tenant in TENANTS:
        docs = dict(tenant_documents(tenant))
        ids = {a.id for a in docs[Author]}
        for book in docs[Book]:  # no link leads into another tenant's database
            assert book.author is not None and book.author.ref.id in ids
            assert book.coauthor is None or book.coauthor.ref.id in ids


async def test_each_tenant_lists_its_own_books(client: httpx.AsyncClient) -> None:
    acme, globex = await titles(client, "acme"), await titles(client, "globex")
    assert "Small Gods" in acme and "Kindred" in globex
    assert not acme & globex and len(acme | globex) == len(BOOKS)
    linked = await client.get(f"/api/books/{demo_id(Book, 6)}", headers=as_tenant("acme"),
                              params={"populate": "author,coauthor,publisher"})
    book = linked.json()
    assert (book["author"]["lastName"], book["coauthor"]["lastName"]) == ("Pratchett", "Gaiman")
    assert book["publisher"]["name"] == PUBLISHERS[0][1]  # shared, from the main database
    other = await client.get(f"/api/books/{demo_id(Book, 6)}", headers=as_tenant("globex"))
    assert other.status_code == 404


async def test_a_tenants_write_stays_in_its_database(client: httpx.AsyncClient) -> None:
    author = str(demo_id(Author, 4))
    made = await client.post("/api/books", json={"title": "Wild Seed", "author": author},
                             headers=as_tenant("globex"))
    assert made.status_code == 201, made.text
    assert "Wild Seed" in await titles(client, "globex")
    assert "Wild Seed" not in await titles(client, "acme")
    # Octavia Butler is globex's: for acme the link names no author.
    elsewhere = await client.post("/api/books", json={"title": "x", "author": author},
                                  headers=as_tenant("acme"))
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "missing_link"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), (as_tenant("initech"), 401), (as_tenant("no spaces"), 400)],
)
async def test_no_or_unknown_tenant_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    answer = await client.get("/api/books", headers=headers)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_publishers_are_shared_and_read_only(client: httpx.AsyncClient) -> None:
    for tenant in TENANTS:
        listed = await client.get("/api/publishers", headers=as_tenant(tenant))
        assert listed.json()["total"] == len(PUBLISHERS)
    made = await client.post("/api/publishers", json={"name": "P"}, headers=as_tenant("acme"))
    assert made.status_code == 403


async def test_the_page_learns_the_header_and_the_tenants(client: httpx.AsyncClient) -> None:
    assert (await client.get("/tenants")).json() == {"header": HEADER, "tenants": list(TENANTS)}
    preflight = await client.options("/api/books", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": HEADER,
    })
    assert preflight.status_code == 200
    assert HEADER.lower() in preflight.headers["access-control-allow-headers"].lower()


async def test_without_the_setting_there_is_no_tenant_switch(settings: Settings) -> None:
    from dataclasses import replace

    async with serve(replace(settings, tenant_header=None)) as plain:
        assert (await plain.get("/tenants")).json() == {"header": None, "tenants": []}
        assert (await plain.get("/api/books")).json()["total"] == len(BOOKS)
