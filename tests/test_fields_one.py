"""`fields` on the routes that answer documents one by one: GET, HEAD, POST (one or an
array), PUT, PATCH and CoU/CoR keep what it names, as a list's documents do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.requests import Request

from autoapi import Access
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS


async def new_book(client: httpx.AsyncClient, **values: Any) -> httpx.Response:
    made = await client.post("/api/books", json={"title": "t", "isbn": "1", **values})
    assert made.status_code == 201, made.text
    return made


@pytest.mark.parametrize(("fields", "keys"), [
    ("title", {"_id", "title"}),
    ("title,-_id", {"title"}),
    ("-tags,-created", {"_id", "title", "isbn", "isGood", "pages", "price", "author",
                        "coauthor"}),
])
async def test_get_keeps_the_fields_named_and_its_etag(
    client: httpx.AsyncClient, fields: str, keys: set[str]
) -> None:
    made = await new_book(client)
    url = f"/api/books/{made.json()['_id']}"
    got = await client.get(url, params={"fields": fields})
    assert got.status_code == 200 and set(got.json()) == keys
    assert got.headers["etag"] == made.headers["etag"]


@pytest.mark.parametrize(("method", "status"), [("PATCH", 200), ("PUT", 200)])
async def test_updates_answer_the_fields_named(
    client: httpx.AsyncClient, method: str, status: int
) -> None:
    made = await new_book(client)
    url = f"/api/books/{made.json()['_id']}?fields=isbn"
    changed = await client.request(method, url, json={"isbn": "2"})
    assert changed.status_code == status
    assert changed.json() == {"_id": made.json()["_id"], "isbn": "2"}


async def test_creates_answer_the_fields_named(client: httpx.AsyncClient) -> None:
    one = await client.post("/api/books?fields=title", json={"title": "a", "isbn": "9"})
    assert one.status_code == 201 and set(one.json()) == {"_id", "title"}
    many = await client.post("/api/books?fields=-isbn", json=[{"title": "b"}, {"title": "c"}])
    assert many.status_code == 201
    assert all("isbn" not in item and "title" in item for item in many.json()["items"])
    upsert = await client.post("/api/books?fields=pages", json={"_id": one.json()["_id"],
                               "pages": 4}, headers={"X-HTTP-Method": "CoU"})
    assert upsert.json() == {"_id": one.json()["_id"], "pages": 4}


async def test_fields_and_populate_together(client: httpx.AsyncClient) -> None:
    author = await client.post("/api/authors", json={"firstName": "a", "lastName": "b"})
    made = await new_book(client, author=author.json()["_id"])
    url = f"/api/books/{made.json()['_id']}"
    got = (await client.get(url, params={"fields": "author", "populate": "author"})).json()
    assert set(got) == {"_id", "author"} and got["author"]["firstName"] == "a"
    left_out = (await client.get(url, params={"fields": "title", "populate": "author"})).json()
    assert set(left_out) == {"_id", "title"}  # `fields` wins over `populate`


@pytest.mark.parametrize("fields", ["nope", "title,-isbn", "biography.nope"])
async def test_a_bad_fields_is_a_400_before_anything_is_read_or_written(
    client: httpx.AsyncClient, fields: str
) -> None:
    made = await new_book(client)
    url = f"/api/books/{made.json()['_id']}"
    assert_problem(await client.get(url, params={"fields": fields}), 400, "fields")
    patched = await client.patch(url, params={"fields": fields}, json={"isbn": "3"})
    assert_problem(patched, 400, "fields")
    assert (await client.get(url)).json()["isbn"] == "1"


def _titles_only(request: Request, model: Any) -> Access:
    return Access(read_fields={"title"})


async def test_fields_outside_read_fields_are_unknown(make_client: MakeClient) -> None:
    api = await make_client(ALL_MODELS, policy=_titles_only)
    made = await api.post("/api/books", json={"title": "t"})
    url = f"/api/books/{made.json()['_id']}"
    assert_problem(await api.get(url, params={"fields": "isbn"}), 400, "fields")
    assert set((await api.get(url, params={"fields": "title"})).json()) == {"_id", "title"}


async def test_minus_id_works_but_is_not_offered_by_the_document(
    client: httpx.AsyncClient,
) -> None:
    made = await new_book(client)
    got = await client.get(f"/api/books/{made.json()['_id']}", params={"fields": "-_id"})
    assert "_id" not in got.json() and got.json()["title"] == "t"
    doc = (await client.get("/api/openapi.json")).json()
    keys = doc["components"]["schemas"]["BookFieldKey"]["enum"]
    assert "-_id" not in keys and {"_id", "title", "-title"} <= set(keys)
    assert doc["components"]["schemas"]["Book"]["required"] == ["_id"]
    get_one = doc["paths"]["/books/{id}"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/Book.fields"} in get_one
