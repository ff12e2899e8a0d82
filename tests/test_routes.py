"""Every generated route (without references), over HTTP."""

from __future__ import annotations

import re
from typing import Any

import httpx
from bson import ObjectId

from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book, Thing, Versioned

JAY = {"firstName": "Jay", "lastName": "Kay", "biography": {"description": "Lived.", "born": 1961}}


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_post_answers_201_with_location_and_document(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/authors", json=JAY)
    assert response.status_code == 201
    doc = response.json()
    assert re.fullmatch(r"[0-9a-f]{24}", doc["_id"])
    assert response.headers["location"] == f"http://test/api/authors/{doc['_id']}"
    assert doc["firstName"] == "Jay" and doc["biography"] == {"description": "Lived.", "born": 1961}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["created"])
    assert "secret" not in doc and "revision_id" not in doc and "id" not in doc
    stored = await Author.get(ObjectId(doc["_id"]))
    assert stored is not None and stored.lastName == "Kay"


async def test_get_one(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/authors", JAY)
    response = await client.get(f"/api/authors/{doc['_id']}")
    assert response.status_code == 200
    assert response.json() == doc


async def test_get_unknown_or_unparsable_id_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/api/authors/{ObjectId()}"), 404)
    assert_problem(await client.get("/api/authors/not-an-id"), 404)
    assert_problem(await client.put("/api/authors/not-an-id", json={}), 404)
    assert_problem(await client.delete(f"/api/authors/{ObjectId()}"), 404)


async def test_list_total_and_items(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await create(client, "/api/books", {"title": f"B{i}"})
    body = (await client.get("/api/books")).json()
    assert body["total"] == 3
    assert sorted(i["title"] for i in body["items"]) == ["B0", "B1", "B2"]


async def test_put_and_patch_merge(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/authors", JAY)
    url = f"/api/authors/{doc['_id']}"
    put = await client.put(url, json={"lastName": "Kaye"})
    assert put.status_code == 200
    assert put.json()["firstName"] == "Jay" and put.json()["lastName"] == "Kaye"
    patch = await client.patch(url, json={"biography.born": 1962})
    assert patch.json()["biography"] == {"description": "Lived.", "born": 1962}
    nested = await client.patch(url, json={"biography": {"description": "Lived on."}})
    assert nested.json()["biography"] == {"description": "Lived on.", "born": 1962}
    assert (await client.get(url)).json() == nested.json()


async def test_delete(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/books", {"title": "Gone"})
    response = await client.request("DELETE", f"/api/books/{doc['_id']}", content=b"ignored")
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert await Book.find_all().count() == 0
    assert_problem(await client.get(f"/api/books/{doc['_id']}"), 404)


async def test_options_lists_enabled_methods(client: httpx.AsyncClient) -> None:
    collection = await client.options("/api/books")
    assert collection.status_code == 204
    assert _allow(collection) == {"GET", "HEAD", "POST", "OPTIONS"}
    item = await client.options(f"/api/books/{ObjectId()}")
    assert _allow(item) == {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


async def test_head_works_where_get_does(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/books", {"title": "Head"})
    for url in ("/api/books", f"/api/books/{doc['_id']}"):
        get, head = await client.get(url), await client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
    assert (await client.head(f"/api/books/{ObjectId()}")).status_code == 404


async def test_methods_option_limits_routes(make_client: MakeClient) -> None:
    client = await make_client(methods=["list", "get"])
    doc = Book(title="Kept")
    await doc.insert()
    assert (await client.get("/api/books")).status_code == 200
    post = assert_problem(await client.post("/api/books", json={"title": "x"}), 405)
    assert "POST" in post["detail"]
    denied = await client.delete(f"/api/books/{doc.id}")
    assert_problem(denied, 405)
    assert _allow(denied) == {"GET", "HEAD"}
    assert_problem(await client.options("/api/books"), 405)
    assert await Book.find_all().count() == 1


async def test_client_chosen_string_ids(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/things", {"_id": "a thing", "label": "one"})
    assert doc["_id"] == "a thing"
    created = await client.post("/api/things", json={"_id": "x/y z", "label": "two"})
    assert created.headers["location"].endswith("/api/things/x%2Fy%20z")
    url = "/api/things/a%20thing"
    assert (await client.get(url)).json()["label"] == "one"
    assert (await client.put(url, json={"label": "uno"})).json()["label"] == "uno"
    assert_problem(await client.post("/api/things", json={"_id": "a thing"}), 409)
    assert (await client.delete(url)).json() == {"success": True}
    assert await Thing.get("a thing") is None


async def test_unique_index_violation_is_409(client: httpx.AsyncClient) -> None:
    await create(client, "/api/accounts", {"email": "a@example.com"})
    body = assert_problem(await client.post("/api/accounts", json={"email": "a@example.com"}), 409)
    assert "email" in body["detail"]
    other = await create(client, "/api/accounts", {"email": "b@example.com"})
    clash = await client.patch(f"/api/accounts/{other['_id']}", json={"email": "a@example.com"})
    assert_problem(clash, 409)


async def test_expose_model_name(make_client: MakeClient) -> None:
    client = await make_client(expose_model_name=True)
    doc = await create(client, "/api/books", {"title": "Named"})
    assert doc["__modelName"] == "Book"
    listed = (await client.get("/api/books")).json()["items"][0]
    assert listed["__modelName"] == "Book"


async def test_expose_model_name_as_custom_key(make_client: MakeClient) -> None:
    client = await make_client(expose_model_name="kind")
    doc = await create(client, "/api/books", {"title": "Named", "kind": "ignored"})
    assert doc["kind"] == "Book" and "__modelName" not in doc


async def test_model_name_hidden_by_default(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/books", {"title": "Plain"})
    assert "__modelName" not in doc


async def test_revision_id_exposed_per_option(make_client: MakeClient) -> None:
    shown = await make_client()
    doc = await create(shown, "/api/versioned", {"name": "v1"})
    assert isinstance(doc["revision_id"], str) and len(doc["revision_id"]) == 36
    updated = await shown.put(f"/api/versioned/{doc['_id']}",
                              json={"name": "v2", "revision_id": "ignored"})
    assert updated.status_code == 200
    assert updated.json()["revision_id"] != doc["revision_id"]
    hidden = await make_client(expose_version_key=False)
    again = (await hidden.get(f"/api/versioned/{doc['_id']}")).json()
    assert "revision_id" not in again and again["name"] == "v2"
    assert await Versioned.find_all().count() == 1


async def test_revision_id_never_shown_without_use_revision(client: httpx.AsyncClient) -> None:
    doc = await create(client, "/api/books", {"title": "No revisions"})
    assert "revision_id" not in doc


def _allow(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}
