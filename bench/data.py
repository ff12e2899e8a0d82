"""The benchmark's database: a backend, deterministic data, and a round-trip counter.

The lane's in-memory stand-in by default (tests/backends.py); `MONGODB_URL` selects a server.
Round trips are counted by wrapping the collection methods on mongomock, and with a pymongo
`CommandListener` on a real server (which also sees the `getMore` commands a large page may
need).

On mongomock the database runs inside the process, so the same wrappers (and wrappers on
the cursor reads) also time it: what is left is the app's own work. On a real server the
database works elsewhere while the app awaits it, and no such time is taken.
"""

from __future__ import annotations

import datetime
import inspect
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from beanie import init_beanie
from bson import ObjectId
from pymongo import monitoring
from tests.backends import close_client, new_client, raw_collection

from bench.models import MODELS, Author, Book

MONGODB_URL = os.environ.get("MONGODB_URL")
DATABASE = "autoapi_bench"
SEED_BATCH = 200  # one large insert_many stalls the wire server

# The collection methods that each cost one round trip on a real server.
COLLECTION_CALLS = (
    "aggregate", "bulk_write", "count_documents", "delete_many", "delete_one", "distinct",
    "estimated_document_count", "find", "find_one", "find_one_and_delete",
    "find_one_and_replace", "find_one_and_update", "insert_many", "insert_one", "replace_one",
    "update_many", "update_one",
)
# The cursor methods that read results (mongomock does the query's work there).
CURSOR_READS = ("to_list", "next", "__anext__")
# Driver housekeeping that is not a query of the endpoint.
NOT_QUERIES = frozenset({"hello", "ismaster", "isMaster", "endSessions", "ping", "buildinfo",
                         "buildInfo", "saslStart", "saslContinue"})


@dataclass
class RoundTrips:
    """Counts database round trips while `counting()` is active (and times them on mongomock).

    `seconds` is None where the database time is not measured (a real server).
    """

    count: int = 0
    seconds: float | None = None
    active: bool = False
    patch: Callable[[RoundTrips], Callable[[], None]] | None = None

    @contextmanager
    def counting(self) -> Iterator[RoundTrips]:
        self.count, self.active = 0, True
        self.seconds = 0.0 if self.patch else None
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

    async def close(self) -> None:
        """Drop the benchmark's database from a real server, and disconnect."""
        if MONGODB_URL and self.client is not None:
            await self.client.drop_database(self.db.name)
            await close_client(self.client)


def open_backend(database: str = DATABASE) -> Backend:
    trips = RoundTrips()
    if MONGODB_URL:
        server: Any = new_client(MONGODB_URL, event_listeners=[_Listener(trips)])
        return Backend("MongoDB (MONGODB_URL)", server[database], trips, server)
    client: Any = new_client(None)
    db = client[database]
    collection_class = type(db["probe"])
    cursor_class = type(db["probe"].find())
    trips.patch = lambda t: _wrap_mongomock(collection_class, cursor_class, t)
    return Backend("in-memory stand-in", db, trips, client)


def _wrap_mongomock(collection: type, cursor: type, trips: RoundTrips) -> Callable[[], None]:
    """Count and time the round-trip methods; time the cursor reads. Returns the undo."""
    undo = [_wrap_class(collection, COLLECTION_CALLS, trips, counts=True),
            _wrap_class(cursor, CURSOR_READS, trips, counts=False)]

    def restore_all() -> None:
        for restore in undo:
            restore()

    return restore_all


def _wrap_class(
    cls: type, names: tuple[str, ...], trips: RoundTrips, counts: bool
) -> Callable[[], None]:
    saved = {name: cls.__dict__.get(name) for name in names}
    for name in names:
        setattr(cls, name, _timed(getattr(cls, name), trips, counts))

    def restore() -> None:
        for name, original in saved.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)

    return restore


def _timed(method: Callable[..., Any], trips: RoundTrips, counts: bool) -> Callable[..., Any]:
    def add(start: float) -> None:
        trips.seconds = (trips.seconds or 0.0) + time.perf_counter() - start

    if inspect.iscoroutinefunction(method):

        async def call_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            trips.count += counts
            start = time.perf_counter()
            try:
                return await method(self, *args, **kwargs)
            finally:
                add(start)

        return call_async

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        trips.count += counts
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            add(start)

    return call


def author_id(i: int) -> ObjectId:
    return ObjectId(f"{1:08x}{i:016x}")


def book_id(i: int) -> ObjectId:
    return ObjectId(f"{2:08x}{i:016x}")


async def seed(backend: Backend, n_authors: int, n_books: int) -> None:
    """Fresh collections with `n_books` books spread over `n_authors` authors."""
    await init_beanie(database=backend.db, document_models=MODELS)
    for model in MODELS:
        await raw_collection(model).delete_many({})
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    authors = [_author(i, start) for i in range(n_authors)]
    books = [_book(i, authors[i % n_authors], start) for i in range(n_books)]
    for documents in (authors, books):
        for first in range(0, len(documents), SEED_BATCH):
            await type(documents[0]).insert_many(documents[first : first + SEED_BATCH])


def _author(i: int, start: datetime.datetime) -> Author:
    return Author(id=author_id(i), name=f"Author {i}", email=f"author{i}@example.org",
                  born=datetime.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                  biography="Writes books. " * 4, created=start + datetime.timedelta(days=i))


def _book(i: int, author: Author, start: datetime.datetime) -> Book:
    return Book(id=book_id(i), title=f"Book number {i}", isbn=f"978-{i:010d}", pages=100 + i % 500,
                price=round(5 + (i % 40) * 0.75, 2), isGood=i % 3 == 0,
                tags=["fiction", f"tag{i % 7}"], author=author,  # type: ignore[arg-type]
                created=start + datetime.timedelta(hours=i))
