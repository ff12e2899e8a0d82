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
QUICK = Sizes(authors=10, books=60, small=10, large=50, repeat=3, warmup=1)


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # list | populate | one | create
    method: str
    url: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Result:
    row: Row
    auto_ms: float
    hand_ms: float
    ratio: float
    auto_trips: int
    hand_trips: int


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
        Row("get one", "one", "GET", f"/api/books/{book_id(7)}"),
        Row("create one", "create", "POST", "/api/books", new_book),
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
    for i in range(sizes.repeat):
        if i % 2:
            hand_times.append(await timed(hand, row))
            auto_times.append(await timed(auto, row))
        else:
            auto_times.append(await timed(auto, row))
            hand_times.append(await timed(hand, row))
    ratios = [a / h for a, h in zip(auto_times, hand_times, strict=True)]
    return Result(row, statistics.median(auto_times) * 1000, statistics.median(hand_times) * 1000,
                  statistics.median(ratios), await round_trips(auto, row, backend),
                  await round_trips(hand, row, backend))


async def round_trips(client: httpx.AsyncClient, row: Row, backend: Backend) -> int:
    with backend.trips.counting() as trips:
        await send(client, row)
    return trips.count


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
        backend.close()


def format_table(results: Sequence[Result], memory: Memory | None) -> str:
    lines = [
        "| request | autoapi ms | hand-written ms | ratio | round trips autoapi | "
        "round trips hand-written |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.row.label} | {r.auto_ms:.2f} | {r.hand_ms:.2f} | {r.ratio:.2f} | "
                     f"{r.auto_trips} | {r.hand_trips} |")
    if memory is None:
        return "\n".join(lines)
    lines.append("")
    lines.append(f"Peak memory for one {memory.label} request (tracemalloc): "
                 f"autoapi {_mib(memory.auto_bytes)}, hand-written {_mib(memory.hand_bytes)} "
                 f"(ratio {memory.auto_bytes / memory.hand_bytes:.2f}).")
    return "\n".join(lines)


def _mib(n: int) -> str:
    return f"{n / 2**20:.2f} MiB"


def describe(backend: str, sizes: Sizes) -> str:
    return (f"backend: {backend}; {sizes.books} books, {sizes.authors} authors; "
            f"{sizes.repeat} alternated pairs per row after {sizes.warmup} warm-up pairs; "
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
