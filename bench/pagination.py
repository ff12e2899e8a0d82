"""Deep pages by offset and by cursor, and the three count modes, on 100,000 documents.

    python -m bench.pagination            # the in-process stand-in (Beanie 2: pymongo-async-mock)
    MONGODB_URL=mongodb://... python -m bench.pagination   # a server (the wire server, say)

On mongoeco's wire server each insert costs time in proportion to what is stored already,
so seeding grows with the square of the size: 10,000 documents take about 4 minutes in
slices of 200 (`--batch 200`), 100,000 would take hours. Give the client long timeouts
(`&connectTimeoutMS=600000&serverSelectionTimeoutMS=600000` on the URL): while the server is
busy with one slice it answers no heartbeat, and the driver would otherwise drop the pool and
cancel the insert in flight.

Prints, per request, the median time of a few runs and the round trips it made. Tokens for
the cursor rows come from the offset page just before (its `next`), so a cursor row times one
request, as a client walking the pages would see it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import beanie
import httpx
from beanie import Document, init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.conftest import new_client  # the suite's switch: stand-in, or MONGODB_URL

from autoapi import AutoAPI, store
from autoapi.roundtrips import counting

MONGODB_URL = os.environ.get("MONGODB_URL")
SEED_BATCH = 1000  # one huge insert_many stalls the wire server
LIMIT = 100
DEEP_PAGE = 500


class Row(Document):
    title: str
    pages: int = 0

    class Settings:
        name = "bench_rows"


async def seed(total: int, batch: int = SEED_BATCH, parallel: int = 1) -> None:
    """Insert `total` rows in slices of `batch`, `parallel` slices in flight at a time."""
    coll = store.collection(Row)
    await coll.delete_many({})
    starts = list(range(0, total, batch))
    for group in range(0, len(starts), parallel):
        await asyncio.gather(
            *(
                coll.insert_many(rows(start, min(total, start + batch)))
                for start in starts[group : group + parallel]
            )
        )


def rows(start: int, end: int) -> list[dict[str, Any]]:
    return [{"title": f"t{i:06d}", "pages": i % 500} for i in range(start, end)]


async def timed(client: httpx.AsyncClient, params: dict[str, Any], runs: int) -> tuple[float, int]:
    times = []
    trips = 0
    for _ in range(runs):
        with counting() as seen:
            started = time.perf_counter()
            response = await client.get("/api/bench_rows", params=params)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        trips = len(seen)
    return statistics.median(times), trips


async def token_before(client: httpx.AsyncClient, offset: int) -> str:
    """The `next` token of the page ending just before `offset`."""
    params = {"limit": LIMIT, "offset": offset - LIMIT, "count": "none"}
    body = (await client.get("/api/bench_rows", params=params)).json()
    return str(body["next"])


async def main(total: int, runs: int, batch: int, parallel: int) -> None:
    db = new_client()["autoapi_bench_pages"]
    await init_beanie(database=db, document_models=[Row])
    started = time.perf_counter()
    await seed(total, batch, parallel)
    print(
        f"seeded {total} documents in {time.perf_counter() - started:.1f} s "
        f"({'MONGODB_URL' if MONGODB_URL else 'in-process stand-in'}, Beanie {beanie.__version__})"
    )
    app = Starlette(routes=[Mount("/api", app=AutoAPI(models=[Row], max_time_ms=None))])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://b"
    ) as client:
        await report(client, total, runs)


async def report(client: httpx.AsyncClient, total: int, runs: int) -> None:
    pages = {"page 1": 0, **deep_page(total), "last page": total - LIMIT}
    base = {"limit": LIMIT, "count": "none"}
    print(f"\n{'request':34} {'ms':>9} {'trips':>6}")
    first = 0.0
    for name, offset in pages.items():
        ms, trips = await timed(client, {**base, "offset": offset}, runs)
        first = first or ms
        print(f"{'offset ' + name:34} {ms:9.1f} {trips:6d}   x{ms / first:.1f} of page 1")
    cursor_first = 0.0
    for name, offset in pages.items():
        params = (
            dict(base) if offset == 0 else {**base, "cursor": await token_before(client, offset)}
        )
        ms, trips = await timed(client, params, runs)
        cursor_first = cursor_first or ms
        print(f"{'cursor ' + name:34} {ms:9.1f} {trips:6d}   x{ms / cursor_first:.1f} of page 1")
    for mode in ("exact", "estimated", "none"):
        ms, trips = await timed(client, {"limit": LIMIT, "count": mode}, runs)
        print(f"{'page 1, count=' + mode:34} {ms:9.1f} {trips:6d}")


def deep_page(total: int) -> dict[str, int]:
    """Page 500, or the deepest page before the last one when there are fewer pages."""
    last = (total - 1) // LIMIT + 1
    page = min(DEEP_PAGE, last - 1)
    return {f"page {page}": (page - 1) * LIMIT} if page > 1 else {}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=SEED_BATCH, help="documents per insert_many")
    parser.add_argument("--parallel", type=int, default=1, help="insert_many calls in flight")
    args = parser.parse_args()
    asyncio.run(main(args.documents, args.runs, args.batch, args.parallel))
