"""How many database commands does `GET /books?limit=N&populate=author,coauthor` cost?

Run from the repository root::

    python -m bench.populate_queries                 # mongomock-motor, counting wrapper
    MONGODB_URL=mongodb://localhost:27017 python -m bench.populate_queries   # + a real server

On mongomock every call to a motor collection method is counted (the stand-in has no wire
protocol). On a real server pymongo command monitoring counts what goes over the wire,
`getMore` and `killCursors` included. Populate must cost the same for every page size: one
`{"_id": {"$in": [...]}}` query per link path (here one, since both links point at
`authors`), never one per document.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from beanie import Document, Link, init_beanie
from bson import DBRef, ObjectId
from pymongo import monitoring
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.backends import insert_batched, new_client, raw_collection

from autoapi import AutoAPI

PAGE_SIZES = (10, 100, 1000)
COUNTED_METHODS = (
    "find", "find_one", "count_documents", "estimated_document_count", "aggregate",
    "distinct", "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
)
# Connection housekeeping, not work done for the request.
NOT_REQUEST_COMMANDS = frozenset({
    "hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo",
    "saslStart", "saslContinue", "getLastError",
})


class BenchAuthor(Document):
    name: str

    class Settings:
        name = "authors"


class BenchBook(Document):
    title: str
    author: Link[BenchAuthor] | None = None
    coauthor: Link[BenchAuthor] | None = None

    class Settings:
        name = "books"


MODELS: list[type[Document]] = [BenchAuthor, BenchBook]


@dataclass
class CallCounter:
    """Counts calls to motor collection methods: `(collection, method)` per call."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    filters: list[Any] = field(default_factory=list)  # the filter each call was given

    @contextmanager
    def counting(self, collection_type: type) -> Iterator[CallCounter]:
        """Wrap the read methods of `collection_type` (the motor or mongomock class)."""
        originals = {n: getattr(collection_type, n) for n in COUNTED_METHODS
                     if hasattr(collection_type, n)}
        for name, original in originals.items():
            setattr(collection_type, name, self._wrap(name, original))
        try:
            yield self
        finally:
            for name, original in originals.items():
                setattr(collection_type, name, original)

    def _wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(collection: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls.append((collection.name, name))
            self.filters.append(args[0] if args else kwargs.get("filter"))
            return original(collection, *args, **kwargs)

        return counted


class CommandCounter(monitoring.CommandListener):
    """pymongo command monitoring: the commands a real server receives for one database."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database and event.command_name not in NOT_REQUEST_COMMANDS:
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def client_for(api: AutoAPI) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/api", app=api)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def seed(books: int) -> None:
    """`books` books, each with its own author and the next book's author as coauthor."""
    authors = [{"_id": ObjectId(), "name": f"author {i}"} for i in range(books)]
    await insert_batched(raw_collection(BenchAuthor), authors)
    await insert_batched(raw_collection(BenchBook), [
        {"title": f"book {i:04}",
         "author": DBRef("authors", authors[i]["_id"]),
         "coauthor": DBRef("authors", authors[(i + 1) % books]["_id"])}
        for i in range(books)
    ])


async def get_page(client: httpx.AsyncClient, size: int) -> None:
    """One request; checks that the page really came back populated."""
    resp = await client.get("/api/books", params={"limit": size, "populate": "author,coauthor"})
    resp.raise_for_status()
    items = resp.json()["items"]
    assert len(items) == size, (len(items), size)
    assert all(isinstance(b["author"], dict) and isinstance(b["coauthor"], dict) for b in items)


async def count_mongomock(sizes: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Calls per page size on mongomock-motor."""
    db: Any = new_client(None)["autoapi_bench"]
    await init_beanie(database=db, document_models=MODELS)
    await seed(max(sizes))
    out: dict[int, list[tuple[str, str]]] = {}
    async with client_for(AutoAPI(models=MODELS, max_limit=max(sizes))) as client:
        for size in sizes:
            counter = CallCounter()
            with counter.counting(type(raw_collection(BenchBook))):
                await get_page(client, size)
            out[size] = counter.calls
    return out


async def count_server(url: str, sizes: Sequence[int]) -> dict[int, list[str]]:
    """Commands per page size on a real server, by pymongo command monitoring."""
    name = f"autoapi_bench_{uuid.uuid4().hex[:8]}"
    listener = CommandCounter(name)
    mongo: Any = new_client(url, event_listeners=[listener])
    try:
        await init_beanie(database=mongo[name], document_models=MODELS)
        await seed(max(sizes))
        out: dict[int, list[str]] = {}
        async with client_for(AutoAPI(models=MODELS, max_limit=max(sizes))) as client:
            for size in sizes:
                listener.commands.clear()
                await get_page(client, size)
                out[size] = list(listener.commands)
        return out
    finally:
        await mongo.drop_database(name)
        mongo.close()


def print_table(title: str, rows: dict[int, list[Any]]) -> None:
    print(f"\n{title}\n{'N':>6} | commands | which")
    for size, calls in rows.items():
        which = ", ".join(c if isinstance(c, str) else f"{c[1]}({c[0]})" for c in calls)
        print(f"{size:>6} | {len(calls):>8} | {which}")


def is_constant(rows: dict[int, list[Any]]) -> bool:
    return len({len(calls) for calls in rows.values()}) == 1


async def main() -> int:
    mock = await count_mongomock(PAGE_SIZES)
    print_table("mongomock-motor (counting wrapper on collection methods)", mock)
    constant = is_constant(mock)
    url = os.environ.get("MONGODB_URL")
    if url:
        server = await count_server(url, PAGE_SIZES)
        print_table(f"MongoDB at {url} (pymongo command monitoring)", server)
        constant = constant and is_constant(server)
    else:
        print("\n(set MONGODB_URL to also count the commands a real server receives)")
    print("\nconstant across page sizes:", "yes" if constant else "NO")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
