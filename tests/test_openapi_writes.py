"""The document declares array POSTs, CoU/CoR, bulk writes and conditional requests.

The first tests read the document alone; the last ones send requests and check each answer
(status, body and headers) against what the document says of it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.requests import Request

from autoapi import Access, AutoAPI
from autoapi.routes import METHODS, OPT_IN_METHODS
from tests.conftest import MakeClient
from tests.models import ALL_MODELS
from tests.test_openapi import checker, parameters

REF = "#/components/schemas/"
EVERY_METHOD = [*METHODS, *OPT_IN_METHODS]


def openapi(**options: Any) -> dict[str, Any]:
    doc = AutoAPI(models=ALL_MODELS, **options).openapi("/api")
    validate(doc)
    return doc


def json_schema(response: dict[str, Any]) -> Any:
    return response["content"]["application/json"]["schema"]


def test_post_takes_one_document_or_an_array() -> None:
    post = openapi(max_batch=50)["paths"]["/books"]["post"]
    one, many = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert one == {"$ref": REF + "BookCreate"}
    assert many == {"type": "array", "items": {"$ref": REF + "BookCreate"},
                    "minItems": 1, "maxItems": 50}  # fmt: skip
    assert json_schema(post["responses"]["201"]) == {
        "anyOf": [{"$ref": REF + "Book"}, {"$ref": REF + "BookItems"}]}
    assert "up to 50 documents" in post["description"]


def test_x_http_method_declares_the_upsert_answers() -> None:
    doc = openapi()
    post = doc["paths"]["/books"]["post"]
    header = parameters(doc, "/books", "post")["X-HTTP-Method"]
    assert header["in"] == "header" and "case-insensitive" in header["description"]
    assert doc["components"]["schemas"]["UpsertMode"]["enum"] == ["CoU", "CoR"]
    assert json_schema(post["responses"]["200"]) == {"$ref": REF + "Book"}
    assert set(post["responses"]["200"]["headers"]) == {"ETag"}
    assert {"Location", "ETag"} == set(post["responses"]["201"]["headers"])


def test_the_batch_conflict_says_what_was_written() -> None:
    schemas = openapi()["components"]["schemas"]
    extra = schemas["BatchConflict"]["allOf"][1]["properties"]
    assert set(extra) == {"written", "failed", "not_attempted"}
    assert extra["written"]["items"]["required"] == ["index", "_id"]


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        (METHODS, {"get", "post"}),
        (EVERY_METHOD, {"get", "post", "patch", "delete"}),
        (["list", "bulk_delete"], {"get", "delete"}),
    ],
)
def test_bulk_operations_appear_only_when_enabled(methods: list[str], expected: set[str]) -> None:
    assert set(openapi(methods=methods)["paths"]["/books"]) == expected


def test_bulk_operations_select_by_filter_options() -> None:
    doc = openapi(methods=EVERY_METHOD, max_batch=7)
    patch, delete = (doc["paths"]["/books"][m] for m in ("patch", "delete"))
    assert (patch["operationId"], delete["operationId"]) == ("patch_many_books",
                                                             "delete_many_books")
    for method in ("patch", "delete"):
        assert set(parameters(doc, "/books", method)) == {"filter", "where", "match"}
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": REF + "BookUpdate"}
    assert json_schema(patch["responses"]["200"]) == {"$ref": REF + "PatchedMany"}
    assert json_schema(delete["responses"]["200"]) == {"$ref": REF + "DeletedMany"}
    assert "409" in patch["responses"] and "409" in delete["responses"]
    assert "more than 7" in patch["description"] and "more than 7" in delete["description"]
    assert doc["components"]["schemas"]["PatchedMany"]["required"] == ["matched", "modified"]


@pytest.mark.parametrize("required", [False, True])
def test_428_is_declared_only_when_if_match_is_required(required: bool) -> None:
    doc = openapi(require_if_match=required, methods=EVERY_METHOD)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            conditional = path == "/books/{id}" and method in ("put", "patch", "delete")
            if conditional:
                assert "412" in op["responses"] and "If-Match" in parameters(doc, path, method)
            if path.endswith("{id}") and method in ("put", "patch", "delete"):
                assert ("428" in op["responses"]) is required, (path, method)
            elif not path.endswith("{id}") or method == "get":
                assert "428" not in op["responses"], (path, method)


@pytest.mark.parametrize(
    ("path", "method", "status", "etag"),
    [
        ("/books", "get", "200", False),
        ("/books", "post", "201", True),
        ("/books", "post", "200", True),
        ("/books/{id}", "get", "200", True),
        ("/books/{id}", "get", "304", True),
        ("/books/{id}", "put", "200", True),
        ("/books/{id}", "patch", "200", True),
        ("/books/{id}", "delete", "200", False),
        ("/books/{id}/author", "get", "200", True),  # one target
        ("/authors/{id}/inspired", "get", "200", False),  # a list of links
        ("/authors/{id}/books", "get", "200", False),
    ],
)
def test_etag_is_declared_on_single_document_answers(
    path: str, method: str, status: str, etag: bool
) -> None:
    answer = openapi()["paths"][path][method]["responses"][status]
    assert ("ETag" in answer.get("headers", {})) is etag


def test_list_answers_declare_link_and_cursor_parameters() -> None:
    doc = openapi()
    for path in ("/books", "/authors/{id}/books"):
        assert "Link" in doc["paths"][path]["get"]["responses"]["200"]["headers"]
        params = parameters(doc, path, "get")
        assert {"cursor", "count"} <= set(params)
        # a generated client sends a default: offset=0 with a cursor would be a 400
        assert "default" not in params["offset"]["schema"]
        assert "default" not in params["limit"]["schema"]
    page = doc["components"]["schemas"]["BookPage"]
    assert page["required"] == ["total", "items", "next", "prev"]


def test_match_is_described_as_text_only() -> None:
    match = openapi()["components"]["parameters"]["match"]
    assert "text fields only" in match["description"]


def test_enums_stay_static_under_a_policy_with_read_fields() -> None:
    def policy(request: Request, model: type) -> Access:
        return Access(read_fields={"title"})

    plain, guarded = openapi(), openapi(policy=policy)
    for name in ("BookSortKey", "BookFieldKey", "BookLinkPath"):
        assert guarded["components"]["schemas"][name] == plain["components"]["schemas"][name]


# -- answers match the document ---------------------------------------------------------


class Conformance:
    """Checks each answer against the operation's declared response."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.check = checker(doc)

    def __call__(self, response: httpx.Response, path: str, method: str) -> Any:
        declared = self.doc["paths"][path][method]["responses"][str(response.status_code)]
        headers = declared.get("headers", {})
        for name in ("ETag", "Location", "Link"):
            if name in response.headers:
                assert name in headers, (path, method, response.status_code, name)
        for name, header in headers.items():
            if header.get("required"):
                assert name in response.headers, (path, method, name)
        if "content" not in declared:
            assert response.content == b""
            return None
        media = response.headers["content-type"].split(";")[0]
        body = response.json()
        self.check(declared["content"][media]["schema"], body)
        return body


async def conformant(make_client: MakeClient, **options: Any) -> tuple[Any, Conformance]:
    client = await make_client(**options)
    response = await client.get("/api/openapi.json")
    return client, Conformance(response.json())


async def test_array_posts_and_upserts_answer_as_declared(make_client: MakeClient) -> None:
    client, conform = await conformant(make_client)
    many = await client.post("/api/accounts", json=[{"email": "a@x"}, {"email": "b@x"}])
    assert many.status_code == 201
    assert len(conform(many, "/accounts", "post")["items"]) == 2
    clash = await client.post("/api/accounts", json=[{"email": "c@x"}, {"email": "a@x"},
                                                     {"email": "d@x"}])  # fmt: skip
    assert clash.status_code == 409
    body = conform(clash, "/accounts", "post")
    assert (body["failed"]["index"], body["not_attempted"]) == (1, [2])
    ident = "0" * 23 + "1"
    cou = {"X-HTTP-Method": "cou"}  # any letter case
    created = await client.post("/api/books", json={"_id": ident, "title": "T"}, headers=cou)
    assert created.status_code == 201 and conform(created, "/books", "post")["_id"] == ident
    updated = await client.post("/api/books", json={"_id": ident, "title": "U"}, headers=cou)
    assert updated.status_code == 200 and conform(updated, "/books", "post")["title"] == "U"
    assert updated.headers["etag"] != created.headers["etag"]


async def test_conditional_answers_are_declared(make_client: MakeClient) -> None:
    client, conform = await conformant(make_client, require_if_match=True)
    book = await client.post("/api/books", json={"title": "T"})
    url, tag = f"/api/books/{book.json()['_id']}", book.headers["etag"]
    unchanged = await client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304
    conform(unchanged, "/books/{id}", "get")
    missing = await client.patch(url, json={"title": "U"})
    assert missing.status_code == 428
    conform(missing, "/books/{id}", "patch")
    done = await client.patch(url, json={"title": "U"}, headers={"If-Match": tag})
    assert done.status_code == 200 and conform(done, "/books/{id}", "patch")["title"] == "U"
    stale = await client.patch(url, json={"title": "V"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    conform(stale, "/books/{id}", "patch")


async def test_cursor_pages_and_bulk_writes_answer_as_declared(make_client: MakeClient) -> None:
    client, conform = await conformant(make_client, methods=EVERY_METHOD, max_batch=3)
    await client.post("/api/books", json=[{"title": f"T{i}"} for i in range(3)])
    first = await client.get("/api/books?limit=2&sort=title")
    page = conform(first, "/books", "get")
    assert page["next"] is not None and "Link" in first.headers
    last = conform(await client.get(f"/api/books?limit=2&sort=title&cursor={page['next']}"),
                   "/books", "get")  # fmt: skip
    assert [b["title"] for b in last["items"]] == ["T2"] and last["next"] is None
    patched = await client.patch("/api/books?match=title=^T", json={"isbn": "9780000000002"})
    assert conform(patched, "/books", "patch") == {"matched": 3, "modified": 3}
    await client.post("/api/books", json={"title": "T3"})
    too_many = await client.delete("/api/books?match=title=^T")
    assert too_many.status_code == 409
    conform(too_many, "/books", "delete")
    deleted = await client.delete("/api/books?filter=title=T3")
    assert conform(deleted, "/books", "delete") == {"deleted": 1}


@pytest.mark.parametrize(
    ("route", "keys"),
    [
        ({}, {"_id", "firstName", "lastName"}),  # the derived response
        ({"response": {"201": {"type": "object", "properties": {
            "_id": {"type": "string"}, "firstName": {"type": "string"}}}}},
         {"_id", "firstName"}),
    ],
)  # fmt: skip
async def test_a_route_response_shapes_each_created_item(
    make_client: MakeClient, route: dict[str, Any], keys: set[str]
) -> None:
    entry = {"name": "authors", "routePost": route}
    client, conform = await conformant(make_client, schemas=[entry])
    one = await client.post("/api/authors", json={"firstName": "A", "lastName": "B"})
    assert keys <= set(conform(one, "/authors", "post"))
    many = await client.post("/api/authors", json=[{"firstName": "C", "lastName": "D"}])
    (item,) = conform(many, "/authors", "post")["items"]
    assert keys <= set(item) and set(item) <= set(one.json())
    assert set(item) == set(one.json())
