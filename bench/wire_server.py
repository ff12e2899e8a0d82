"""A MongoDB wire-protocol server for the benchmarks' wire lane: mongoeco, in its own process.

    python3.13 -m venv .venv-eco && .venv-eco/bin/pip install mongoeco pymongo
    .venv-eco/bin/python bench/wire_server.py        # prints the URI, serves until stopped

Then `MONGODB_URL=<that URI> python -m bench.load --db-pid <its pid> ...` in the
benchmark's own virtualenv. mongoeco answers in Python: its `count` and `$in` scan the
collection, so keep the data small (`--books 2000`); it has no `$text`.
"""

from __future__ import annotations

import asyncio
import os


async def serve() -> None:
    from mongoeco.wire import AsyncMongoEcoProxyServer  # type: ignore[import-not-found]

    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=0)
    address = await server.start()
    print(address.uri, f"pid {os.getpid()}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
