"""`populate` over HTTP: every spelling, nesting, every route, rendering, query cost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from beanie import Document, Link
from bson import DBRef, ObjectId
from starlette.requests import Request

from autoapi import default_api_values
from autoapi.roundtrips import RoundTrips
from autoapi.roundtrips import counting as round_trips
from tests.backends import insert_batched, raw_collection
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS, Author, Book, Publisher
from tests.test_references import Library, post, seed_library

# --- models of this module --------------------------------------------------------------


class Studio(Document):
    """Renders through its own `api_values`, also when populated."""

    name: str

    class Settings:
        name = "studios"

    async def api_values(self, request: Request) -> dict[str, Any]:
        return {"_id": str(self.id), "label": self.name.upper()}


class Film(Document):
    title: str
    studio: Link[Studio] | None = None

    class Settings:
        name = "films"

    async def api_values(self, request: Request) -> dict[str, Any]:
        values = await default_api_values(self, request)
        return {**values, "custom": True}


@pytest.fixture
async def lib(client: httpx.AsyncClient) -> Library:
    return await seed_library(client)


@contextmanager
def counting() -> Iterator[RoundTrips]:
    """Count every database round trip (`find`, `aggregate` for a count, ...) in the block."""
    with round_trips() as trips:
        yield trips


def by_title(body: dict[str, Any]) -> dict[str, Any]:
    return {item["title"]: item for item in body["items"]}


# --- spellings --------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "populate=author,coauthor",
    "populate=author coauthor",
    "populate[]=author&populate[]=coauthor",
    "populate=author&populate=coauthor",
    "populate=author&populate[]=coauthor",
    "populate=author,coauthor,author",
])
async def test_every_spelling_populates_both_links(lib: Library, query: str) -> None:
    books = by_title((await lib.client.get(f"/api/books?{query}")).json())
    assert books["Alpha"]["author"] == lib.jay and books["Alpha"]["coauthor"] == lib.ann
    assert books["Beta"]["coauthor"] is None and books["Gamma"]["author"] is None
    one = (await lib.client.get(f"/api/books/{lib.alpha['_id']}?{query}")).json()
    assert one["author"] == lib.jay and one["coauthor"] == lib.ann


async def test_a_single_link_and_no_populate(lib: Library) -> None:
    alpha = (await lib.client.get(f"/api/books/{lib.alpha['_id']}?populate=author")).json()
    assert alpha["author"] == lib.jay and alpha["coauthor"] == lib.ann["_id"]
    plain = (await lib.client.get(f"/api/books/{lib.alpha['_id']}")).json()
    assert plain == lib.alpha and plain["author"] == lib.jay["_id"]
    assert (await lib.client.get(f"/api/books/{lib.alpha['_id']}?populate=")).json() == plain


async def test_a_list_of_links_keeps_its_order(lib: Library) -> None:
    jay = (await lib.client.get(f"/api/authors/{lib.jay['_id']}?populate=inspired")).json()
    assert jay["inspired"] == [lib.beta, lib.alpha]


# --- nesting ----------------------------------------------------------------------------


async def test_nested_populate(lib: Library) -> None:
    alpha = (await lib.client.get(
        f"/api/books/{lib.alpha['_id']}?populate=author.publisher")).json()
    assert alpha["author"]["publisher"] == lib.penguin
    assert alpha["author"]["inspired"] == [lib.beta["_id"], lib.alpha["_id"]]
    assert alpha["coauthor"] == lib.ann["_id"]
    body = (await lib.client.get("/api/books?populate=author.inspired.coauthor")).json()
    inspired = by_title(body)["Beta"]["author"]["inspired"]
    assert [b["title"] for b in inspired] == ["Beta", "Alpha"]
    assert inspired[1]["coauthor"] == lib.ann and inspired[0]["coauthor"] is None
    both = (await lib.client.get(
        f"/api/books/{lib.alpha['_id']}?populate=coauthor.publisher,author.publisher")).json()
    assert both["coauthor"]["publisher"] is None and both["author"]["publisher"] == lib.penguin


@pytest.mark.parametrize("path", [
    "title", "nope", "author.firstName", "author.nope", "author.secret", "secret",
    "author.inspired.author.publisher", "author..publisher", ".author", "author.",
])
async def test_refused_paths_are_400_naming_populate(lib: Library, path: str) -> None:
    for url in ("/api/books", f"/api/books/{lib.alpha['_id']}",
                f"/api/authors/{lib.jay['_id']}/books"):
        assert_problem(await lib.client.get(url, params={"populate": path}), 400, "populate")


# --- every route ------------------------------------------------------------------------


async def test_populate_after_post(lib: Library) -> None:
    body = {"title": "Delta", "author": lib.jay["_id"], "coauthor": lib.ann["_id"]}
    created = await lib.client.post("/api/books?populate=author.publisher,coauthor", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["author"]["publisher"] == lib.penguin
    assert created.json()["coauthor"] == lib.ann
    form = await lib.client.post("/api/books?populate[]=author", data={"title": "Form",
                                                                        "author": lib.ann["_id"]})
    assert form.status_code == 201, form.text
    assert form.json()["author"] == lib.ann


async def test_populate_after_put_and_patch(lib: Library) -> None:
    url = f"/api/books/{lib.beta['_id']}"
    put = await lib.client.put(f"{url}?populate=coauthor", json={"coauthor": lib.ann["_id"]})
    assert put.status_code == 200, put.text
    assert put.json()["coauthor"] == lib.ann and put.json()["author"] == lib.jay["_id"]
    patched = await lib.client.patch(f"{url}?populate=author,coauthor", json={"author": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["author"] is None and patched.json()["coauthor"] == lib.ann
    inspired = await lib.client.patch(f"/api/authors/{lib.ann['_id']}?populate=inspired",
                                      json={"inspired": [lib.gamma["_id"], lib.beta["_id"]]})
    assert [b["title"] for b in inspired.json()["inspired"]] == ["Gamma", "Beta"]


async def test_a_bad_populate_on_a_write_changes_nothing(lib: Library) -> None:
    response = await lib.client.post("/api/books?populate=title", json={"title": "Nope"})
    assert_problem(response, 400, "populate")
    put = await lib.client.put(f"/api/books/{lib.beta['_id']}?populate=nope", json={"pages": 1})
    assert_problem(put, 400, "populate")
    assert (await lib.client.get("/api/books")).json()["total"] == 3
    assert (await lib.client.get(f"/api/books/{lib.beta['_id']}")).json()["pages"] == 120


# --- dangling references ----------------------------------------------------------------


async def test_a_deleted_target_renders_as_null(lib: Library) -> None:
    assert (await lib.client.delete(f"/api/authors/{lib.jay['_id']}")).status_code == 200
    books = by_title((await lib.client.get("/api/books?populate=author,coauthor")).json())
    assert books["Alpha"]["author"] is None and books["Alpha"]["coauthor"] == lib.ann
    assert books["Gamma"]["coauthor"] is None
    beta = (await lib.client.get(f"/api/books/{lib.beta['_id']}?populate=author")).json()
    assert beta["author"] is None
    unpopulated = (await lib.client.get(f"/api/books/{lib.beta['_id']}")).json()
    assert unpopulated["author"] == lib.jay["_id"]  # the stored id is still shown


async def test_a_missing_target_in_a_list_renders_as_null_in_place(lib: Library) -> None:
    assert (await lib.client.delete(f"/api/books/{lib.beta['_id']}")).status_code == 200
    jay = (await lib.client.get(f"/api/authors/{lib.jay['_id']}?populate=inspired")).json()
    assert jay["inspired"] == [None, lib.alpha]


async def test_a_dangling_nested_link(lib: Library) -> None:
    assert (await lib.client.delete(f"/api/publishers/{lib.penguin['_id']}")).status_code == 200
    alpha = (await lib.client.get(
        f"/api/books/{lib.alpha['_id']}?populate=author.publisher")).json()
    assert alpha["author"]["publisher"] is None


# --- rendering --------------------------------------------------------------------------


async def test_a_target_linked_from_several_documents_renders_whole_in_each(
    lib: Library,
) -> None:
    # Alpha and Beta both name Jay; a page renders each target once and shares it
    books = by_title((await lib.client.get("/api/books?populate=author.publisher")).json())
    jay = {**lib.jay, "publisher": lib.penguin}
    assert books["Alpha"]["author"] == books["Beta"]["author"] == jay
    assert books["Gamma"]["author"] is None
    trimmed = by_title((await lib.client.get(
        "/api/books?populate=author&fields=title,author")).json())
    assert trimmed["Alpha"]["author"] == trimmed["Beta"]["author"] == lib.jay


async def test_populated_documents_render_through_their_own_api_values(
    make_client: MakeClient,
) -> None:
    client = await make_client(models=[Studio, Film])
    ghibli = await post(client, "/studios", {"name": "Ghibli"})
    assert ghibli == {"_id": ghibli["_id"], "label": "GHIBLI"}
    film = await post(client, "/films", {"title": "Totoro", "studio": ghibli["_id"]})
    assert film["custom"] is True and film["studio"] == ghibli["_id"]
    listed = (await client.get("/api/films?populate=studio")).json()["items"][0]
    assert listed == {**film, "studio": ghibli}
    forward = (await client.get(f"/api/films/{film['_id']}/studio")).json()
    assert forward == ghibli
    reverse = (await client.get(f"/api/studios/{ghibli['_id']}/films?populate=studio")).json()
    assert reverse["items"] == [{**film, "studio": ghibli}]


async def test_populated_documents_carry_the_model_name(make_client: MakeClient) -> None:
    lib = await seed_library(await make_client(models=ALL_MODELS, expose_model_name=True))
    book = (await lib.client.get(
        f"/api/books/{lib.alpha['_id']}?populate=author.publisher,coauthor")).json()
    assert book["__modelName"] == "Book"
    assert book["author"]["__modelName"] == book["coauthor"]["__modelName"] == "Author"
    assert book["author"]["publisher"]["__modelName"] == "Publisher"
    forward = (await lib.client.get(f"/api/authors/{lib.jay['_id']}/inspired")).json()
    assert {b["__modelName"] for b in forward["items"]} == {"Book"}


async def test_a_custom_model_name_key_on_custom_api_values(make_client: MakeClient) -> None:
    client = await make_client(models=[Studio, Film], expose_model_name="kind")
    ghibli = await post(client, "/studios", {"name": "Ghibli"})
    await post(client, "/films", {"title": "Totoro", "studio": ghibli["_id"]})
    film = (await client.get("/api/films?populate=studio")).json()["items"][0]
    assert film["kind"] == "Film" and film["studio"]["kind"] == "Studio"
    assert film["studio"]["label"] == "GHIBLI"


# --- populate and fields ----------------------------------------------------------------


async def test_fields_that_leave_out_the_link_win_over_populate(lib: Library) -> None:
    with counting() as counter:
        body = (await lib.client.get("/api/books?fields=title&populate=author")).json()
    assert all(set(item) == {"_id", "title"} for item in body["items"])
    assert [name for name, _ in counter.calls] == ["books", "books"]  # no query for authors
    excluded = (await lib.client.get("/api/books?fields=-author&populate=author,coauthor")).json()
    alpha = by_title(excluded)["Alpha"]
    assert "author" not in alpha and alpha["coauthor"] == lib.ann
    kept = (await lib.client.get("/api/books?fields=title,author&populate=author")).json()
    assert by_title(kept)["Alpha"] == {"_id": lib.alpha["_id"], "title": "Alpha",
                                       "author": lib.jay}
    only_id = (await lib.client.get("/api/books?fields=_id&populate=author")).json()
    assert all(set(item) == {"_id"} for item in only_id["items"])
    no_id = (await lib.client.get("/api/books?fields=-_id&populate=author")).json()
    assert by_title(no_id)["Alpha"]["author"] == lib.jay and "_id" not in no_id["items"][0]


async def test_fields_and_populate_with_custom_api_values(make_client: MakeClient) -> None:
    client = await make_client(models=[Studio, Film])
    ghibli = await post(client, "/studios", {"name": "Ghibli"})
    await post(client, "/films", {"title": "Totoro", "studio": ghibli["_id"]})
    with counting() as counter:
        body = (await client.get("/api/films?fields=title&populate=studio")).json()
    assert set(body["items"][0]) == {"_id", "title"}
    assert "studios" not in [name for name, _ in counter.calls]
    body = (await client.get("/api/films?fields=studio&populate=studio")).json()
    assert body["items"][0]["studio"] == ghibli


# --- query cost -------------------------------------------------------------------------


async def seed_books(count: int) -> None:
    """`count` books, each with its own author (who has their own publisher and was inspired
    by that book) and the next one's author as coauthor."""
    publishers = [{"_id": ObjectId(), "name": f"P{i}"} for i in range(count)]
    book_ids = [ObjectId() for _ in range(count)]
    authors = [{"_id": ObjectId(), "firstName": f"A{i}", "lastName": "L",
                "publisher": DBRef("publishers", publishers[i]["_id"]),
                "inspired": [DBRef("books", book_ids[i])]} for i in range(count)]
    await insert_batched(raw_collection(Publisher), publishers)
    await insert_batched(raw_collection(Author), authors)
    await insert_batched(raw_collection(Book), [
        {"_id": book_ids[i], "title": f"B{i:04}", "author": DBRef("authors", authors[i]["_id"]),
         "coauthor": DBRef("authors", authors[(i + 1) % count]["_id"])}
        for i in range(count)
    ])


async def stored_id(model: type[Document], filter_: dict[str, Any]) -> str:
    raw = await raw_collection(model).find_one(filter_)
    assert raw is not None
    return str(raw["_id"])


async def calls_for(client: httpx.AsyncClient, url: str) -> RoundTrips:
    counter, _ = await calls_and_body(client, url)
    return counter


async def calls_and_body(client: httpx.AsyncClient, url: str) -> tuple[RoundTrips, Any]:
    with counting() as counter:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return counter, response.json()


async def test_populate_costs_the_same_for_every_page_size(make_client: MakeClient) -> None:
    client = await make_client(models=ALL_MODELS)
    await seed_books(1000)
    counts = {}
    for size in (10, 100, 1000):
        url = f"/api/books?limit={size}&populate=author,coauthor"
        counter, body = await calls_and_body(client, url)
        counts[size] = counter.calls
        populate_filter = counter.filters[-1]
        assert list(populate_filter) == ["_id"] and list(populate_filter["_id"]) == ["$in"]
        linked = {b[key]["_id"] for b in body["items"] for key in ("author", "coauthor")}
        assert {str(i) for i in populate_filter["_id"]["$in"]} == linked
        assert len(populate_filter["_id"]["$in"]) == len(linked) >= size  # every id once
    expected = [("books", "find"), ("books", "aggregate"), ("authors", "find")]
    assert counts == {10: expected, 100: expected, 1000: expected}


async def test_nested_populate_costs_one_query_per_depth_and_model(
    make_client: MakeClient,
) -> None:
    client = await make_client(models=ALL_MODELS)
    await seed_books(200)
    nested = "populate=author.publisher,author.inspired,coauthor.publisher"
    for size in (5, 200):
        listed = await calls_for(client, f"/api/books?limit={size}&{nested}")
        assert listed.calls == [
            ("books", "find"), ("books", "aggregate"),
            ("authors", "find"),  # author and coauthor together
            ("publishers", "find"),  # author.publisher and coauthor.publisher together
            ("books", "find"),  # author.inspired
        ]


async def test_one_query_per_link_path_on_single_documents_and_reverse_routes(
    make_client: MakeClient,
) -> None:
    client = await make_client(models=ALL_MODELS)
    await seed_books(20)
    author = await stored_id(Author, {"firstName": "A1"})
    book = await stored_id(Book, {"title": "B0001"})
    one = await calls_for(client, f"/api/books/{book}?populate=author,coauthor")
    assert one.calls == [("books", "find"), ("authors", "find")]
    forward = await calls_for(client, f"/api/authors/{author}/inspired?populate=coauthor")
    assert forward.calls == [("authors", "find"), ("books", "find"), ("authors", "find")]
    reverse = await calls_for(client, f"/api/authors/{author}/books?populate=coauthor")
    assert reverse.calls == [("authors", "find"), ("books", "find"),
                             ("books", "aggregate"), ("authors", "find")]
