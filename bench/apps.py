"""autoapi, and the endpoints one would write by hand with Starlette and Beanie.

The hand-written endpoints are the usual, competent Beanie code: `find().sort().skip()
.limit()` in `_id` order (the order of autoapi's pages), a `count()`,
`model_dump(mode="json")` per document, and populate with one `In` query for all the
authors of a page (not one query per book).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import quote

from beanie import PydanticObjectId, SortDirection
from beanie.operators import In
from bson.errors import InvalidId
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from autoapi import AutoAPI
from bench.data import attach, open_backend, seed
from bench.fastapi_app import fastapi_app
from bench.limit import limit_app
from bench.models import MODELS, Author, Book
from bench.served import Served

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def autoapi_app(lifespan: Lifespan | None = None) -> Starlette:
    return Starlette(routes=[Mount("/api", app=AutoAPI(models=MODELS))], lifespan=lifespan)


def handwritten_app(lifespan: Lifespan | None = None) -> Starlette:
    routes = [
        Route("/books", list_books, methods=["GET"]),
        Route("/books", create_book, methods=["POST"]),
        Route("/books/{id}", get_book, methods=["GET"]),
    ]
    return Starlette(routes=[Mount("/api", routes=routes)], lifespan=lifespan)


async def list_books(request: Request) -> Response:
    offset = int(request.query_params.get("offset", "0"))
    limit = int(request.query_params.get("limit", "100"))
    # in `_id` order, as autoapi pages: without a sort a page's contents are not defined
    by_id = Book.find({}).sort(("_id", SortDirection.ASCENDING))
    books = await by_id.skip(offset).limit(limit).to_list()
    total = await Book.find({}).count()
    items = [book.model_dump(mode="json") for book in books]
    if request.query_params.get("populate") == "author":
        await populate_authors(books, items)
    return JSONResponse({"total": total, "items": items})


async def populate_authors(books: list[Book], items: list[dict[str, Any]]) -> None:
    """Replace each `author` link by the author, fetched for the whole page in one query."""
    ids = list({book.author.ref.id for book in books if book.author is not None})
    authors = await Author.find(In(Author.id, ids)).to_list()
    by_id = {author.id: author.model_dump(mode="json") for author in authors}
    for book, item in zip(books, items, strict=True):
        if book.author is not None:
            item["author"] = by_id.get(book.author.ref.id)


async def get_book(request: Request) -> Response:
    try:
        ident = PydanticObjectId(request.path_params["id"])
    except InvalidId:
        return JSONResponse({"detail": "not found"}, status_code=404)
    book = await Book.get(ident)
    if book is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(book.model_dump(mode="json"))


async def create_book(request: Request) -> Response:
    try:
        book = Book.model_validate(await request.json())
    except ValidationError as exc:
        return JSONResponse({"detail": exc.errors(include_url=False, include_context=False)},
                            status_code=422)
    await book.insert()
    location = f"{str(request.url).rstrip('/')}/{quote(str(book.id))}"
    return JSONResponse(book.model_dump(mode="json"), status_code=201,
                        headers={"Location": location})


# -- for uvicorn (`bench.load`) -------------------------------------------------------------


def _lifespan() -> Lifespan:
    """Seed this process's own database, or (`BENCH_SEEDED=1`) use what `bench.load` seeded."""
    n_authors = int(os.environ.get("BENCH_AUTHORS", "100"))
    n_books = int(os.environ.get("BENCH_BOOKS", "2000"))
    seeded = os.environ.get("BENCH_SEEDED") == "1"

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        backend = open_backend(os.environ.get("BENCH_DATABASE", "autoapi_bench"))
        await (attach(backend) if seeded else seed(backend, n_authors, n_books))
        yield
        await backend.close(drop=not seeded)

    return lifespan


def serve_autoapi() -> Served:
    """`uvicorn --factory bench.apps:serve_autoapi`."""
    return Served(autoapi_app(_lifespan()))


def serve_handwritten() -> Served:
    """`uvicorn --factory bench.apps:serve_handwritten`."""
    return Served(handwritten_app(_lifespan()))


def serve_fastapi() -> Served:
    """`uvicorn --factory bench.apps:serve_fastapi`; `BENCH_LINK_CHECK=1` checks links."""
    link_check = os.environ.get("BENCH_LINK_CHECK") == "1"
    return Served(fastapi_app(_lifespan(), link_check=link_check))


def serve_limit() -> Served:
    """`uvicorn --factory bench.apps:serve_limit`; `BENCH_LIMIT=count,etag,link_check,budget`."""
    work = set(os.environ.get("BENCH_LIMIT", "count").split(","))
    flags = ("count" in work, "etag" in work, "link_check" in work)
    return Served(limit_app(*flags, _lifespan(), budget="budget" in work))


def autoapi_budget() -> bool:
    """Whether the served autoapi gives its database calls a time budget (its default)."""
    return AutoAPI(models=MODELS).max_time_ms is not None
