"""Names a client sends are echoed cut to 64 characters, in `detail` and in every entry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book

LONG = "k" * 200
CUT = "k" * 64 + "…"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def assert_cut(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The problem names `field` (already cut) in its entry and detail, and no more of LONG."""
    body = assert_problem(response, status)
    assert [e["field"] for e in body["errors"]] == [field], body
    assert field in body["detail"], body
    assert "k" * 65 not in response.text
    assert len(response.content) < 600
    return body


@pytest.mark.parametrize(("url", "sent", "field"), [
    ("/api/books", {"title": "x", LONG: 1}, CUT),
    ("/api/books", {"title": "x", LONG + ".b": 1}, CUT),
    ("/api/books", {"title": "x", "$" + LONG: 1}, "$" + "k" * 63 + "…"),
    ("/api/authors", {"firstName": "a", "lastName": "b", "biography": {LONG: 1}},
     "biography." + "k" * 54 + "…"),
    ("/api/books", [{"title": "x"}, {LONG: 1}], "[1]." + "k" * 60 + "…"),
])
async def test_a_long_body_key_is_cut_in_detail_and_field(
    client: httpx.AsyncClient, url: str, sent: Any, field: str
) -> None:
    body = assert_cut(await client.post(url, json=sent), 422, field)
    assert body["detail"] == f"invalid fields: {field}"
    assert await Book.find_all().count() == 0
    assert await Author.find_all().count() == 0


async def test_a_long_form_key_is_cut(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/books", content=f"title=x&{LONG}=1", headers=FORM)
    assert assert_cut(response, 422, CUT)["detail"] == f"invalid fields: {CUT}"
    assert (await client.get("/api/books")).json()["total"] == 0


async def test_a_long_patch_key_is_cut_and_nothing_changes(client: httpx.AsyncClient) -> None:
    made = (await client.post("/api/books", json={"title": "x"})).json()
    response = await client.patch(f"/api/books/{made['_id']}", json={LONG: 1, "title": "y"})
    assert_cut(response, 422, CUT)
    assert (await client.get(f"/api/books/{made['_id']}")).json()["title"] == "x"


async def test_ten_long_keys_keep_the_detail_small(client: httpx.AsyncClient) -> None:
    sent = {f"{i}{LONG}": 1 for i in range(12)}
    body = assert_problem(await client.post("/api/books", json=sent), 422)
    assert all(len(e["field"]) == 65 for e in body["errors"])
    assert len(body["detail"]) <= 400
    names = body["detail"].removeprefix("invalid fields: ").split(", ")
    assert all(len(name) <= 65 for name in names), names


@pytest.mark.parametrize(("schema", "query"), [
    ({"additionalProperties": False}, f"{LONG}=1"),
    ({"properties": {LONG: {"type": "integer"}}}, f"{LONG}=x"),
])
async def test_a_long_query_parameter_is_cut(
    make_client: MakeClient, schema: dict[str, Any], query: str
) -> None:
    entry = {"name": "books", "routeList": {"querystring": {"type": "object", **schema}}}
    client = await make_client(schemas=[entry])
    body = assert_cut(await client.get(f"/api/books?{query}"), 400, CUT)
    assert body["detail"].startswith(f"{CUT}: ")
