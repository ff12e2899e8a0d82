"""Write bodies: formats, limits, dot paths, links, `_id`, no partial write."""

from __future__ import annotations

import httpx
import pytest
from bson import ObjectId

from tests.conftest import assert_problem
from tests.models import Author, Book


async def count_authors() -> int:
    return await Author.find_all().count()


async def test_form_body_values_are_coerced(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/books", data={"title": "Form", "isGood": "yes", "pages": "12", "price": "2.5"}
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["isGood"], doc["pages"], doc["price"]) == (True, 12, 2.5)


async def test_form_body_with_a_bad_value_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/books", data={"title": "Form", "isGood": "perhaps"})
    assert_problem(response, 422, "isGood")
    assert await Book.find_all().count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x",
                                          "application/xml"])
async def test_other_content_types_are_415(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post("/api/authors", content=b"firstName=a",
                                 headers={"content-type": content_type})
    assert_problem(response, 415)
    assert await count_authors() == 0


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b"NaN", b'{"firstName": NaN}'])
async def test_invalid_json_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/api/authors", content=body,
                                 headers={"content-type": "application/json"})
    assert_problem(response, 400, "body")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"3", b"null"])
async def test_json_that_is_not_an_object_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/api/authors", content=body,
                                 headers={"content-type": "application/json"})
    assert_problem(response, 400, "body")


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    big = b'{"firstName": "' + b"a" * (1024 * 1024) + b'", "lastName": "b"}'
    assert_problem(await client.post("/api/authors", content=big,
                                     headers={"content-type": "application/json"}), 413)

    async def chunks():  # no Content-Length: the limit holds while streaming
        for _ in range(17):
            yield b" " * 65536

    streamed = await client.post("/api/authors", content=chunks(),
                                 headers={"content-type": "application/json"})
    assert_problem(streamed, 413)
    assert await count_authors() == 0


async def test_unknown_fields_are_422_naming_them(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/authors", json={"firstName": "a", "lastName": "b",
                                                       "nickname": "x", "biography.x": 1,
                                                       "biography": {"y": 2}})
    body = assert_problem(response, 422)
    named = {e["field"] for e in body["errors"]}
    assert named == {"nickname", "biography.x", "biography.y"}
    assert await count_authors() == 0


async def test_hidden_field_cannot_be_written(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/authors",
                                 json={"firstName": "a", "lastName": "b", "secret": "x"})
    assert_problem(response, 422, "secret")


async def test_model_validation_failure_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/authors", json={"firstName": "a", "birthday": "soon"})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"lastName", "birthday"}
    assert await count_authors() == 0


async def test_failed_update_leaves_the_document_unchanged(client: httpx.AsyncClient) -> None:
    author = Author(firstName="Jay", lastName="Kay")
    await author.insert()
    url = f"/api/authors/{author.id}"
    assert_problem(await client.put(url, json={"lastName": None}), 422, "lastName")
    assert_problem(await client.patch(url, json={"biography.born": "long ago"}), 422,
                   "biography.born")
    assert_problem(await client.patch(url, json={"firstName": "Ann", "bogus": 1}), 422, "bogus")
    stored = await Author.get(author.id)
    assert stored is not None and (stored.firstName, stored.lastName) == ("Jay", "Kay")


async def test_dot_path_sets_one_leaf_on_create(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/authors",
                                 json={"firstName": "a", "lastName": "b", "biography.born": 1961})
    assert response.json()["biography"] == {"description": "", "born": 1961}


async def test_link_takes_an_id_or_a_document(client: httpx.AsyncClient) -> None:
    author = Author(firstName="Jay", lastName="Kay")
    await author.insert()
    by_id = await client.post("/api/books", json={"title": "A", "author": str(author.id)})
    assert by_id.json()["author"] == str(author.id)
    whole = (await client.get(f"/api/authors/{author.id}")).json()
    by_doc = await client.post("/api/books", json={"title": "B", "coauthor": whole})
    assert by_doc.json()["coauthor"] == str(author.id)
    form = await client.post("/api/books", data={"title": "C", "author": str(author.id)})
    assert form.json()["author"] == str(author.id)
    cleared = await client.patch(f"/api/books/{by_id.json()['_id']}", json={"author": None})
    assert cleared.json()["author"] is None


async def test_bad_link_value_is_422(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post("/api/books", json={"title": "A", "author": "nope"}), 422,
                   "author")
    assert await Book.find_all().count() == 0


async def test_list_of_links_takes_ids(client: httpx.AsyncClient) -> None:
    book = Book(title="Muse")
    await book.insert()
    response = await client.post("/api/authors", json={"firstName": "a", "lastName": "b",
                                                       "inspired": [str(book.id)]})
    assert response.json()["inspired"] == [str(book.id)]


async def test_id_in_put_must_match_the_path(client: httpx.AsyncClient) -> None:
    author = Author(firstName="Jay", lastName="Kay")
    await author.insert()
    url = f"/api/authors/{author.id}"
    same = await client.put(url, json={"_id": str(author.id), "lastName": "Same"})
    assert same.status_code == 200 and same.json()["lastName"] == "Same"
    assert_problem(await client.put(url, json={"_id": str(ObjectId()), "lastName": "X"}), 422,
                   "_id")
    assert_problem(await client.patch(url, json={"_id": "garbage"}), 422, "_id")
    stored = await Author.get(author.id)
    assert stored is not None and stored.lastName == "Same"


async def test_post_with_an_object_id(client: httpx.AsyncClient) -> None:
    chosen = str(ObjectId())
    response = await client.post("/api/books", json={"_id": chosen, "title": "Chosen"})
    assert response.json()["_id"] == chosen
    assert_problem(await client.post("/api/books", json={"_id": "xyz", "title": "Bad"}), 422,
                   "_id")


async def test_read_only_keys_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/books", json={"title": "A", "revision_id": "x",
                                                     "__modelName": "Nope"})
    assert response.status_code == 422  # __modelName is only read-only when it is exposed
    ok = await client.post("/api/books", json={"title": "A", "revision_id": "x"})
    assert ok.status_code == 201 and "revision_id" not in ok.json()


async def test_empty_body_counts_as_empty_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/authors")
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"firstName", "lastName"}
    book = Book(title="Same")
    await book.insert()
    assert (await client.put(f"/api/books/{book.id}")).json()["title"] == "Same"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"title": "x", "pages": 100000000000000000000000000000}', "pages"),
        (b'{"title": "\\ud800"}', "title"),
        (b'{"title": "x", "tags": ["ok", "\\udfff"]}', "tags"),
    ],
)
async def test_values_bson_cannot_store_are_422(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await client.post("/api/books", content=body,
                                 headers={"content-type": "application/json"})
    assert_problem(response, 422, field)
    assert await Book.find_all().count() == 0


@pytest.mark.parametrize("meta", [{"$where": "1"}, {"a.b": 1}, {"ok": {"$gt": 1}}])
async def test_dict_keys_with_dollar_or_dot_are_422(
    client: httpx.AsyncClient, meta: dict[str, object]
) -> None:
    response = await client.post("/api/authors",
                                 json={"firstName": "a", "lastName": "b", "meta": meta})
    assert_problem(response, 422, "meta")
    assert await count_authors() == 0


async def test_deeply_nested_value_is_422_not_a_crash(client: httpx.AsyncClient) -> None:
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(400):
        deep = {"k": deep}
    response = await client.post("/api/authors",
                                 json={"firstName": "a", "lastName": "b", "meta": deep})
    assert "nested deeper" in str(assert_problem(response, 422, "meta"))
    assert await count_authors() == 0
