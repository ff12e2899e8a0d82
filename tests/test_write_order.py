"""Which answer wins on a write whose values no field can take: the document (404) and its
`If-Match` (412) are checked first, as for any other invalid value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId

from tests.conftest import assert_problem

UNTAKEABLE = [
    ({"author": "zz"}, "author"),
    ({"pages": 2**63}, "pages"),
    ({"pages": "9" * 30}, "pages"),
    ({"price": "1e400"}, "price"),
]
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(("body", "field"), UNTAKEABLE)
async def test_a_missing_document_is_a_404_before_its_values(
    client: httpx.AsyncClient, method: str, body: dict[str, Any], field: str
) -> None:
    response = await client.request(method, f"/api/books/{ObjectId()}", json=body)
    assert_problem(response, 404)


@pytest.mark.parametrize(("body", "field"), UNTAKEABLE)
async def test_a_stale_if_match_is_a_412_before_the_values_and_then_they_are_named(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    made = await client.post("/api/books", json={"title": "t"})
    url = f"/api/books/{made.json()['_id']}"
    stale = await client.patch(url, json=body, headers={"If-Match": '"stale"'})
    assert_problem(stale, 412)
    fresh = await client.patch(url, json=body, headers={"If-Match": made.headers["etag"]})
    assert_problem(fresh, 422, field)
    assert (await client.get(url)).headers["etag"] == made.headers["etag"]


async def test_a_form_value_no_field_can_take_waits_for_the_document_too(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.patch(f"/api/books/{ObjectId()}", content="pages=x1", headers=FORM)
    assert_problem(missing, 404)
    made = await client.post("/api/books", json={"title": "t"})
    named = await client.patch(f"/api/books/{made.json()['_id']}", content="pages=x1",
                               headers=FORM)
    assert_problem(named, 422, "pages")


async def test_bulk_items_name_each_value_no_field_can_take(client: httpx.AsyncClient) -> None:
    items = [{"title": "a"}, {"title": "b", "author": "zz"}, {"title": "c", "pages": 2**63}]
    body = assert_problem(await client.post("/api/books", json=items), 422)
    assert [e["field"] for e in body["errors"]] == ["[1].author", "[2].pages"]
    assert (await client.get("/api/books")).json()["total"] == 0


@pytest.mark.parametrize(("form", "tags"), [
    ("title=t&tags=a&tags=b", ["a", "b"]),
    ("title=t&tags=a", ["a"]),
    ("title=t", []),
])
async def test_a_form_gives_a_list_field_every_value_of_its_key(
    client: httpx.AsyncClient, form: str, tags: list[str]
) -> None:
    made = await client.post("/api/books", content=form, headers=FORM)
    assert made.status_code == 201, made.text
    assert made.json()["tags"] == tags


async def test_a_form_giving_a_single_field_twice_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/books", content="title=a&title=b", headers=FORM)
    assert_problem(response, 400, "title")
    assert (await client.get("/api/books")).json()["total"] == 0


async def test_an_empty_body_naming_a_type_not_served_is_a_415(client: httpx.AsyncClient) -> None:
    plain = {"content-type": "text/plain"}
    assert_problem(await client.post("/api/books", content=b"", headers=plain), 415)
    made = await client.post("/api/books", json={"title": "t"})
    url = f"/api/books/{made.json()['_id']}"
    assert_problem(await client.patch(url, content=b"", headers=plain), 415)
