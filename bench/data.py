"""The benchmark's database: a backend, deterministic data, and a round-trip counter.

mongomock-motor by default; `MONGODB_URL` selects a real server. Round trips are counted
by wrapping the collection methods on mongomock, and with a pymongo `CommandListener` on a
real server (which also sees the `getMore` commands a large page may need).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from beanie import init_beanie
from bson import ObjectId
from pymongo import monitoring

from bench.models import MODELS, Author, Book

MONGODB_URL = os.environ.get("MONGODB_URL")
DATABASE = "autoapi_bench"

# The collection methods that each cost one round trip on a real server.
COLLECTION_CALLS = (
    "aggregate", "bulk_write", "count_documents", "delete_many", "delete_one", "distinct",
    "estimated_document_count", "find", "find_one", "find_one_and_delete",
    "find_one_and_replace", "find_one_and_update", "insert_many", "insert_one", "replace_one",
    "update_many", "update_one",
)
# Driver housekeeping that is not a query of the endpoint.
NOT_QUERIES = frozenset({"hello", "ismaster", "isMaster", "endSessions", "ping", "buildinfo",
                         "buildInfo", "saslStart", "saslContinue"})


@dataclass
class RoundTrips:
    """Counts database round trips while `counting()` is active."""

    count: int = 0
    active: bool = False
    patch: Callable[[RoundTrips], Callable[[], None]] | None = None

    @contextmanager
    def counting(self) -> Iterator[RoundTrips]:
        self.count, self.active = 0, True
        restore = self.patch(self) if self.patch else None
        try:
            yield self
        finally:
            self.active = False
            if restore:
                restore()


class _Listener(monitoring.CommandListener):
    def __init__(self, trips: RoundTrips) -> None:
        self.trips = trips

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.trips.active and event.command_name not in NOT_QUERIES:
            self.trips.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Backend:
    """An open database with its round-trip counter."""

    name: str
    db: Any
    trips: RoundTrips
    client: Any = field(repr=False, default=None)

    def close(self) -> None:
        if MONGODB_URL and self.client is not None:
            self.client.close()


def open_backend(database: str = DATABASE) -> Backend:
    trips = RoundTrips()
    if MONGODB_URL:
        from motor.motor_asyncio import AsyncIOMotorClient

        server: Any = AsyncIOMotorClient(MONGODB_URL, event_listeners=[_Listener(trips)])
        return Backend("MongoDB (MONGODB_URL)", server[database], trips, server)
    from mongomock_motor import AsyncMongoMockClient

    client: Any = AsyncMongoMockClient()
    db = client[database]
    trips.patch = lambda t: _wrap_collection_class(type(db["probe"]), t)
    return Backend("mongomock-motor (in memory)", db, trips, client)


def _wrap_collection_class(cls: type, trips: RoundTrips) -> Callable[[], None]:
    """Count every call of the round-trip methods of the mongomock collection class."""
    saved = {name: cls.__dict__.get(name) for name in COLLECTION_CALLS}

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            trips.count += 1
            return method(self, *args, **kwargs)

        return call

    for name in COLLECTION_CALLS:
        setattr(cls, name, counted(getattr(cls, name)))

    def restore() -> None:
        for name, original in saved.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)

    return restore


def author_id(i: int) -> ObjectId:
    return ObjectId(f"{1:08x}{i:016x}")


def book_id(i: int) -> ObjectId:
    return ObjectId(f"{2:08x}{i:016x}")


async def seed(backend: Backend, n_authors: int, n_books: int) -> None:
    """Fresh collections with `n_books` books spread over `n_authors` authors."""
    await init_beanie(database=backend.db, document_models=MODELS)
    for model in MODELS:
        await model.get_motor_collection().delete_many({})
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    authors = [_author(i, start) for i in range(n_authors)]
    await Author.insert_many(authors)
    await Book.insert_many([_book(i, authors[i % n_authors], start) for i in range(n_books)])


def _author(i: int, start: datetime.datetime) -> Author:
    return Author(id=author_id(i), name=f"Author {i}", email=f"author{i}@example.org",
                  born=datetime.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                  biography="Writes books. " * 4, created=start + datetime.timedelta(days=i))


def _book(i: int, author: Author, start: datetime.datetime) -> Book:
    return Book(id=book_id(i), title=f"Book number {i}", isbn=f"978-{i:010d}", pages=100 + i % 500,
                price=round(5 + (i % 40) * 0.75, 2), isGood=i % 3 == 0,
                tags=["fiction", f"tag{i % 7}"], author=author,  # type: ignore[arg-type]
                created=start + datetime.timedelta(hours=i))
