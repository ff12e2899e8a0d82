"""Each app's own CPU per request, with the database taken out.

    python -m bench.overhead [--rounds N] [--quick]

The driver collections are replaced by a stub that answers at once, from documents read
once from the in-memory database (as a driver decodes them: ObjectId ids, DBRef links), and
each app is called as an ASGI app, so what is timed is only the app's code: autoapi, the
hand-written Beanie endpoints and the limit (`bench.limit`, doing the same contract work as
autoapi: the ETag, the link check and the time budget). The apps take turns within every
round; a cell is the median over the rounds with the range, and the ratios are taken within
each round.

On the wire lane an app's CPU also holds what waiting for the server costs it, and that
grows with the number of round trips (see `bench/README.md`): these figures are the part
the code decides.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import types
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from beanie import Document
from bson import DBRef, ObjectId
from starlette.types import ASGIApp

from autoapi import store
from autoapi.store import scope
from bench.apps import autoapi_app, handwritten_app
from bench.asgi import call, per_call_us
from bench.data import open_backend, seed
from bench.fastapi_app import fastapi_app
from bench.limit import limit_app
from bench.models import Author, Book


@dataclass(frozen=True)
class Row:
    label: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    with_count: bool = True  # the limit with the count (else limit-no-count)


class _Cursor:
    def __init__(self, docs: list[dict[str, Any]], limit: int | None) -> None:
        self.docs, self._limit = docs, limit

    def sort(self, *args: Any, **kwargs: Any) -> _Cursor:
        return self

    def skip(self, count: int) -> _Cursor:
        return self

    def limit(self, count: int) -> _Cursor:
        self._limit = count
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.docs[: length or self._limit or len(self.docs)]]


class Stub:
    """The few driver collection methods the three apps call, answering at once."""

    def __init__(self, name: str, docs: list[dict[str, Any]]) -> None:
        self.name, self.docs = name, docs

    def find(self, filter_: Any = None, projection: Any = None, **options: Any) -> _Cursor:
        return _Cursor(self.docs, options.get("limit"))

    async def find_one(self, filter_: Any = None, *args: Any, **options: Any) -> Any:
        return dict(self.docs[0])

    async def count_documents(self, *args: Any, **options: Any) -> int:
        return len(self.docs)

    async def insert_one(self, doc: dict[str, Any], **options: Any) -> Any:
        return types.SimpleNamespace(inserted_id=doc.get("_id"))


def _as_decoded(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as PyMongo decodes it (the in-memory stand-in keeps subclasses)."""
    out = dict(doc)
    out["_id"] = ObjectId(str(doc["_id"]))
    if isinstance(doc.get("author"), DBRef):
        out["author"] = DBRef(doc["author"].collection, ObjectId(str(doc["author"].id)))
    return out


@asynccontextmanager
async def stubbed(n_books: int) -> AsyncIterator[tuple[str, str]]:
    """Seed in memory, read the documents back, and answer from stubs until the block ends;
    yields a book id and an author id."""
    await seed(open_backend("autoapi_overhead"), 20, n_books)
    stubs: dict[str, Stub] = {}
    for model in (Book, Author):
        name = model.get_settings().name
        found = await scope.base_collection(model).find({}).sort("_id", 1).to_list(None)
        stubs[name] = Stub(name, [_as_decoded(doc) for doc in found])
    real = scope.base_collection
    scope.base_collection = lambda model: stubs[model.get_settings().name]  # type: ignore[assignment]
    for model in (Book, Author):
        _point_beanie_at(model, stubs[model.get_settings().name])
    try:
        yield str(stubs["books"].docs[0]["_id"]), str(stubs["authors"].docs[0]["_id"])
    finally:
        scope.base_collection = real  # type: ignore[assignment]
        for model in (Book, Author):
            delattr(model, _BEANIE_COLLECTION)  # Beanie's own, inherited, again


# what Beanie's own queries and inserts ask for the driver collection
_BEANIE_COLLECTION = "get_pymongo_collection" if store.BEANIE_2 else "get_motor_collection"


def _point_beanie_at(model: type[Document], stub: Stub) -> None:
    setattr(model, _BEANIE_COLLECTION, classmethod(lambda cls: stub))


def rows(book: str, author: str) -> list[Row]:
    body = orjson.dumps({"title": "t", "isbn": "1", "pages": 3, "author": author})
    return [
        Row("page of 10, count=none", "GET", "/api/books", b"limit=10&count=none", b"", False),
        Row("page of 100, count=none", "GET", "/api/books", b"limit=100&count=none", b"", False),
        Row("page of 100", "GET", "/api/books", b"limit=100"),
        Row("get one", "GET", f"/api/books/{book}"),
        Row("create one", "POST", "/api/books", b"", body),
    ]


def _spread(values: Sequence[float], digits: int = 0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


async def measure(row: Row, apps: dict[str, ASGIApp], rounds: int, calls: int) -> str:
    for app in apps.values():
        assert await call(app, row.method, row.path, row.query, row.body) in (200, 201), row.label
    times: dict[str, list[float]] = {name: [] for name in apps}
    for turn in range(rounds):
        names = list(apps)[turn % len(apps):] + list(apps)[: turn % len(apps)]
        for name in names:
            times[name].append(
                await per_call_us(apps[name], calls, row.method, row.path, row.query, row.body)
            )
    cells = [_spread(times[name]) for name in apps]
    for other in ("hand-written", "FastAPI", "limit"):
        cells.append(_spread(_ratios(times["autoapi"], times[other]), 2))
    return f"| {row.label} | {' | '.join(cells)} |"


def _ratios(mine: Sequence[float], theirs: Sequence[float]) -> list[float]:
    return [a / b for a, b in zip(mine, theirs, strict=True)]


async def run(rounds: int, calls: int, n_books: int) -> str:
    lines = ["| request | autoapi µs | hand-written µs | FastAPI µs | limit µs "
             "| autoapi / hand-written | autoapi / FastAPI | autoapi / limit |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    async with stubbed(n_books) as (book, author):
        for row in rows(book, author):
            apps = {"autoapi": autoapi_app(), "hand-written": handwritten_app(),
                    "FastAPI": fastapi_app(),
                    "limit": limit_app(row.with_count, etag=True, link_check=True, budget=True)}
            lines.append(await measure(row, apps, rounds, calls))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="rounds per row (median)")
    parser.add_argument("--calls", type=int, default=500, help="requests per app per round")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 20 requests")
    args = parser.parse_args(argv)
    rounds, calls = (3, 20) if args.quick else (args.rounds, args.calls)
    print(asyncio.run(run(rounds, calls, 200)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
