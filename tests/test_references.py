"""Reference routes over HTTP: forward `/<c>/{id}/<link>`, reverse `/<c>/{id}/<other>`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from beanie import Document, Link
from bson import ObjectId
from pydantic import Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount

from autoapi import AutoAPI
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS, Author, Book, Thing

# --- models of this module --------------------------------------------------------------


class Shelf(Document):
    name: str

    class Settings:
        name = "shelves"

    @classmethod
    def on_list_query(cls, query: Any, request: Request) -> Any:
        raise PermissionError("the parent's on_list_query ran")


class Item(Document):
    label: str
    visible: bool = True
    shelf: Link[Shelf] | None = None

    class Settings:
        name = "items"

    @classmethod
    async def on_list_query(cls, query: Any, request: Request) -> Any:
        if request.query_params.get("fresh"):
            return cls.find({"visible": True})  # a brand-new query, without the shelf
        if not request.query_params.get("all"):
            query.find({"visible": True})
        return query


class Owner(Document):
    """Its forward route `pets` takes the name the reverse route from Pet would get."""

    name: str
    pets: list[Link[Pet]] = Field(default_factory=list)

    class Settings:
        name = "owners"


class Pet(Document):
    name: str
    owner: Link[Owner] | None = None
    vet: Link[Owner] | None = None

    class Settings:
        name = "pets"


class Node(Document):
    """Links to its own model."""

    name: str
    parent: Link[Node] | None = None
    related: list[Link[Node]] = Field(default_factory=list)

    class Settings:
        name = "nodes"


class Label(Document):
    """Links to a model whose ids are chosen by the client (`id: str`)."""

    text: str
    thing: Link[Thing] | None = None
    things: list[Link[Thing]] = Field(default_factory=list)

    class Settings:
        name = "labels"


class Memo(Document):
    """A link hidden with `exclude=True`: no route, no populate, no filter."""

    text: str
    reviewer: Link[Author] | None = Field(None, exclude=True)

    class Settings:
        name = "memos"


class ClashA(Document):
    ys: Link[ClashB] | None = None
    ys_as_x: Link[ClashB] | None = None

    class Settings:
        name = "xs"


class ClashB(Document):
    x: Link[ClashA] | None = None

    class Settings:
        name = "ys"


# --- data -------------------------------------------------------------------------------


@dataclass
class Library:
    """Penguin ← Jay; Ann. Alpha (Jay, Ann), Beta (Jay), Gamma (coauthor Jay).

    Jay was inspired by Beta then Alpha; Ann by Alpha.
    """

    client: httpx.AsyncClient
    penguin: dict[str, Any]
    jay: dict[str, Any]
    ann: dict[str, Any]
    alpha: dict[str, Any]
    beta: dict[str, Any]
    gamma: dict[str, Any]

    async def get(self, url: str, **params: Any) -> Any:
        response = await self.client.get("/api" + url, params=params)
        assert response.status_code == 200, response.text
        return response.json()


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api" + path, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def patch(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.patch("/api" + path, json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def seed_library(client: httpx.AsyncClient) -> Library:
    penguin = await post(client, "/publishers", {"name": "Penguin", "country": "UK"})
    jay = await post(client, "/authors", {"firstName": "Jay", "lastName": "Kay",
                                          "publisher": penguin["_id"]})
    ann = await post(client, "/authors", {"firstName": "Ann", "lastName": "Lee"})
    alpha = await post(client, "/books", {"title": "Alpha", "pages": 300, "isGood": True,
                                          "author": jay["_id"], "coauthor": ann["_id"]})
    beta = await post(client, "/books", {"title": "Beta", "pages": 120, "author": jay["_id"]})
    gamma = await post(client, "/books", {"title": "Gamma", "pages": 50,
                                          "coauthor": jay["_id"]})
    jay = await patch(client, f"/authors/{jay['_id']}", {"inspired": [beta["_id"], alpha["_id"]]})
    ann = await patch(client, f"/authors/{ann['_id']}", {"inspired": [alpha["_id"]]})
    return Library(client, penguin, jay, ann, alpha, beta, gamma)


@pytest.fixture
async def lib(client: httpx.AsyncClient) -> Library:
    return await seed_library(client)


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def ids(body: dict[str, Any]) -> list[str]:
    return [item["_id"] for item in body["items"]]


def mount(api: AutoAPI) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/api", app=api)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# --- naming -----------------------------------------------------------------------------


def routes_of(api: AutoAPI, collection: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    res = api.resources[collection]
    forward = [ref.name for ref in res.forward]
    reverse = [(ref.name, ref.child.__name__, ref.link.key) for ref in res.reverse]
    return forward, reverse


def test_every_reference_route_is_named_per_the_spec() -> None:
    api = AutoAPI(models=ALL_MODELS)
    assert routes_of(api, "books") == (["author", "coauthor"], [("authors", "Author", "inspired")])
    assert routes_of(api, "authors") == (
        ["publisher", "inspired"],
        [("books", "Book", "author"), ("books_as_coauthor", "Book", "coauthor")],
    )
    assert routes_of(api, "publishers") == ([], [("authors", "Author", "publisher")])


def test_a_reverse_name_taken_by_a_forward_route_takes_the_as_form() -> None:
    api = AutoAPI(models=[Owner, Pet])
    assert routes_of(api, "owners") == (
        ["pets"], [("pets_as_owner", "Pet", "owner"), ("pets_as_vet", "Pet", "vet")]
    )
    assert routes_of(api, "pets") == (["owner", "vet"], [("owners", "Owner", "pets")])


def test_two_routes_on_one_path_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="ys_as_x"):
        AutoAPI(models=[ClashA, ClashB])


def test_only_registered_models_make_reverse_routes() -> None:
    api = AutoAPI(models=[Book])
    assert routes_of(api, "books") == (["author", "coauthor"], [])
    assert set(api.resources) == {"books"}


def test_a_self_referencing_model_routes_to_itself() -> None:
    api = AutoAPI(models=[Node])
    assert routes_of(api, "nodes") == (
        ["parent", "related"],
        [("nodes", "Node", "parent"), ("nodes_as_related", "Node", "related")],
    )


def test_a_hidden_link_makes_no_route() -> None:
    api = AutoAPI(models=[Author, Memo])
    assert routes_of(api, "memos") == ([], [])
    assert "memos" not in [name for name, _, _ in routes_of(api, "authors")[1]]


# --- forward routes ---------------------------------------------------------------------


async def test_forward_single_links(lib: Library) -> None:
    author = await lib.get(f"/books/{lib.alpha['_id']}/author")
    assert author == await lib.get(f"/authors/{lib.jay['_id']}")
    assert await lib.get(f"/books/{lib.alpha['_id']}/coauthor") == lib.ann
    assert await lib.get(f"/authors/{lib.jay['_id']}/publisher") == lib.penguin


async def test_forward_unset_link_is_null(lib: Library) -> None:
    response = await lib.client.get(f"/api/books/{lib.gamma['_id']}/author")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() is None
    assert await lib.get(f"/books/{lib.beta['_id']}/coauthor") is None
    assert await lib.get(f"/authors/{lib.ann['_id']}/publisher") is None


async def test_forward_list_of_links_keeps_the_stored_order(lib: Library) -> None:
    body = await lib.get(f"/authors/{lib.jay['_id']}/inspired")
    assert body["total"] == 2
    assert titles(body) == ["Beta", "Alpha"]
    assert body["items"][1] == lib.alpha
    bare = await post(lib.client, "/authors", {"firstName": "No", "lastName": "Body"})
    assert await lib.get(f"/authors/{bare['_id']}/inspired") == {"total": 0, "items": []}


async def test_forward_to_a_deleted_document(lib: Library) -> None:
    assert (await lib.client.delete(f"/api/authors/{lib.ann['_id']}")).status_code == 200
    assert await lib.get(f"/books/{lib.alpha['_id']}/coauthor") is None
    assert (await lib.client.delete(f"/api/books/{lib.beta['_id']}")).status_code == 200
    body = await lib.get(f"/authors/{lib.jay['_id']}/inspired")
    assert body == {"total": 1, "items": [lib.alpha]}  # a gone target is left out of the list


@pytest.mark.parametrize("route", ["books/{}/author", "books/{}/coauthor",
                                   "authors/{}/publisher", "authors/{}/inspired"])
async def test_forward_with_a_bad_or_unknown_parent_is_404(lib: Library, route: str) -> None:
    for ident in ("nope", str(ObjectId()), "0" * 25):
        assert_problem(await lib.client.get("/api/" + route.format(ident)), 404)


async def test_forward_routes_populate_from_the_target(lib: Library) -> None:
    author = await lib.get(f"/books/{lib.alpha['_id']}/author", populate="publisher")
    assert author["publisher"] == lib.penguin
    inspired = await lib.get(f"/authors/{lib.jay['_id']}/inspired", populate="author.publisher")
    assert [b["author"]["publisher"]["name"] for b in inspired["items"]] == ["Penguin"] * 2
    assert await lib.get(f"/books/{lib.gamma['_id']}/author", populate="publisher") is None
    bad = await lib.client.get(f"/api/books/{lib.alpha['_id']}/author?populate=title")
    assert_problem(bad, 400, "populate")


async def test_head_on_reference_routes(lib: Library) -> None:
    for url in (f"/api/books/{lib.alpha['_id']}/author", f"/api/authors/{lib.jay['_id']}/books"):
        response = await lib.client.head(url)
        assert response.status_code == 200 and response.content == b""


async def test_reference_routes_answer_only_get(lib: Library) -> None:
    response = await lib.client.post(f"/api/books/{lib.alpha['_id']}/author", json={})
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]
    assert_problem(await lib.client.delete(f"/api/authors/{lib.jay['_id']}/books"), 405)


# --- reverse routes ---------------------------------------------------------------------


async def test_reverse_through_single_links(lib: Library) -> None:
    books = await lib.get(f"/authors/{lib.jay['_id']}/books", sort="title")
    assert books["total"] == 2
    assert books["items"] == [lib.alpha, lib.beta]
    assert titles(await lib.get(f"/authors/{lib.jay['_id']}/books_as_coauthor")) == ["Gamma"]
    assert titles(await lib.get(f"/authors/{lib.ann['_id']}/books_as_coauthor")) == ["Alpha"]
    none = {"total": 0, "items": [], "next": None, "prev": None}
    assert await lib.get(f"/authors/{lib.ann['_id']}/books") == none
    authors = await lib.get(f"/publishers/{lib.penguin['_id']}/authors")
    assert authors == {"total": 1, "items": [lib.jay], "next": None, "prev": None}


async def test_reverse_through_a_list_of_links(lib: Library) -> None:
    body = await lib.get(f"/books/{lib.alpha['_id']}/authors", sort="firstName")
    assert [a["firstName"] for a in body["items"]] == ["Ann", "Jay"]
    body = await lib.get(f"/books/{lib.beta['_id']}/authors")
    assert [a["firstName"] for a in body["items"]] == ["Jay"]
    assert await lib.get(f"/books/{lib.gamma['_id']}/authors") == {
        "total": 0, "items": [], "next": None, "prev": None
    }


@pytest.mark.parametrize("route", ["authors/{}/books", "authors/{}/books_as_coauthor",
                                   "books/{}/authors", "publishers/{}/authors"])
async def test_reverse_with_a_bad_or_unknown_parent_is_404(lib: Library, route: str) -> None:
    for ident in ("nope", str(ObjectId())):
        assert_problem(await lib.client.get("/api/" + route.format(ident)), 404)


async def test_reverse_pages_and_sorts(lib: Library) -> None:
    await post(lib.client, "/books", {"title": "Delta", "pages": 10, "author": lib.jay["_id"]})
    url = f"/authors/{lib.jay['_id']}/books"
    assert titles(await lib.get(url, sort="-title")) == ["Delta", "Beta", "Alpha"]
    page = await lib.get(url, sort="pages", offset=1, limit=1)
    assert page["total"] == 3 and titles(page) == ["Beta"]
    assert titles(await lib.get(url, sort="-pages title", limit=2)) == ["Alpha", "Beta"]


async def test_reverse_filters_within_the_parent(lib: Library) -> None:
    url = f"/authors/{lib.jay['_id']}/books"
    good = await lib.get(url, filter="isGood")
    assert good["total"] == 1 and titles(good) == ["Alpha"]
    assert titles(await lib.get(url, filter="pages=120")) == ["Beta"]
    assert (await lib.get(url, filter="title=Gamma"))["total"] == 0  # Gamma is not Jay's
    where = await lib.get(url, where=json.dumps({"pages": {"$gt": 200}}))
    assert titles(where) == ["Alpha"]
    assert titles(await lib.get(url, match="title=(?i)^b")) == ["Beta"]
    coauthored = await lib.get(url, filter=f"coauthor={lib.ann['_id']}")
    assert titles(coauthored) == ["Alpha"]


async def test_reverse_projects_and_populates(lib: Library) -> None:
    url = f"/authors/{lib.jay['_id']}/books"
    projected = await lib.get(url, fields="title", sort="title")
    assert projected["items"] == [{"_id": lib.alpha["_id"], "title": "Alpha"},
                                  {"_id": lib.beta["_id"], "title": "Beta"}]
    populated = await lib.get(url, populate="coauthor,author.publisher", sort="title")
    alpha, beta = populated["items"]
    assert alpha["coauthor"] == lib.ann and beta["coauthor"] is None
    assert alpha["author"]["publisher"] == lib.penguin
    authors = await lib.get(f"/books/{lib.alpha['_id']}/authors", populate="inspired",
                            sort="firstName")
    assert [[b["title"] for b in a["inspired"]] for a in authors["items"]] == [
        ["Alpha"], ["Beta", "Alpha"]]


async def test_reverse_refuses_bad_list_options(lib: Library) -> None:
    url = f"/api/authors/{lib.jay['_id']}/books"
    for query, field in [("sort=nope", "sort"), ("limit=0", "limit"), ("offset=-1", "offset"),
                         ("filter=pages=many", "filter"), ("fields=title,-isbn", "fields"),
                         ("populate=title", "populate"), ("where=[]", "where"),
                         ("populate=author.firstName", "populate")]:
        assert_problem(await lib.client.get(f"{url}?{query}"), 400, field)


async def test_reverse_runs_the_childs_on_list_query(make_client: MakeClient) -> None:
    client = await make_client(models=[Shelf, Item])
    top, low = [await post(client, "/shelves", {"name": n}) for n in ("top", "low")]
    await post(client, "/items", {"label": "cup", "shelf": top["_id"]})
    await post(client, "/items", {"label": "box", "shelf": top["_id"], "visible": False})
    await post(client, "/items", {"label": "pan", "shelf": low["_id"]})
    url = f"/api/shelves/{top['_id']}/items"
    labels = [i["label"] for i in (await client.get(url)).json()["items"]]
    assert labels == ["cup"]
    every = (await client.get(url, params={"all": 1, "sort": "label"})).json()
    assert [i["label"] for i in every["items"]] == ["box", "cup"] and every["total"] == 2
    fresh = (await client.get(url, params={"fresh": 1})).json()
    assert [i["label"] for i in fresh["items"]] == ["cup"]  # still only this shelf's items


async def test_reverse_routes_with_colliding_names(make_client: MakeClient) -> None:
    client = await make_client(models=[Owner, Pet])
    ada, bob = [await post(client, "/owners", {"name": n}) for n in ("Ada", "Bob")]
    rex = await post(client, "/pets", {"name": "Rex", "owner": ada["_id"], "vet": bob["_id"]})
    tom = await post(client, "/pets", {"name": "Tom", "owner": bob["_id"], "vet": bob["_id"]})
    await patch(client, f"/owners/{ada['_id']}", {"pets": [tom["_id"]]})

    async def names(url: str) -> list[str]:
        response = await client.get("/api" + url, params={"sort": "name"})
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["items"]]

    assert await names(f"/owners/{ada['_id']}/pets") == ["Tom"]  # forward wins the plain name
    assert await names(f"/owners/{ada['_id']}/pets_as_owner") == ["Rex"]
    assert await names(f"/owners/{bob['_id']}/pets_as_vet") == ["Rex", "Tom"]
    assert await names(f"/pets/{tom['_id']}/owners") == ["Ada"]
    assert (await client.get(f"/api/pets/{rex['_id']}/vet")).json()["name"] == "Bob"


async def test_a_self_referencing_model(make_client: MakeClient) -> None:
    client = await make_client(models=[Node])
    root = await post(client, "/nodes", {"name": "root"})
    mid = await post(client, "/nodes", {"name": "mid", "parent": root["_id"]})
    leaf = await post(client, "/nodes", {"name": "leaf", "parent": mid["_id"],
                                         "related": [root["_id"], mid["_id"]]})
    tip = await post(client, "/nodes", {"name": "tip", "parent": leaf["_id"]})
    assert (await client.get(f"/api/nodes/{leaf['_id']}/parent")).json() == mid
    children = (await client.get(f"/api/nodes/{root['_id']}/nodes")).json()
    assert ids(children) == [mid["_id"]]
    related = (await client.get(f"/api/nodes/{mid['_id']}/nodes_as_related")).json()
    assert ids(related) == [leaf["_id"]]
    deep = await client.get(f"/api/nodes/{tip['_id']}?populate=parent.parent.parent")
    assert deep.json()["parent"]["parent"]["parent"]["name"] == "root"
    assert deep.json()["parent"]["parent"]["parent"]["parent"] is None
    too_deep = await client.get(f"/api/nodes/{tip['_id']}?populate=parent.parent.parent.parent")
    assert_problem(too_deep, 400, "populate")
    both = (await client.get(f"/api/nodes/{leaf['_id']}?populate=related,parent")).json()
    assert [n["name"] for n in both["related"]] == ["root", "mid"]
    assert both["parent"]["name"] == "mid"


async def test_links_to_a_model_with_string_ids(make_client: MakeClient) -> None:
    client = await make_client(models=[Thing, Label])
    await post(client, "/things", {"_id": "alpha", "label": "A"})
    await post(client, "/things", {"_id": "beta", "label": "B"})
    await post(client, "/things", {"_id": "gone", "label": "G"})
    tag = await post(client, "/labels", {"text": "t", "thing": "alpha",
                                         "things": ["beta", "alpha", "gone"]})
    assert (await client.delete("/api/things/gone")).status_code == 200  # now it dangles
    assert tag["thing"] == "alpha" and tag["things"] == ["beta", "alpha", "gone"]
    assert (await client.get(f"/api/labels/{tag['_id']}/thing")).json()["_id"] == "alpha"
    listed = (await client.get(f"/api/labels/{tag['_id']}/things")).json()
    assert ids(listed) == ["beta", "alpha"]
    populated = (await client.get("/api/labels?populate=thing,things")).json()["items"][0]
    assert populated["thing"] == {"_id": "alpha", "label": "A"}
    assert [t and t["_id"] for t in populated["things"]] == ["beta", "alpha", None]
    assert ids((await client.get("/api/things/alpha/labels")).json()) == [tag["_id"]]
    assert ids((await client.get("/api/things/beta/labels_as_things")).json()) == [tag["_id"]]
    assert (await client.get("/api/things/beta/labels")).json()["total"] == 0
    assert_problem(await client.get("/api/things/nope/labels"), 404)
    assert ids((await client.get("/api/labels?filter=thing=alpha")).json()) == [tag["_id"]]
    assert ids((await client.get("/api/labels?filter=things=gone")).json()) == [tag["_id"]]


async def test_links_to_models_this_api_does_not_serve(make_client: MakeClient) -> None:
    lib = await seed_library(await make_client(models=ALL_MODELS))
    async with mount(AutoAPI(models=[Book])) as books_only:
        author = await books_only.get(f"/api/books/{lib.alpha['_id']}/author")
        assert author.json() == lib.jay
        book = await books_only.get(f"/api/books/{lib.alpha['_id']}?populate=author.publisher")
        assert book.json()["author"]["publisher"] == lib.penguin
        assert_problem(await books_only.get(f"/api/authors/{lib.jay['_id']}"), 404)
        assert_problem(await books_only.get(f"/api/books/{lib.alpha['_id']}/authors"), 404)


async def test_a_hidden_link_is_not_rendered_populated_or_filtered(make_client: MakeClient) -> None:
    client = await make_client(models=[Author, Memo])
    jay = await post(client, "/authors", {"firstName": "Jay", "lastName": "Kay"})
    author = await Author.get(ObjectId(jay["_id"]))
    await Memo(text="note", reviewer=author).insert()
    memo = (await client.get("/api/memos")).json()["items"][0]
    assert "reviewer" not in memo
    assert_problem(await client.get("/api/memos?populate=reviewer"), 400, "populate")
    assert_problem(await client.get(f"/api/memos?filter=reviewer={jay['_id']}"), 400, "filter")
    where = json.dumps({"reviewer": jay["_id"]})
    assert_problem(await client.get("/api/memos", params={"where": where}), 400, "where")
    assert_problem(await client.get(f"/api/memos/{memo['_id']}/reviewer"), 404)
    assert_problem(await client.get(f"/api/authors/{jay['_id']}/memos"), 404)


# --- link values in filter and where ----------------------------------------------------


async def test_filter_and_where_take_link_values_as_target_ids(lib: Library) -> None:
    jay, ann = lib.jay["_id"], lib.ann["_id"]
    by_jay = await lib.get("/books", filter=f"author={jay}", sort="title")
    assert titles(by_jay) == ["Alpha", "Beta"]
    assert titles(await lib.get("/books", where=json.dumps({"coauthor": ann}))) == ["Alpha"]
    either = {"coauthor": {"$in": [ann, jay]}}
    assert titles(await lib.get("/books", where=json.dumps(either), sort="title")) == [
        "Alpha", "Gamma"]
    neither = {"$or": [{"author": ann}, {"coauthor": str(ObjectId())}]}
    assert (await lib.get("/books", where=json.dumps(neither)))["total"] == 0
    unset = await lib.get("/books", where=json.dumps({"author": None}))
    assert titles(unset) == ["Gamma"]
    inspired_by = await lib.get("/authors", filter=f"inspired={lib.beta['_id']}")
    assert [a["firstName"] for a in inspired_by["items"]] == ["Jay"]
    pub = await lib.get("/authors", where=json.dumps({"publisher": lib.penguin["_id"]}))
    assert pub["total"] == 1


async def test_bad_link_values_are_400(lib: Library) -> None:
    assert_problem(await lib.client.get("/api/books?filter=author=nope"), 400, "filter")
    where = json.dumps({"author": "nope"})
    assert_problem(await lib.client.get("/api/books", params={"where": where}), 400, "where")


async def test_reference_routes_follow_the_get_and_list_switches(make_client: MakeClient) -> None:
    lib = await seed_library(await make_client(models=ALL_MODELS))
    async with mount(AutoAPI(models=ALL_MODELS, methods=["get"])) as get_only:
        author = await get_only.get(f"/api/books/{lib.alpha['_id']}/author")
        assert author.status_code == 200 and author.json() == lib.jay
        assert_problem(await get_only.get(f"/api/authors/{lib.jay['_id']}/books"), 405)
    async with mount(AutoAPI(models=ALL_MODELS, methods=["list"])) as list_only:
        books = await list_only.get(f"/api/authors/{lib.jay['_id']}/books")
        assert books.status_code == 200 and books.json()["total"] == 2
        assert_problem(await list_only.get(f"/api/books/{lib.alpha['_id']}/author"), 405)
