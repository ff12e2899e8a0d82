"""Bulk writes: POST of an array, PATCH and DELETE of what a filter selects."""

from __future__ import annotations

from typing import Any

from autoapi import store
from tests.conftest import MakeClient, assert_problem
from tests.models import Account, Book

BULK = ["list", "get", "post", "patch", "delete", "bulk_patch", "bulk_delete"]


async def test_bulk_post_creates_in_order(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.post("/api/books", json=[{"title": f"b{i}"} for i in range(3)])
    assert response.status_code == 201, response.text
    assert [item["title"] for item in response.json()["items"]] == ["b0", "b1", "b2"]
    assert await Book.find_all().count() == 3


async def test_bulk_post_validates_everything_first(make_client: MakeClient) -> None:
    client = await make_client()
    items: list[Any] = [{"title": "ok"}] * 3 + [{"pages": 1}, {"title": "x", "pages": "y"}]
    body = assert_problem(await client.post("/api/books", json=items), 422)
    assert {e["field"] for e in body["errors"]} == {"[3].title", "[4].pages"}
    unknown = assert_problem(await client.post("/api/books", json=[*items, {"nope": 1}]), 422)
    assert [e["field"] for e in unknown["errors"]] == ["[5].nope"]  # body keys answer first
    assert await Book.find_all().count() == 0


async def test_bulk_post_limits(make_client: MakeClient) -> None:
    client = await make_client(max_batch=2)
    assert_problem(await client.post("/api/books", json=[{"title": "a"}] * 3), 413)
    assert_problem(await client.post("/api/books", json=[]), 400, "body")
    assert_problem(await client.post("/api/books", json=[{"title": "a"}, 3]), 422, "[1]")


async def test_a_unique_clash_says_what_was_written(make_client: MakeClient) -> None:
    client = await make_client()
    await Account(email="taken@x").insert()
    items = [{"email": "a@x"}, {"email": "b@x"}, {"email": "taken@x"}, {"email": "c@x"}]
    response = await client.post("/api/accounts", json=items)
    body = assert_problem(response, 409)
    assert [w["index"] for w in body["written"]] == [0, 1]
    assert body["failed"]["index"] == 2 and body["failed"]["errors"][0]["field"] == "email"
    assert body["not_attempted"] == [3]
    assert await Account.find_all().count() == 3


async def test_bulk_patch_and_delete_are_opt_in(make_client: MakeClient) -> None:
    client = await make_client()
    assert (await client.patch("/api/books?filter=isGood", json={"pages": 1})).status_code == 405
    assert (await client.delete("/api/books?filter=isGood")).status_code == 405


async def test_bulk_patch_sets_fields_on_the_selection(make_client: MakeClient) -> None:
    client = await make_client(methods=BULK)
    for i in range(4):
        await Book(title=f"b{i}", isGood=i % 2 == 0).insert()
    response = await client.patch("/api/books", params={"filter": "isGood"}, json={"pages": 7})
    assert response.status_code == 200, response.text
    assert response.json() == {"matched": 2, "modified": 2}
    pages = sorted(b.pages for b in await Book.find_all().to_list())
    assert pages == [0, 0, 7, 7]
    invalid = await client.patch("/api/books", params={"filter": "isGood"}, json={"pages": "x"})
    assert_problem(invalid, 422, "pages")
    assert_problem(await client.patch("/api/books", json={"pages": 1}), 400, "filter")


async def test_bulk_delete_and_the_max_batch_refusal(make_client: MakeClient) -> None:
    client = await make_client(methods=BULK, max_batch=2)
    for i in range(4):
        await Book(title=f"b{i}", pages=i).insert()
    assert_problem(await client.delete("/api/books"), 400, "filter")
    too_many = await client.delete("/api/books", params={"where": '{"pages": {"$gte": 1}}'})
    assert_problem(too_many, 409)
    assert await Book.find_all().count() == 4
    done = await client.delete("/api/books", params={"where": '{"pages": {"$gte": 2}}'})
    assert done.json() == {"deleted": 2}
    assert sorted(b.title for b in await Book.find_all().to_list()) == ["b0", "b1"]
    raw = await store.collection(Book).count_documents({})
    assert raw == 2


async def test_bulk_routes_run_check_auth(make_client: MakeClient) -> None:
    client = await make_client(methods=BULK, check_auth=lambda request: False)
    assert_problem(await client.delete("/api/books", params={"filter": "isGood"}), 401)
    assert_problem(await client.patch("/api/books", params={"filter": "isGood"}, json={}), 401)


async def test_bulk_post_items_go_through_the_routes_json_schema(make_client: MakeClient) -> None:
    entry = {
        "name": "books",
        "routePost": {
            "body": {"type": "object", "properties": {"title": {"type": "string", "minLength": 3}}}
        },
    }
    client = await make_client(schemas=[entry])
    items = [{"title": "long enough"}, {"title": "ab"}, {"title": "x", "nope": 1}]
    body = assert_problem(await client.post("/api/books", json=items), 422)
    # the unknown key answers first for its item; the schema names the other item's field
    assert [e["field"] for e in body["errors"]] == ["[1].title", "[2].nope"]
    assert await Book.find_all().count() == 0
    single = assert_problem(await client.post("/api/books", json={"title": "ab"}), 422)
    assert body["errors"][0]["message"] == single["errors"][0]["message"]
    made = await client.post("/api/books", json=[{"title": "abc"}, {"title": "defg"}])
    assert made.status_code == 201, made.text
