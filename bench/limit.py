"""The limit: the least code that gives autoapi's answers — the bare driver and orjson.

No ODM on reads: `find().skip().limit()` on the driver collection, the stored documents
handed to orjson as they come (its `default=` turns ObjectId, DBRef and datetime into
autoapi's JSON), with or without the `count` beside the page. Where autoapi must do contract
work the limit does it too, when autoapi does it: a create validates the body with the
model, and (`link_check`) checks that the linked author exists; a single document carries
an `ETag` digest (`etag`); every driver call gets the time left of the request's budget,
`maxTimeMS` on a read and a client-side timeout, a spent budget being a 503 (`budget`); a
list carries the `next`/`prev` tokens and the `Link` header.
The answers are autoapi's, byte for byte (`bench.compare` checks).
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
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
BUDGET_S = 10.0  # autoapi's default `max_time_ms`
DEADLINE = "limit.deadline"
T = TypeVar("T")


def limit_app(
    count: bool = True,
    etag: bool = False,
    link_check: bool = False,
    lifespan: Lifespan | None = None,
    budget: bool = False,
) -> Starlette:
    """The limit endpoints for books under `/api`; `count=False` leaves the total out."""
    routes = [
        Route("/books", _timed(_lister(count), budget), methods=["GET"]),
        Route("/books", _timed(_creator(link_check, etag), budget), methods=["POST"]),
        Route("/books/{id}", _timed(_getter(etag), budget), methods=["GET"]),
    ]
    return Starlette(routes=[Mount("/api", routes=routes)], lifespan=lifespan)


def _timed(handler: Handler, budget: bool) -> Handler:
    """`handler` under the request's time budget (when `budget`): a spent one is a 503."""
    if not budget:
        return handler

    async def timed(request: Request) -> Response:
        request.scope[DEADLINE] = time.monotonic() + BUDGET_S
        try:
            answer: Response = await handler(request)
        except TimeoutError:
            return Response(b'{"detail":"too slow"}', 503, {"Retry-After": "1"})
        return answer

    return timed


async def _within(request: Request, call: Callable[[dict[str, Any]], Awaitable[T]]) -> T:
    """A driver call given the time left: `maxTimeMS` (the keywords `call` gets) and a
    client-side timeout; no budget, no keywords."""
    deadline: float | None = request.scope.get(DEADLINE)
    if deadline is None:
        return await call({})
    left = deadline - time.monotonic()
    async with asyncio.timeout(left):
        return await call({"max_time_ms": int(left * 1000)})


def _count_kw(kw: dict[str, Any]) -> dict[str, Any]:
    return {"maxTimeMS": kw["max_time_ms"]} if kw else {}


def _lister(with_count: bool) -> Handler:
    async def list_books(request: Request) -> Response:
        params = request.query_params
        skip, limit = int(params.get("offset", "0")), int(params.get("limit", "100"))
        books = store.collection(Book)
        # one more than the page says whether there is a next page: its token is contract work
        found = await _within(
            request,
            lambda kw: (
                books.find({}, **kw).sort("_id", 1).skip(skip).limit(limit + 1).to_list(None)
            ),
        )
        page = offset_page(found, limit, skip, _SCOPE)
        if params.get("populate") == "author":
            await _populate(request, page.docs)
        # `count=none`, or the limit without the count: autoapi's answer is `"total": null`
        counted = with_count and params.get("count") != "none"
        total = None
        if counted:  # the count command's own spelling of the budget
            total = await _within(request, lambda kw: books.count_documents({}, **_count_kw(kw)))
        content: dict[str, Any] = {"total": total, "items": page.docs}
        content.update(next=page.next, prev=page.prev)
        link = link_header(str(request.url), page.next, page.prev)
        return json_response(content, headers={"Link": link} if link else None)

    return list_books


_SCOPE = Scope("/books", effective_sort(()), filter_digest({p: [] for p in FILTER_PARAMS}))


async def _populate(request: Request, docs: list[dict[str, Any]]) -> None:
    """Each book's `author` link → the author, for the whole page in one `$in` query."""
    ids = list({doc["author"].id for doc in docs if doc.get("author") is not None})
    coll = store.collection(Author)
    found = await _within(request, lambda kw: coll.find({"_id": {"$in": ids}}, **kw).to_list(None))
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
        books = store.collection(Book)
        doc = await _within(request, lambda kw: books.find_one({"_id": ident}, **kw))
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
        linked = doc["author"]
        if link_check and linked is not None and not await _author_exists(request, linked):
            return Response(b'{"detail":"no such author"}', 422, media_type="application/json")
        books = store.collection(Book)
        await _within(request, lambda kw: books.insert_one(doc))  # autoapi: no maxTimeMS here
        location = f"{str(request.url).rstrip('/')}/{quote(str(doc['_id']))}"
        headers = {"Location": location}
        if etag:
            headers["ETag"] = conditional.etag(doc, None)
        return json_response(doc, 201, headers)

    return create_book


async def _author_exists(request: Request, ref: DBRef) -> bool:
    authors = store.collection(Author)
    found = await _within(request, lambda kw: authors.find_one({"_id": ref.id}, {"_id": 1}, **kw))
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
