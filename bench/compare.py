"""autoapi against hand-written Starlette + Beanie endpoints and the limit, in one process.

    python -m bench.compare [--quick] [--repeat N]

The apps are served through `httpx.ASGITransport` (no network) on the same data and
backend (in memory, or `MONGODB_URL`), beside the limit (`bench.limit`: the bare driver and
orjson, giving autoapi's very bytes). Each row alternates the apps request by request (the
order flips every time, so drift weighs on all alike) and prints the median time per
request, the medians of the per-request ratios autoapi / hand-written and autoapi / limit,
and the database round trips per request. Peak memory (tracemalloc) is measured for the
large page. In one process the database's own work is in every figure: `bench.load` runs
each app in its own process and reports its CPU alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from autoapi import roundtrips
from bench.apps import autoapi_app, handwritten_app
from bench.data import author_id, book_id, open_backend, seed
from bench.limit import limit_app


@dataclass(frozen=True)
class Sizes:
    authors: int
    books: int
    tiny: int  # the three list page sizes give the cost per document and per request
    small: int  # page size of the small list and of the populated list
    large: int
    repeat: int  # alternated pairs per row
    warmup: int


FULL = Sizes(authors=100, books=2000, tiny=10, small=100, large=1000, repeat=60, warmup=5)
SINGLE_WEIGHT = 5  # a single-document request is cheap: five times the pairs, same time
QUICK = Sizes(authors=10, books=60, tiny=2, small=10, large=50, repeat=3, warmup=1)


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # list | populate | one | create
    method: str
    url: str
    body: dict[str, Any] | None = None
    weight: int = 1  # pairs = repeat x weight: cheap rows get more pairs for the same time


@dataclass(frozen=True)
class Result:
    row: Row
    auto_ms: float
    hand_ms: float
    limit_ms: float
    hand_ratio: float  # median of the per-request ratios autoapi / hand-written
    limit_ratio: float  # median of the per-request ratios autoapi / limit
    trips: tuple[int | None, int | None, int | None]  # autoapi, hand-written, limit


@dataclass(frozen=True)
class Memory:
    label: str
    auto_bytes: int
    hand_bytes: int


def rows(sizes: Sizes) -> list[Row]:
    # create comes last: it grows the collection the list rows count
    new_book = {"title": "A new book", "pages": 321, "tags": ["new"],
                "author": str(author_id(1))}
    return [
        Row(f"list of {sizes.tiny}", "list", "GET", f"/api/books?limit={sizes.tiny}"),
        Row(f"list of {sizes.small}", "list", "GET", f"/api/books?limit={sizes.small}"),
        Row(f"list of {sizes.large}", "list", "GET", f"/api/books?limit={sizes.large}"),
        Row(f"list of {sizes.small}, populate=author", "populate", "GET",
            f"/api/books?limit={sizes.small}&populate=author"),
        Row("get one", "one", "GET", f"/api/books/{book_id(7)}", weight=SINGLE_WEIGHT),
        Row("create one", "create", "POST", "/api/books", new_book, weight=SINGLE_WEIGHT),
    ]


async def send(client: httpx.AsyncClient, row: Row) -> httpx.Response:
    return await client.request(row.method, row.url, json=row.body)


async def timed(client: httpx.AsyncClient, row: Row) -> float:
    start = time.perf_counter()
    response = await send(client, row)
    elapsed = time.perf_counter() - start
    if response.status_code >= 300:
        raise RuntimeError(f"{row.label}: {response.status_code} {response.text[:200]}")
    return elapsed


Clients = tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient]  # auto, hand, limit


async def measure_row(apps: Clients, row: Row, sizes: Sizes) -> Result:
    check_same(row, *[await send(client, row) for client in apps])
    for _ in range(sizes.warmup):
        for client in apps:
            await timed(client, row)
    times: list[list[float]] = [[], [], []]
    gc.collect()
    for i in range(sizes.repeat * row.weight):
        order = (0, 1, 2) if i % 2 == 0 else (2, 1, 0)  # drift weighs on every app alike
        for k in order:
            times[k].append(await timed(apps[k], row))
    auto, hand, limit = times
    trips = [await round_trips(client, row) for client in apps]
    return Result(
        row, *(statistics.median(t) * 1000 for t in times),
        statistics.median([a / h for a, h in zip(auto, hand, strict=True)]),
        statistics.median([a / m for a, m in zip(auto, limit, strict=True)]),
        (trips[0], trips[1], trips[2]),
    )


async def round_trips(client: httpx.AsyncClient, row: Row) -> int | None:
    """The database commands one request sends; None where nothing counted them (an
    in-memory database sees only autoapi's own tally)."""
    with roundtrips.counting() as trips:
        await send(client, row)
    return len(trips) or None


async def peak_memory(client: httpx.AsyncClient, row: Row) -> int:
    """The peak of memory allocated while one request is served (smallest of three)."""
    peaks = []
    for _ in range(3):
        gc.collect()
        tracemalloc.start()
        await send(client, row)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return min(peaks)


def check_same(
    row: Row, auto: httpx.Response, hand: httpx.Response, limit: httpx.Response
) -> None:
    """All three apps must answer the same thing, or the comparison means nothing; the
    limit answers autoapi's very bytes (bar the new id of a created document)."""
    assert auto.status_code == hand.status_code == limit.status_code, (row.label, auto.status_code,
                                                                        hand.status_code,
                                                                        limit.status_code)
    a, m = auto.json(), limit.json()
    check_documents(row, a, hand.json())
    if row.kind == "create":
        assert {**m, "_id": a["_id"], "created": a["created"]} == a, row.label
    else:
        assert auto.content == limit.content, (row.label, auto.text[:300], limit.text[:300])


def check_documents(row: Row, auto: Any, other: Any) -> None:
    """A Beanie app answers the documents autoapi answers, in its own shape (an `id` or an
    `_id`, a link as `{"id", "collection"}`)."""
    if row.kind == "create":
        assert (auto["title"], auto["author"]) == (other["title"], other["author"]["id"]), row.label
    elif row.kind == "one":
        assert (auto["_id"], auto["title"]) == (_id(other), other["title"]), row.label
    else:
        assert auto["total"] == other["total"], row.label
        assert [d["_id"] for d in auto["items"]] == [_id(d) for d in other["items"]], row.label
        if row.kind == "populate":
            assert [d["author"]["name"] for d in auto["items"]] == \
                   [d["author"]["name"] for d in other["items"]], row.label


def _id(doc: dict[str, Any]) -> Any:
    return doc["_id"] if "_id" in doc else doc["id"]


async def contract_work(auto: httpx.AsyncClient) -> tuple[bool, bool]:
    """What autoapi does beyond the bare driver, for the limit to do too: (an ETag on a single
    document, a check on create that the linked document exists)."""
    etag = "etag" in (await auto.get(f"/api/books/{book_id(7)}")).headers
    probe = {"title": "probe", "author": str(author_id(10**6))}  # an author nobody seeded
    created = await auto.post("/api/books", json=probe)
    if created.status_code == 201:
        await auto.delete(f"/api/books/{created.json()['_id']}")
    return etag, created.status_code == 422


def clients(link_etag: tuple[bool, bool]) -> Clients:
    apps = (autoapi_app(), handwritten_app(), limit_app(True, *reversed(link_etag)))
    made = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b")
            for app in apps]
    return made[0], made[1], made[2]


async def run(sizes: Sizes, only: str = "") -> tuple[str, list[Result], Memory | None]:
    backend = open_backend()
    try:
        await seed(backend, sizes.authors, sizes.books)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=autoapi_app()),
                                     base_url="http://b") as probe:
            work = await contract_work(probe)
        apps = clients(work)
        try:
            table = rows(sizes)
            chosen = [row for row in table if only in row.label]
            results = [await measure_row(apps, row, sizes) for row in chosen]
            large = table[2]
            memory = None
            if large in chosen:
                memory = Memory(large.label, await peak_memory(apps[0], large),
                                await peak_memory(apps[1], large))
        finally:
            for client in apps:
                await client.aclose()
        return backend.name, results, memory
    finally:
        await backend.close()


def format_table(results: Sequence[Result], memory: Memory | None) -> str:
    lines = [
        "| request | autoapi ms | hand-written ms | limit ms | autoapi / hand-written | "
        "autoapi / limit | round trips autoapi | hand-written | limit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        trips = " | ".join(_trips(n) for n in r.trips)
        lines.append(f"| {r.row.label} | {r.auto_ms:.2f} | {r.hand_ms:.2f} | {r.limit_ms:.2f} | "
                     f"{r.hand_ratio:.2f} | {r.limit_ratio:.2f} | {trips} |")
    if memory is None:
        return "\n".join(lines)
    lines.append("")
    lines.append(f"Peak memory for one {memory.label} request (tracemalloc): "
                 f"autoapi {_mib(memory.auto_bytes)}, hand-written {_mib(memory.hand_bytes)} "
                 f"(ratio {memory.auto_bytes / memory.hand_bytes:.2f}).")
    return "\n".join(lines)


def _trips(n: int | None) -> str:
    return "n/a" if n is None else str(n)


def _mib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB"


def describe(backend: str, sizes: Sizes) -> str:
    return (f"backend: {backend}; {sizes.books} books, {sizes.authors} authors; "
            f"{sizes.repeat} alternated pairs per list row and {sizes.repeat * SINGLE_WEIGHT} "
            f"per single-document row, after {sizes.warmup} warm-up pairs; "
            f"Python {platform.python_version()}, {os.cpu_count()} cores")


def parse_args(argv: Sequence[str] | None) -> tuple[Sizes, str]:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--repeat", type=int, help="alternated pairs per row")
    parser.add_argument("--only", default="", help="run only the rows whose label contains this")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        if args.repeat < 1:
            parser.error("--repeat must be at least 1")
        sizes = Sizes(sizes.authors, sizes.books, sizes.tiny, sizes.small, sizes.large, args.repeat,
                      sizes.warmup)
    return sizes, args.only


def main(argv: Sequence[str] | None = None) -> int:
    sizes, only = parse_args(argv)
    backend, results, memory = asyncio.run(run(sizes, only))
    print(describe(backend, sizes))
    print()
    print(format_table(results, memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
