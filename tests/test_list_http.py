"""List options over HTTP: offset, limit, sort, filter, fields."""

from __future__ import annotations

import datetime

import httpx
import pytest

from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book


@pytest.fixture
async def books(client: httpx.AsyncClient) -> list[Book]:
    author = Author(firstName="Jay", lastName="Kay", secret="s3")
    await author.insert()
    out = []
    for i in range(5):
        book = Book(title=f"Book {i}", isbn=f"isbn-{i}", pages=100 * i, isGood=i % 2 == 0,
                    tags=["even" if i % 2 == 0 else "odd"],
                    author=author if i < 2 else None,
                    created=datetime.datetime(2020, 1, 1 + i, tzinfo=datetime.UTC))
        await book.insert()
        out.append(book)
    return out


async def titles(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get(f"/api/books?{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_offset_and_limit_page_while_total_counts_all(
    client: httpx.AsyncClient, books: list[Book]
) -> None:
    response = await client.get("/api/books?sort=title&offset=1&limit=2")
    assert response.json()["total"] == 5
    assert [i["title"] for i in response.json()["items"]] == ["Book 1", "Book 2"]


async def test_default_and_maximum_limit(make_client: MakeClient) -> None:
    client = await make_client(default_limit=2, max_limit=3)
    for i in range(4):
        await Book(title=f"B{i}").insert()
    body = (await client.get("/api/books")).json()
    assert body["total"] == 4 and len(body["items"]) == 2
    assert len((await client.get("/api/books?limit=3")).json()["items"]) == 3
    assert_problem(await client.get("/api/books?limit=4"), 400, "limit")


async def test_sort_both_ways_and_by_several_fields(
    client: httpx.AsyncClient, books: list[Book]
) -> None:
    assert await titles(client, "sort=-created") == [f"Book {i}" for i in range(4, -1, -1)]
    assert await titles(client, "sort=isGood,-pages") == ["Book 3", "Book 1", "Book 4",
                                                          "Book 2", "Book 0"]
    assert await titles(client, "sort=isGood+-pages") == ["Book 3", "Book 1", "Book 4",
                                                          "Book 2", "Book 0"]


async def test_filter(client: httpx.AsyncClient, books: list[Book]) -> None:
    assert await titles(client, "filter=isbn%3Disbn-3") == ["Book 3"]
    assert await titles(client, "filter=isGood%3D0&sort=title") == ["Book 1", "Book 3"]
    assert await titles(client, "filter=isGood&filter=pages%3D200") == ["Book 2"]
    assert await titles(client, "filter=tags%3Dodd&sort=title") == ["Book 1", "Book 3"]
    author_id = (await client.get(f"/api/books/{books[0].id}")).json()["author"]
    assert await titles(client, f"filter=author%3D{author_id}&sort=title") == ["Book 0",
                                                                               "Book 1"]
    assert await titles(client, "filter=created%3D2020-01-03") == ["Book 2"]
    total = (await client.get("/api/books?filter=isGood%3Dtrue")).json()["total"]
    assert total == 3


async def test_filter_refusals_name_the_parameter(
    client: httpx.AsyncClient, books: list[Book]
) -> None:
    assert_problem(await client.get("/api/books?filter=nope%3D1"), 400, "filter")
    assert_problem(await client.get("/api/books?filter=pages%3Dmany"), 400, "filter")
    assert_problem(await client.get("/api/books?filter=author%3Dnot-an-id"), 400, "filter")
    assert_problem(await client.get("/api/authors?filter=secret%3Ds3"), 400, "filter")
    assert_problem(await client.get("/api/authors?sort=secret"), 400, "sort")
    assert_problem(await client.get("/api/authors?fields=secret"), 400, "fields")


async def test_fields_include_and_exclude(client: httpx.AsyncClient, books: list[Book]) -> None:
    response = await client.get("/api/books?fields=title,pages&sort=title&limit=1")
    assert response.json()["items"] == [{"_id": str(books[0].id), "title": "Book 0", "pages": 0}]
    no_id = await client.get("/api/books?fields=title,-_id&sort=title&limit=1")
    assert no_id.json()["items"] == [{"title": "Book 0"}]
    excluded = (await client.get("/api/books?fields=-isbn,-tags&limit=1")).json()["items"][0]
    assert "isbn" not in excluded and "tags" not in excluded and "title" in excluded
    assert_problem(await client.get("/api/books?fields=title,-isbn"), 400, "fields")


async def test_fields_into_an_embedded_model(client: httpx.AsyncClient) -> None:
    await Author(firstName="A", lastName="B", biography={"description": "d", "born": 1}).insert()
    items = (await client.get("/api/authors?fields=biography.born,-_id")).json()["items"]
    assert items == [{"biography": {"born": 1}}]


async def test_unknown_parameters_are_ignored(client: httpx.AsyncClient, books: list[Book]) -> None:
    response = await client.get("/api/books?colour=blue&limit=1")
    assert response.status_code == 200 and len(response.json()["items"]) == 1


@pytest.mark.parametrize("query", ["offset=-1", "offset=a", "limit=0", "limit=1001",
                                   "sort=nope", "populate=title"])
async def test_bad_values_are_400_naming_the_parameter(
    client: httpx.AsyncClient, query: str
) -> None:
    assert_problem(await client.get(f"/api/books?{query}"), 400, query.split("=")[0])


async def test_filter_integer_beyond_64_bits_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/books?filter=pages%3D99999999999999999999999")
    assert "64-bit" in assert_problem(response, 400, "filter")["detail"]
