"""What a schema entry costs on a list route: app CPU per request, with and without one.

    python -m bench.schema_cost [--docs 1000] [--requests 30]

Seeds `--docs` books, then asks `GET /books?limit=<docs>` of two apps over the same database:
one without schema entries, one with `routeList: {}` (the derived querystring and response
schemas: every query checked, every answer shaped by the response whitelist). It prints the
process CPU time per request of each and their ratio. With `MONGODB_URL` it runs over that
server (PyMongo's async client on Beanie 2, Motor on Beanie 1), else over the in-process
stand-in the test suite uses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx
from beanie import init_beanie
from starlette.applications import Starlette
from starlette.routing import Mount

from autoapi import AutoAPI
from bench.models import MODELS, Author, Book

ENTRY = [{"name": "books", "routeList": {}}]


def database(name: str) -> Any:
    # The test suite's switch: the same client on each Beanie line, with its stand-in shims.
    from tests.conftest import new_client

    return new_client()[name]


def client(schemas: list[dict[str, Any]]) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/api", app=AutoAPI(models=MODELS, schemas=schemas))])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def cpu_ms(http: httpx.AsyncClient, url: str, requests: int) -> float:
    samples = []
    for _ in range(requests):
        start = time.process_time()
        answer = await http.get(url)
        samples.append((time.process_time() - start) * 1000)
        assert answer.status_code == 200, answer.text[:500]
    return statistics.median(samples)


async def main(docs: int, requests: int) -> None:
    db = database(f"autoapi_bench_schema_{os.getpid()}")
    await init_beanie(database=db, document_models=MODELS)
    author = Author(name="A")
    await author.insert()
    await Book.insert_many([Book(title=f"B{i}", author=author, tags=["x"]) for i in range(docs)])
    url = f"/api/books?limit={docs}"
    plain, checked = client([]), client(ENTRY)
    for http in (plain, checked):  # warm up: plans, caches, connections
        await cpu_ms(http, url, 3)
    without = await cpu_ms(plain, url, requests)
    with_entry = await cpu_ms(checked, url, requests)
    print(f"list of {docs}: {without:.1f} ms app CPU without an entry, "
          f"{with_entry:.1f} ms with one: ratio {with_entry / without:.2f}")
    if os.environ.get("MONGODB_URL"):
        await db.client.drop_database(db.name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.docs, args.requests))
