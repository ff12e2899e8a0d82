"""`merge_openapi` into a FastAPI host, and the pure helpers of the document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from beanie import init_beanie
from fastapi import FastAPI
from openapi_spec_validator import validate
from pydantic import BaseModel

from autoapi import AutoAPI, merge_openapi
from autoapi.merge import merge_documents
from autoapi.openapi_parts import snake, strip_keys, wrap_ref_siblings
from autoapi.routes import (
    DESCRIPTIONS,
    FIXED_ANSWERS,
    METHODS,
    ROUTE_KEYS,
    ROUTES,
    SUCCESS,
    by_key,
    of_shape,
)
from tests.models import ALL_MODELS


class Book(BaseModel):
    """The host's own `Book`: autoapi's component of that name must not replace it."""

    shelf: int


async def test_fastapi_docs_show_autoapi_routes(database: Any) -> None:
    await init_beanie(database=database, document_models=ALL_MODELS)
    app = FastAPI(title="Host")

    @app.get("/shelf")
    def shelf() -> Book:
        return Book(shelf=1)

    api = AutoAPI(models=ALL_MODELS, security={"key": {"type": "apiKey", "in": "header",
                                                       "name": "X-Key"}})
    app.mount("/api", api)
    merge_openapi(app, api, prefix="/api")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        doc = (await client.get("/openapi.json")).json()
        page = await client.get("/docs")
        listed = await client.get("/api/books")
    validate(doc)
    assert doc["info"]["title"] == "Host" and "/shelf" in doc["paths"]
    assert {"/api/books", "/api/books/{id}", "/api/authors/{id}/books"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert schemas["Book"]["properties"] == {"shelf": {"type": "integer", "title": "Shelf"}}
    ours = doc["paths"]["/api/books/{id}"]["get"]["responses"]["200"]["content"]
    assert ours["application/json"]["schema"] == {"$ref": "#/components/schemas/Book_autoapi"}
    assert "Book.id" in doc["components"]["parameters"]
    assert doc["components"]["securitySchemes"]["key"]["name"] == "X-Key"
    assert doc["paths"]["/api/books"]["get"]["security"] == [{"key": []}]
    assert "security" not in doc["paths"]["/shelf"]["get"]  # the host's routes keep theirs
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert listed.status_code == 200


def test_merge_documents_without_clashes() -> None:
    host = {"openapi": "3.1.0", "info": {"title": "H", "version": "1"}, "paths": {}}
    ours = AutoAPI(models=ALL_MODELS).openapi()
    merged = merge_documents(host, ours, "v2/")
    validate(merged)
    assert set(merged["paths"]) == {f"/v2{p}" for p in ours["paths"]}
    assert merged["components"]["schemas"] == ours["components"]["schemas"]
    assert [t["name"] for t in merged["tags"]] == [t["name"] for t in ours["tags"]]
    assert host["paths"] == {}  # the host's document is not changed in place


@pytest.mark.parametrize(
    ("schema", "wrapped"),
    [
        ({"$ref": "#/a"}, {"$ref": "#/a"}),
        ({"$ref": "#/a", "description": "d"}, {"allOf": [{"$ref": "#/a"}, {"description": "d"}]}),
        (
            {"properties": {"x": {"$ref": "#/a", "nullable": True}}},
            {"properties": {"x": {"allOf": [{"$ref": "#/a"}, {"nullable": True}]}}},
        ),
        ([{"$ref": "#/a", "minItems": 1}], [{"allOf": [{"$ref": "#/a"}, {"minItems": 1}]}]),
        ({"example": {"$ref": "#/a", "x": 1}}, {"example": {"$ref": "#/a", "x": 1}}),  # data
    ],
)
def test_wrap_ref_siblings(schema: Any, wrapped: Any) -> None:
    assert wrap_ref_siblings(schema) == wrapped


@pytest.mark.parametrize(
    ("schema", "stripped"),
    [
        ({"type": "string", "default": ""}, {"type": "string"}),
        ({"properties": {"default": {"default": 1}}}, {"properties": {"default": {}}}),
        ({"anyOf": [{"default": None}, {"type": "null"}]}, {"anyOf": [{}, {"type": "null"}]}),
        ({"const": {"default": 1}}, {"const": {"default": 1}}),  # data is left alone
    ],
)
def test_strip_defaults(schema: Any, stripped: Any) -> None:
    assert strip_keys(schema, frozenset({"default"})) == stripped


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Book", "book"), ("BookReview", "book_review"), ("ISBNRecord", "isbnrecord"),
     ("Book2Shelf", "book2_shelf"), ("my-book", "my_book")],
)  # fmt: skip
def test_snake(name: str, expected: str) -> None:
    assert snake(name) == expected


def test_the_route_table_is_consistent() -> None:
    assert METHODS == ("list", "get", "post", "put", "patch", "delete", "options")
    assert ROUTE_KEYS == ("routeList", "routeGet", "routePost", "routePut", "routePatch",
                          "routeDelete")  # fmt: skip
    assert by_key("routePut").verb == "update" and by_key("routePatch").verb == "patch"
    assert [r.method for r in of_shape("item")] == ["get", "put", "patch", "delete"]
    verbs = [(r.shape, r.verb) for r in ROUTES]
    assert len(verbs) == len(set(verbs))
    with pytest.raises(KeyError):
        by_key("routeOptions")


def test_every_collection_and_item_route_is_described_and_answers() -> None:
    methods = {r.method for r in ROUTES if r.shape in ("collection", "item")}
    assert set(DESCRIPTIONS) == methods
    assert set(SUCCESS) == methods
    assert set(FIXED_ANSWERS) <= methods
