"""The benchmark's database: a client for the installed Beanie line, and deterministic data.

In memory by default (pymongo-async-mock on Beanie 2, mongomock-motor on Beanie 1.30);
`MONGODB_URL` selects a real server, reached with PyMongo's `AsyncMongoClient` on Beanie 2
and Motor on Beanie 1.30. On a real server a `roundtrips.CommandCounter` sees every command
the driver sends; in memory the database module tallies the commands it would send.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

import beanie
from beanie import init_beanie
from bson import ObjectId
from sample_app.database import close as close_client
from sample_app.database import database_client

from autoapi import store
from autoapi.roundtrips import CommandCounter
from bench.models import MODELS, Author, Book

MONGODB_URL = os.environ.get("MONGODB_URL")
DATABASE = "autoapi_bench"
BATCH = 1000  # documents per insert_many: one huge insert stalls a wire-protocol server
BEANIE_LINE = f"Beanie {beanie.__version__}"


@dataclass
class Backend:
    """An open database; `real` when it is a server (round trips seen on the wire)."""

    name: str
    db: Any
    real: bool
    client: Any = field(repr=False, default=None)

    async def close(self, drop: bool = True) -> None:
        """Drop the benchmark's database from a real server (unless told not to), disconnect."""
        if self.real and drop:
            await self.client.drop_database(self.db.name)
        await close_client(self.client)


def open_backend(database: str = DATABASE) -> Backend:
    """The database `database` on `MONGODB_URL`, or in memory."""
    if MONGODB_URL:
        client = _server_client(MONGODB_URL)
        return Backend(f"MongoDB wire protocol at MONGODB_URL, {BEANIE_LINE}",
                       client[database], True, client)
    client = database_client(None, 5000)
    return Backend(f"in memory ({type(client).__module__}), {BEANIE_LINE}",
                   client[database], False, client)


def _server_client(url: str) -> Any:
    listeners = [CommandCounter()]
    if store.BEANIE_2:
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(url, event_listeners=listeners)
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient(url, event_listeners=listeners)


def author_id(i: int) -> ObjectId:
    return ObjectId(f"{1:08x}{i:016x}")


def book_id(i: int) -> ObjectId:
    return ObjectId(f"{2:08x}{i:016x}")


async def seed(backend: Backend, n_authors: int, n_books: int) -> None:
    """Fresh collections with `n_books` books spread over `n_authors` authors."""
    await init_beanie(database=backend.db, document_models=MODELS)
    for model in MODELS:
        await store.collection(model).delete_many({})
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    authors = [_author(i, start) for i in range(n_authors)]
    for first in range(0, n_authors, BATCH):
        await Author.insert_many(authors[first : first + BATCH])
    for first in range(0, n_books, BATCH):
        last = min(first + BATCH, n_books)
        books = [_book(i, authors[i % n_authors], start) for i in range(first, last)]
        await Book.insert_many(books)


async def reset(backend: Backend, n_authors: int, n_books: int) -> bool:
    """Reuse data `seed` left: delete the books added since (their ids sort after the seeded
    ones); False when the seeded data is not all there."""
    await init_beanie(database=backend.db, document_models=MODELS)
    books, authors = store.collection(Book), store.collection(Author)
    await books.delete_many({"_id": {"$gt": book_id(n_books - 1)}})
    counts = (await authors.count_documents({}), await books.count_documents({}))
    return counts == (n_authors, n_books)


async def attach(backend: Backend) -> None:
    """Use the data another process seeded (a real server)."""
    await init_beanie(database=backend.db, document_models=MODELS)


def _author(i: int, start: datetime.datetime) -> Author:
    return Author(id=author_id(i), name=f"Author {i}", email=f"author{i}@example.org",
                  born=datetime.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                  biography="Writes books. " * 4, created=start + datetime.timedelta(days=i))


def _book(i: int, author: Author, start: datetime.datetime) -> Book:
    return Book(id=book_id(i), title=f"Book number {i}", isbn=f"978-{i:010d}", pages=100 + i % 500,
                price=round(5 + (i % 40) * 0.75, 2), isGood=i % 3 == 0,
                tags=["fiction", f"tag{i % 7}"], author=author,  # type: ignore[arg-type]
                created=start + datetime.timedelta(hours=i))
