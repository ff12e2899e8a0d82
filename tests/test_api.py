"""AutoAPI construction, `resources`, mounting in FastAPI, and the one error shape."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from beanie import Document, init_beanie
from fastapi import FastAPI
from pydantic import BaseModel

from autoapi import AutoAPI
from tests.conftest import MakeClient, assert_problem
from tests.models import ALL_MODELS, Author, Book


class NotADocument(BaseModel):
    name: str


class Exploding(Document):
    name: str = ""

    class Settings:
        name = "exploding"

    @classmethod
    def on_list_query(cls, query: Any, request: Any) -> Any:
        raise RuntimeError("connection string mongodb://admin:hunter2@db")


@pytest.mark.parametrize("models", [[NotADocument], [Author, "Book"],
                                    [object], "authors", None, []])
def test_models_must_be_documents(models: Any) -> None:
    with pytest.raises(TypeError):
        AutoAPI(models=models)


def test_two_models_of_one_collection_fail_at_construction() -> None:
    class Writer(Document):
        name: str = ""

        class Settings:
            name = "authors"

    with pytest.raises(ValueError, match="'authors'"):
        AutoAPI(models=[Author, Writer])


def test_unknown_method_name_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="remove"):
        AutoAPI(models=[Author], methods=["list", "remove"])


def test_bad_limits_fail_at_construction() -> None:
    with pytest.raises(ValueError):
        AutoAPI(models=[Author], default_limit=0)
    with pytest.raises(ValueError):
        AutoAPI(models=[Author], default_limit=50, max_limit=10)


def test_construction_needs_no_database() -> None:
    api = AutoAPI(models=ALL_MODELS)
    assert set(api.resources) == {"publishers", "authors", "books", "things", "versioned",
                                  "accounts"}


def test_resources_describe_routes() -> None:
    api = AutoAPI(models=[Author, Book])
    books = api.resources["books"]
    assert books.path == "/books" and books.model is Book
    assert [f.name for f in books.forward] == ["author", "coauthor"]
    authors = api.resources["authors"]
    assert [r.name for r in authors.reverse] == ["books", "books_as_coauthor"]
    assert "firstName" in authors.spec.fields and "secret" in authors.spec.fields
    assert authors.spec.fields["secret"].hidden
    with pytest.raises(TypeError):
        api.resources["x"] = books  # type: ignore[index]


async def test_fastapi_mount_behaves_like_starlette(database: Any) -> None:
    await init_beanie(database=database, document_models=ALL_MODELS)
    app = FastAPI()
    app.mount("/api", AutoAPI(models=ALL_MODELS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/api/books", json={"title": "Fast"})
        assert created.status_code == 201
        assert created.headers["location"] == f"http://test/api/books/{created.json()['_id']}"
        assert (await client.get("/api/books")).json()["total"] == 1
        assert_problem(await client.get("/api/nothing"), 404)
        assert_problem(await client.put("/api/books"), 405)
        assert_problem(await client.post("/api/books", json={"x": 1}), 422, "x")


async def test_unknown_path_under_the_mount_is_problem_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/nothing"), 404)
    assert_problem(await client.get("/api/books/1/2/3"), 404)


async def test_wrong_method_is_problem_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/books")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


async def test_500_never_leaks_internals(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(models=[Exploding])
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        response = await client.get("/api/exploding")
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["detail"] == "An internal error occurred."
    assert any("hunter2" in (r.exc_text or "") for r in caplog.records)
