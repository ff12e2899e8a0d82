"""ETags on single-document answers, If-None-Match → 304, atomic If-Match → 412, and 428."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.backends import skip_gap
from tests.conftest import MakeClient, assert_problem
from tests.models import Author, Book, Publisher, Versioned

JAY = {"firstName": "Jay", "lastName": "Lee"}


async def make_author(client: httpx.AsyncClient) -> tuple[str, str]:
    created = await client.post("/api/authors", json=JAY)
    assert created.status_code == 201
    return f"/api/authors/{created.json()['_id']}", created.headers["etag"]


async def test_every_single_document_answer_has_the_stored_documents_etag(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    url, posted = await make_author(client)
    got = await client.get(url)
    assert got.headers["etag"] == posted  # the POST's tag is the stored document's
    assert (await client.get(url, params={"fields": "firstName"})).headers["etag"] == posted
    patched = await client.patch(url, json={"lastName": "Kim"})
    assert patched.headers["etag"] not in (None, posted)
    assert (await client.get(url)).headers["etag"] == patched.headers["etag"]
    put = await client.put(url, json={"lastName": "Ode"})
    assert put.headers["etag"] == (await client.get(url)).headers["etag"]
    listed = await client.get("/api/authors")
    assert "etag" not in listed.headers


async def test_a_hidden_field_change_gives_a_new_etag(make_client: MakeClient) -> None:
    client = await make_client()
    url, tag = await make_author(client)
    from autoapi import store

    await store.collection(Author).update_one({}, {"$set": {"undeclared": 1}})
    assert (await client.get(url)).headers["etag"] != tag


async def test_forward_route_carries_the_targets_etag(make_client: MakeClient) -> None:
    client = await make_client()
    publisher = Publisher(name="P")
    await publisher.insert()
    author = Author(firstName="A", lastName="B", publisher=publisher)  # type: ignore[arg-type]
    await author.insert()
    target = await client.get(f"/api/publishers/{publisher.id}")
    forward = await client.get(f"/api/authors/{author.id}/publisher")
    assert forward.json()["name"] == "P"
    assert forward.headers["etag"] == target.headers["etag"]
    bare = Author(firstName="C", lastName="D")
    await bare.insert()
    none = await client.get(f"/api/authors/{bare.id}/publisher")
    assert none.json() is None and "etag" not in none.headers


async def test_revision_models_use_the_revision_as_etag(make_client: MakeClient) -> None:
    client = await make_client()
    created = await client.post("/api/versioned", json={"name": "v"})
    tag = created.headers["etag"]
    stored = await Versioned.get(created.json()["_id"])
    assert stored is not None and tag == f'"{stored.revision_id}"'


async def test_if_none_match_answers_304_without_populate(make_client: MakeClient) -> None:
    client = await make_client()
    url, tag = await make_author(client)
    same = await client.get(url, headers={"If-None-Match": f'W/{tag}, "other"'})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
    assert (await client.get(url, headers={"If-None-Match": '"other"'})).status_code == 200
    populated = await client.get(
        url, params={"populate": "publisher"}, headers={"If-None-Match": tag}
    )
    assert populated.status_code == 200


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
async def test_if_match_mismatch_is_412_and_nothing_is_written(
    make_client: MakeClient, method: str
) -> None:
    client = await make_client()
    url, tag = await make_author(client)
    body = None if method == "DELETE" else {"lastName": "Changed"}
    for stale in ('"stale"', f"W/{tag}", "garbage"):
        response = await client.request(method, url, json=body, headers={"If-Match": stale})
        assert_problem(response, 412)
    assert (await client.get(url)).json()["lastName"] == "Lee"
    ok = await client.request(method, url, json=body, headers={"If-Match": f'"x", {tag}'})
    assert ok.status_code == 200, ok.text


async def test_if_match_star_and_a_vanished_document(make_client: MakeClient) -> None:
    client = await make_client()
    url, _ = await make_author(client)
    assert (
        await client.patch(url, json={"lastName": "S"}, headers={"If-Match": "*"})
    ).status_code == 200
    await client.delete(url)
    assert_problem(await client.patch(url, json={"lastName": "S"}, headers={"If-Match": "*"}), 404)


async def test_the_guard_is_checked_inside_the_write(make_client: MakeClient) -> None:
    """A document changed between the read and the write: the write's filter refuses it."""
    client = await make_client()
    url, tag = await make_author(client)
    from autoapi import store

    original = store.update_paths

    async def meddling(doc, sets, unsets=(), guard=None):  # type: ignore[no-untyped-def]
        await store.collection(Author).update_one({"_id": doc.id}, {"$set": {"lastName": "X"}})
        return await original(doc, sets, unsets, guard)

    store.update_paths = meddling  # type: ignore[assignment]
    try:
        response = await client.patch(url, json={"firstName": "New"}, headers={"If-Match": tag})
    finally:
        store.update_paths = original  # type: ignore[assignment]
    assert_problem(response, 412)
    assert (await client.get(url)).json()["firstName"] == "Jay"


async def test_require_if_match_answers_428_in_its_turn(make_client: MakeClient) -> None:
    client = await make_client(require_if_match=True)
    url, tag = await make_author(client)
    assert_problem(await client.patch(url, json={"lastName": "S"}), 428)
    assert_problem(await client.delete(url), 428)
    assert_problem(
        await client.patch(url, content=b"{", headers={"content-type": "application/json"}), 428
    )
    assert_problem(await client.patch("/api/authors/nope", json={}), 404)  # the id comes first
    assert (
        await client.patch(url, json={"lastName": "S"}, headers={"If-Match": tag})
    ).status_code == 200


async def test_racing_patches_with_one_if_match_one_wins(make_client: MakeClient) -> None:
    skip_gap("interleaving")
    client = await make_client()
    book = Book(title="race")
    await book.insert()
    url = f"/api/books/{book.id}"
    tag = (await client.get(url)).headers["etag"]
    answers = await asyncio.gather(
        *(client.patch(url, json={"pages": i}, headers={"If-Match": tag}) for i in range(1, 9))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [412] * 7, codes
