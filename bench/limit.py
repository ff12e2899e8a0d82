"""The limit: the least code that gives autoapi's answers — the bare driver and orjson.

No ODM on reads: `find().skip().limit()` on the driver collection, the stored documents
handed to orjson as they come (its `default=` turns ObjectId, DBRef and datetime into
autoapi's JSON), with or without the `count` beside the page. Where autoapi must do contract
work the limit does it too, when autoapi does it: a create validates the body with the
model, and (`link_check`) checks that the linked author exists; a single document carries
an `ETag` digest (`etag`); a list carries the `next`/`prev` tokens and the `Link` header.
The answers are autoapi's, byte for byte (`bench.compare` checks).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
from bson import DBRef, ObjectId
from bson.errors import InvalidId
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from autoapi import conditional, store
from autoapi.cursors import Scope, effective_sort, filter_digest
from autoapi.listing import FILTER_PARAMS
from autoapi.pages import link_header, offset_page
from autoapi.serialize import iso_datetime
from bench.models import Author, Book

Lifespan = Callable[[Starlette], Any]
Handler = Callable[[Request], Any]


def _default(value: Any) -> Any:
    if isinstance(value, ObjectId):  # PydanticObjectId too: what the in-memory stand-in keeps
        return str(value)
    if isinstance(value, datetime.datetime):
        return iso_datetime(value)
    if isinstance(value, DBRef):
        return str(value.id)
    raise TypeError(type(value).__name__)


def dumps(content: Any) -> bytes:
    """JSON as autoapi writes it (compact UTF-8, ids as strings, UTC milliseconds)."""
    return orjson.dumps(content, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(content), status, headers, media_type="application/json")


NOT_FOUND = b'{"detail":"not found"}'


def limit_app(
    count: bool = True,
    etag: bool = False,
    link_check: bool = False,
    lifespan: Lifespan | None = None,
) -> Starlette:
    """The limit endpoints for books under `/api`; `count=False` leaves the total out."""
    routes = [
        Route("/books", _lister(count), methods=["GET"]),
        Route("/books", _creator(link_check, etag), methods=["POST"]),
        Route("/books/{id}", _getter(etag), methods=["GET"]),
    ]
    return Starlette(routes=[Mount("/api", routes=routes)], lifespan=lifespan)


def _lister(with_count: bool) -> Handler:
    async def list_books(request: Request) -> Response:
        params = request.query_params
        skip, limit = int(params.get("offset", "0")), int(params.get("limit", "100"))
        books = store.collection(Book)
        # one more than the page says whether there is a next page: its token is contract work
        found = await books.find({}).sort("_id", 1).skip(skip).limit(limit + 1).to_list(None)
        page = offset_page(found, limit, skip, _SCOPE)
        if params.get("populate") == "author":
            await _populate(page.docs)
        # `count=none`, or the limit without the count: autoapi's answer is `"total": null`
        counted = with_count and params.get("count") != "none"
        total = await books.count_documents({}) if counted else None
        content: dict[str, Any] = {"total": total, "items": page.docs}
        content.update(next=page.next, prev=page.prev)
        link = link_header(str(request.url), page.next, page.prev)
        return json_response(content, headers={"Link": link} if link else None)

    return list_books


_SCOPE = Scope("/books", effective_sort(()), filter_digest({p: [] for p in FILTER_PARAMS}))


async def _populate(docs: list[dict[str, Any]]) -> None:
    """Each book's `author` link → the author, for the whole page in one `$in` query."""
    ids = list({doc["author"].id for doc in docs if doc.get("author") is not None})
    found = await store.collection(Author).find({"_id": {"$in": ids}}).to_list(None)
    authors = {author["_id"]: author for author in found}
    for author in found:  # autoapi renders a `date` field as a date
        if author.get("born") is not None:
            author["born"] = author["born"].date().isoformat()
    for doc in docs:
        if doc.get("author") is not None:
            doc["author"] = authors.get(doc["author"].id)


def _getter(etag: bool) -> Handler:
    async def get_book(request: Request) -> Response:
        try:
            ident = ObjectId(request.path_params["id"])
        except InvalidId:
            return Response(NOT_FOUND, 404, media_type="application/json")
        doc = await store.collection(Book).find_one({"_id": ident})
        if doc is None:
            return Response(NOT_FOUND, 404, media_type="application/json")
        headers = {"ETag": conditional.etag(doc, None)} if etag else None
        return json_response(doc, headers=headers)

    return get_book


def _creator(link_check: bool, etag: bool) -> Handler:
    async def create_book(request: Request) -> Response:
        try:
            book = Book.model_validate(orjson.loads(await request.body()))
        except (ValidationError, orjson.JSONDecodeError):
            return Response(b'{"detail":"invalid"}', 422, media_type="application/json")
        doc = _stored(book)
        if link_check and doc["author"] is not None and not await _author_exists(doc["author"]):
            return Response(b'{"detail":"no such author"}', 422, media_type="application/json")
        await store.collection(Book).insert_one(doc)
        location = f"{str(request.url).rstrip('/')}/{quote(str(doc['_id']))}"
        headers = {"Location": location}
        if etag:
            headers["ETag"] = conditional.etag(doc, None)
        return json_response(doc, 201, headers)

    return create_book


async def _author_exists(ref: DBRef) -> bool:
    found = await store.collection(Author).find_one({"_id": ref.id}, {"_id": 1})
    return found is not None


def _stored(book: Book) -> dict[str, Any]:
    """The document Beanie would store for `book`, written out by hand for this one model."""
    return {
        "_id": ObjectId(),
        "title": book.title,
        "isbn": book.isbn,
        "pages": book.pages,
        "price": book.price,
        "isGood": book.isGood,
        "tags": list(book.tags),
        "author": None if book.author is None else book.author.to_ref(),
        "created": book.created,
    }
