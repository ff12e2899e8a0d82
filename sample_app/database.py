"""The sample app's database client: a real server when `MONGODB_URL` is set, else in memory.

The client follows the installed Beanie line: PyMongo's `AsyncMongoClient` (or its in-memory
stand-in, pymongo-async-mock) on Beanie 2, Motor (or mongomock-motor) on Beanie 1.30.
"""

from __future__ import annotations

import inspect
from typing import Any

import beanie

BEANIE_2 = int(beanie.__version__.split(".")[0]) >= 2


def database_client(url: str | None, server_selection_timeout_ms: int) -> Any:
    """A client for `url`, or an in-memory stand-in when `url` is None."""
    if url:
        return _server_client(url, server_selection_timeout_ms)
    if BEANIE_2:
        return _memory_client_2()
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient()


async def close(client: Any) -> None:
    """Close a client of either line (PyMongo's async `close` is a coroutine, Motor's is not)."""
    result = client.close()
    if inspect.isawaitable(result):
        await result


def _server_client(url: str, timeout_ms: int) -> Any:
    if BEANIE_2:
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(url, serverSelectionTimeoutMS=timeout_ms)
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient(url, serverSelectionTimeoutMS=timeout_ms)


def _memory_client_2() -> Any:
    import mongomock.database
    import pymongo_async_mock.patches
    from mongomock.collection import BulkOperationBuilder
    from pymongo_async_mock import AsyncMongoMockClient

    _shim_list_collection_names(mongomock.database.Database)
    # pymongo-async-mock 0.1.3 wraps mongomock's bulk `add_update` again for every collection
    # object it makes (its "already patched" check reads a name functools.wraps overwrote):
    # one wrapper instead, so a long-running app never ends in a RecursionError.
    pymongo_async_mock.patches._patch_bulk_update_sort = lambda collection: collection
    _drop_sort_in_bulk_updates(BulkOperationBuilder)
    return AsyncMongoMockClient()


def _drop_sort_in_bulk_updates(builder: Any) -> None:
    """PyMongo hands `sort=None` to every bulk update; mongomock takes no such keyword."""
    original = builder.add_update
    if getattr(original, "autoapi_shim", False):
        return

    def add_update(self: Any, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
        return original(self, *args, **kwargs)

    add_update.autoapi_shim = True  # type: ignore[attr-defined]
    builder.add_update = add_update


def _shim_list_collection_names(database_class: Any) -> None:
    """Beanie >= 2.1 calls `list_collection_names(authorizedCollections=..., nameOnly=...)`
    in every `init_beanie`; mongomock does not take those options (they only narrow what a
    server reports), so they are dropped."""
    original = database_class.list_collection_names
    if getattr(original, "autoapi_shim", False):
        return

    def list_collection_names(self: Any, filter: Any = None, session: Any = None, **_: Any) -> Any:
        return original(self, filter, session)

    list_collection_names.autoapi_shim = True  # type: ignore[attr-defined]
    database_class.list_collection_names = list_collection_names
