"""List routes over HTTP: keyset cursors both ways, the Link header, and the count modes."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from autoapi.roundtrips import counting
from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book


async def seed_books(n: int, **extra: Any) -> list[Book]:
    books = [
        Book(title=f"t{i:03d}", pages=(i * 7) % 5, isGood=i % 3 == 0, price=None or i % 4, **extra)
        for i in range(n)
    ]
    for book in books:
        await book.insert()
    return books


async def walk(client: httpx.AsyncClient, url: str, **params: Any) -> tuple[list[str], str]:
    """Follow `next` to the end; the ids seen, and the last page's `prev` token."""
    seen: list[str] = []
    body = (await client.get(url, params=params)).json()
    while True:
        seen += [item["_id"] for item in body["items"]]
        if body["next"] is None:
            return seen, body["prev"]
        body = (await client.get(url, params={**params, "cursor": body["next"]})).json()


async def walk_back(
    client: httpx.AsyncClient, url: str, token: str | None, **params: Any
) -> list[str]:
    seen: list[str] = []
    while token is not None:
        body = (await client.get(url, params={**params, "cursor": token})).json()
        seen = [item["_id"] for item in body["items"]] + seen
        token = body["prev"]
    return seen


@pytest.mark.parametrize("sort", ["", "pages", "-pages", "pages,-title", "-isGood,price", "-_id"])
async def test_cursor_walk_visits_every_document_once_each_way(
    make_client: MakeClient, sort: str
) -> None:
    client = await make_client()
    await seed_books(23)
    params = {"limit": 4, "sort": sort, "where": '{"pages": {"$ne": 3}}'}
    expected = (await client.get("/api/books", params={**params, "limit": 100})).json()
    order = [item["_id"] for item in expected["items"]]
    forward, prev = await walk(client, "/api/books", **params)
    assert forward == order
    last_page = len(order) % 4 or 4
    assert walk_back_order(order, last_page) == await walk_back(
        client, "/api/books", prev, **params
    )


def walk_back_order(order: list[str], last_page: int) -> list[str]:
    return order[: len(order) - last_page]


async def test_cursor_walk_survives_inserts_and_deletes(make_client: MakeClient) -> None:
    client = await make_client()
    books = await seed_books(30)
    rng = random.Random(7)
    params = {"limit": 5, "sort": "pages"}
    seen: list[str] = []
    body = (await client.get("/api/books", params=params)).json()
    deleted: set[str] = set()
    while True:
        seen += [item["_id"] for item in body["items"]]
        if body["next"] is None:
            break
        victim = rng.choice(books)  # between pages: one document goes, one comes
        await Book.find_one(Book.id == victim.id).delete()
        deleted.add(str(victim.id))
        await Book(title="new", pages=rng.randrange(5)).insert()
        body = (await client.get("/api/books", params={**params, "cursor": body["next"]})).json()
    assert len(seen) == len(set(seen)), "a document came twice"
    stayed = {str(b.id) for b in books} - deleted
    assert stayed <= set(seen), "a document that stayed was skipped"


async def test_offset_pages_carry_tokens_and_a_link_header(make_client: MakeClient) -> None:
    client = await make_client()
    await seed_books(10)
    first = await client.get("/api/books", params={"limit": 3, "sort": "title", "fields": "pages"})
    body = first.json()
    assert body["prev"] is None and body["next"]
    assert set(body["items"][0]) == {
        "_id",
        "pages",
    }  # the sort key fetched for the token is not shown
    assert 'rel="next"' in first.headers["link"] and "cursor=" in first.headers["link"]
    middle = (
        await client.get("/api/books", params={"limit": 3, "offset": 3, "sort": "title"})
    ).json()
    assert middle["prev"] and middle["next"]
    back = (
        await client.get(
            "/api/books", params={"limit": 3, "sort": "title", "cursor": middle["prev"]}
        )
    ).json()
    assert [i["title"] for i in back["items"]] == ["t000", "t001", "t002"]
    last = await client.get("/api/books", params={"limit": 3, "offset": 9})
    assert last.json()["next"] is None and 'rel="prev"' in last.headers["link"]


async def test_a_cursor_page_is_one_range_query_without_skip(make_client: MakeClient) -> None:
    client = await make_client()
    await seed_books(12)
    token = (await client.get("/api/books", params={"limit": 5, "sort": "-pages"})).json()["next"]
    with counting() as trips:
        page = await client.get(
            "/api/books", params={"limit": 5, "sort": "-pages", "cursor": token, "count": "none"}
        )
    assert page.status_code == 200
    assert trips.calls == [("books", "find")]
    assert "$or" in str(trips.filters[0]) or "$lt" in str(trips.filters[0])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sort": "title"}, "sort"),
        ({"where": '{"pages": 1}'}, "filter"),
        ({"filter": "isGood"}, "filter"),
        ({"offset": "0"}, "offset"),
        ({"search": "x"}, "search"),
    ],
)
async def test_a_token_for_another_query_is_400(
    make_client: MakeClient, change: dict[str, str], reason: str
) -> None:
    client = await make_client()
    await seed_books(6)
    token = (await client.get("/api/books", params={"limit": 2, "sort": "pages"})).json()["next"]
    params = {"limit": 2, "sort": "pages", "cursor": token, **change}
    body = assert_problem(await client.get("/api/books", params=params), 400, "cursor")
    assert reason in body["detail"]


async def test_a_token_for_another_route_or_malformed_is_400(make_client: MakeClient) -> None:
    client = await make_client()
    author = Author(firstName="A", lastName="B")
    await author.insert()
    other = Author(firstName="C", lastName="D")
    await other.insert()
    await seed_books(4, author=author)
    token = (await client.get(f"/api/authors/{author.id}/books", params={"limit": 2})).json()[
        "next"
    ]
    assert token
    ok = await client.get(f"/api/authors/{author.id}/books", params={"limit": 2, "cursor": token})
    assert [i["title"] for i in ok.json()["items"]] == ["t002", "t003"]
    for url in ("/api/books", f"/api/authors/{other.id}/books"):
        assert_problem(await client.get(url, params={"limit": 2, "cursor": token}), 400, "cursor")
    for bad in ("x", "!!", token[:-3]):
        assert_problem(await client.get("/api/books", params={"cursor": bad}), 400, "cursor")
    assert_problem(
        await client.get("/api/books", params={"sort": "tags", "cursor": token}), 400, "cursor"
    )


async def test_count_none_runs_no_count_command(make_client: MakeClient) -> None:
    client = await make_client()
    await seed_books(3)
    with counting() as trips:
        body = (await client.get("/api/books", params={"count": "none"})).json()
    assert body["total"] is None and len(body["items"]) == 3
    assert [name for _, name in trips.calls] == ["find"]


async def test_count_estimated_only_without_a_filter(make_client: MakeClient) -> None:
    client = await make_client()
    await seed_books(5)
    with counting() as trips:
        body = (await client.get("/api/books", params={"count": "estimated"})).json()
    assert body["total"] == 5 and body["total_estimated"] is True
    assert ("books", "count") in trips.calls
    filtered = (
        await client.get("/api/books", params={"count": "estimated", "filter": "isGood"})
    ).json()
    assert filtered["total"] == 2 and "total_estimated" not in filtered


async def test_count_option_default_and_max_count(make_client: MakeClient) -> None:
    client = await make_client(count="none", max_count=3)
    await seed_books(5)
    assert (await client.get("/api/books")).json()["total"] is None
    exact = (await client.get("/api/books", params={"count": "exact"})).json()
    assert exact["total"] == 3 and exact["total_truncated"] is True
    few = (
        await client.get("/api/books", params={"count": "exact", "where": '{"pages": 0}'})
    ).json()
    assert few["total"] == 1 and "total_truncated" not in few
    assert_problem(await client.get("/api/books", params={"count": "all"}), 400, "count")


def test_count_option_is_checked() -> None:
    from autoapi import AutoAPI

    with pytest.raises(ValueError, match="count"):
        AutoAPI(models=[Book], count="all")  # type: ignore[arg-type]


@pytest.mark.parametrize("fields", ["title", "-pages"])
async def test_a_sort_key_read_for_the_tokens_is_left_out_and_the_stored_documents_keep_it(
    make_client: MakeClient, fields: str
) -> None:
    # the page's documents are the database's own dicts, stripped of the sort key in place:
    # a store that handed out its stored documents would lose the key for every later read
    client = await make_client()
    await seed_books(5)
    params = {"limit": 2, "sort": "pages", "fields": fields}
    page = (await client.get("/api/books", params=params)).json()
    assert page["next"] is not None
    assert all("pages" not in item for item in page["items"])
    after = (await client.get("/api/books", params={"limit": 5, "sort": "pages"})).json()
    assert sorted(item["pages"] for item in after["items"]) == sorted((i * 7) % 5 for i in range(5))
