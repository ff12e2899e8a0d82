"""How many database commands does `GET /books?limit=N&populate=author,coauthor` cost?

Run from the repository root::

    python -m bench.populate_queries                 # in memory: autoapi's own tally
    MONGODB_URL=mongodb://localhost:27017 python -m bench.populate_queries   # a real server

In memory autoapi's database module tallies each command it would send (the stand-in has
no wire protocol). On a real server pymongo command monitoring counts what goes over the
wire, `getMore` included. Populate must cost the same for every page size: one
`{"_id": {"$in": [...]}}` query per link path (here one, since both links point at
`authors`), never one per document.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from beanie import Document, Link, init_beanie
from bson import DBRef, ObjectId
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI, roundtrips, store
from bench.data import BATCH, MONGODB_URL, open_backend

PAGE_SIZES = (10, 100, 1000)


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


def client_for(api: AutoAPI) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/api", app=api)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def seed(books: int) -> None:
    """`books` books, each with its own author and the next book's author as coauthor."""
    authors = [{"_id": ObjectId(), "name": f"author {i}"} for i in range(books)]
    await _insert_batched(BenchAuthor, authors)
    await _insert_batched(BenchBook, [
        {"title": f"book {i:04}",
         "author": DBRef("authors", authors[i]["_id"]),
         "coauthor": DBRef("authors", authors[(i + 1) % books]["_id"])}
        for i in range(books)
    ])


async def _insert_batched(model: type[Document], docs: list[dict[str, Any]]) -> None:
    for first in range(0, len(docs), BATCH):
        await store.collection(model).insert_many(docs[first : first + BATCH])


async def get_page(client: httpx.AsyncClient, size: int) -> None:
    """One request; checks that the page really came back populated."""
    resp = await client.get("/api/books", params={"limit": size, "populate": "author,coauthor"})
    resp.raise_for_status()
    items = resp.json()["items"]
    assert len(items) == size, (len(items), size)
    assert all(isinstance(b["author"], dict) and isinstance(b["coauthor"], dict) for b in items)


async def count_calls(sizes: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """`(collection, command)` per page size: in memory (autoapi's own tally) or, with
    `MONGODB_URL`, what the server receives (a `CommandCounter` on the client)."""
    backend = open_backend(f"autoapi_bench_{uuid.uuid4().hex[:8]}")
    try:
        await init_beanie(database=backend.db, document_models=MODELS)
        await seed(max(sizes))
        out: dict[int, list[tuple[str, str]]] = {}
        async with client_for(AutoAPI(models=MODELS, max_limit=max(sizes))) as client:
            for size in sizes:
                with roundtrips.counting() as trips:
                    await get_page(client, size)
                out[size] = list(trips.calls)
        return out
    finally:
        await backend.close()


def print_table(title: str, rows: dict[int, list[Any]]) -> None:
    print(f"\n{title}\n{'N':>6} | commands | which")
    for size, calls in rows.items():
        which = ", ".join(f"{command}({coll})" for coll, command in calls)
        print(f"{size:>6} | {len(calls):>8} | {which}")


def is_constant(rows: dict[int, list[Any]]) -> bool:
    return len({len(calls) for calls in rows.values()}) == 1


async def main() -> int:
    counted = await count_calls(PAGE_SIZES)
    where = "MongoDB at MONGODB_URL (pymongo command monitoring)" if MONGODB_URL else \
        "in memory (autoapi's tally of the commands it sends; set MONGODB_URL for a server)"
    print_table(where, counted)
    constant = is_constant(counted)
    print("\nconstant across page sizes:", "yes" if constant else "NO")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
