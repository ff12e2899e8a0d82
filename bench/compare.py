"""autoapi against hand-written Starlette + Beanie endpoints, in one process.

    python -m bench.compare [--quick] [--repeat N]

Both apps are served through `httpx.ASGITransport` (no network) on the same data and
backend (mongomock-motor, or `MONGODB_URL`). Each row alternates the two apps request by
request (the first of each pair alternates too, so drift hits both alike) and prints the
median time per request, the median of the per-pair ratios autoapi / hand-written, and the
database round trips per request. Peak memory (tracemalloc) is measured for the large page.
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

from bench.apps import autoapi_app, handwritten_app
from bench.data import Backend, author_id, book_id, open_backend, seed


@dataclass(frozen=True)
class Sizes:
    authors: int
    books: int
    small: int  # page size of the small list and of the populated list
    large: int
    repeat: int  # alternated pairs per row
    warmup: int


FULL = Sizes(authors=100, books=2000, small=100, large=1000, repeat=60, warmup=5)
SINGLE_WEIGHT = 5  # a single-document request is cheap: five times the pairs, same time
QUICK = Sizes(authors=10, books=60, small=10, large=50, repeat=3, warmup=1)


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # list | populate | one | create
    method: str
    url: str
    body: dict[str, Any] | None = None
    weight: int = 1  # pairs = repeat x weight: cheap rows get more pairs for the same time


@dataclass(frozen=True)
class Split:
    """Round trips per request, and the median time spent outside the database."""

    trips: int
    own_ms: float | None  # None where the database time is not measured


@dataclass(frozen=True)
class Result:
    row: Row
    auto_ms: float
    hand_ms: float
    ratio: float
    auto: Split
    hand: Split


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


async def measure_row(
    auto: httpx.AsyncClient, hand: httpx.AsyncClient, row: Row, sizes: Sizes, backend: Backend
) -> Result:
    check_same(row, await send(auto, row), await send(hand, row))
    for _ in range(sizes.warmup):
        await timed(auto, row)
        await timed(hand, row)
    auto_times: list[float] = []
    hand_times: list[float] = []
    gc.collect()
    for i in range(sizes.repeat * row.weight):
        if i % 2:
            hand_times.append(await timed(hand, row))
            auto_times.append(await timed(auto, row))
        else:
            auto_times.append(await timed(auto, row))
            hand_times.append(await timed(hand, row))
    ratios = [a / h for a, h in zip(auto_times, hand_times, strict=True)]
    pairs = max(3, min(30, sizes.repeat * row.weight))
    return Result(row, statistics.median(auto_times) * 1000, statistics.median(hand_times) * 1000,
                  statistics.median(ratios), await split(auto, row, backend, pairs),
                  await split(hand, row, backend, pairs))


async def split(client: httpx.AsyncClient, row: Row, backend: Backend, times: int) -> Split:
    """Count round trips and, on mongomock, take the database's time out of each request."""
    trips_seen: list[int] = []
    own: list[float] = []
    for _ in range(times):
        with backend.trips.counting() as trips:
            start = time.perf_counter()
            await send(client, row)
            total = time.perf_counter() - start
        trips_seen.append(trips.count)
        if trips.seconds is not None:
            own.append(total - trips.seconds)
    return Split(max(trips_seen), statistics.median(own) * 1000 if own else None)


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


def check_same(row: Row, auto: httpx.Response, hand: httpx.Response) -> None:
    """Both apps must answer the same thing, or the comparison means nothing."""
    assert auto.status_code == hand.status_code, (row.label, auto.status_code, hand.status_code)
    a, h = auto.json(), hand.json()
    if row.kind in ("list", "populate"):
        assert a["total"] == h["total"], row.label
        assert [d["_id"] for d in a["items"]] == [d["id"] for d in h["items"]], row.label
        if row.kind == "populate":
            assert [d["author"]["name"] for d in a["items"]] == \
                   [d["author"]["name"] for d in h["items"]], row.label
    elif row.kind == "one":
        assert (a["_id"], a["title"]) == (h["id"], h["title"]), row.label
    else:
        assert (a["title"], a["author"]) == (h["title"], h["author"]["id"]), row.label


async def run(sizes: Sizes, only: str = "") -> tuple[str, list[Result], Memory | None]:
    backend = open_backend()
    try:
        await seed(backend, sizes.authors, sizes.books)
        transport_auto = httpx.ASGITransport(app=autoapi_app())
        transport_hand = httpx.ASGITransport(app=handwritten_app())
        async with (httpx.AsyncClient(transport=transport_auto, base_url="http://a") as auto,
                    httpx.AsyncClient(transport=transport_hand, base_url="http://h") as hand):
            table = rows(sizes)
            chosen = [row for row in table if only in row.label]
            results = [await measure_row(auto, hand, row, sizes, backend) for row in chosen]
            large = table[1]
            memory = None
            if large in chosen:
                memory = Memory(large.label, await peak_memory(auto, large),
                                await peak_memory(hand, large))
        return backend.name, results, memory
    finally:
        await backend.close()


def format_table(results: Sequence[Result], memory: Memory | None) -> str:
    lines = [
        "| request | autoapi ms | hand-written ms | ratio | autoapi ms outside the db | "
        "hand-written ms outside the db | round trips autoapi | round trips hand-written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.row.label} | {r.auto_ms:.2f} | {r.hand_ms:.2f} | {r.ratio:.2f} | "
                     f"{_ms(r.auto.own_ms)} | {_ms(r.hand.own_ms)} | "
                     f"{r.auto.trips} | {r.hand.trips} |")
    if memory is None:
        return "\n".join(lines)
    lines.append("")
    lines.append(f"Peak memory for one {memory.label} request (tracemalloc): "
                 f"autoapi {_mib(memory.auto_bytes)}, hand-written {_mib(memory.hand_bytes)} "
                 f"(ratio {memory.auto_bytes / memory.hand_bytes:.2f}).")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


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
        sizes = Sizes(sizes.authors, sizes.books, sizes.small, sizes.large, args.repeat,
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
