"""The one switch between the databases the suite runs on, and the gaps of the stand-ins.

The client follows the *installed* Beanie line (``beanie.__version__``), so a lane is chosen by
the virtualenv it runs in:

==================  ========  ===============================================================
lane                Beanie    database
==================  ========  ===============================================================
beanie2-mock        2.x       pymongo-async-mock, in process (the default)
beanie1-mongomock   1.30      mongomock-motor, in process
beanie2-wire        2.x       ``pymongo.AsyncMongoClient`` → mongoeco's wire server
beanie1-wire        1.30      Motor → mongoeco's wire server
beanie2-mongodb     2.x       ``pymongo.AsyncMongoClient`` → a real MongoDB
beanie1-mongodb     1.30      Motor → a real MongoDB
==================  ========  ===============================================================

``MONGODB_URL`` selects a server; ``AUTOAPI_TEST_SERVER=mongoeco`` (set by ``.ci/run``) says it
is the wire server, whose gaps then apply. Shims that make a stand-in behave like the real
driver live here, never in the package.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import beanie
import pytest
from beanie import Document

BEANIE_MAJOR = int(beanie.__version__.split(".")[0])
MONGODB_URL = os.environ.get("MONGODB_URL") or None
SERVER = os.environ.get("AUTOAPI_TEST_SERVER", "mongodb") if MONGODB_URL else None
WIRE_PYTHON = os.environ.get("AUTOAPI_WIRE_PYTHON") or None
ROOT = Path(__file__).resolve().parents[1]

# What runs the database: "mongomock" (both in-process stand-ins are built on it),
# "mongoeco" (the wire server) or "mongodb".
ENGINE = SERVER if SERVER else "mongomock"
IN_PROCESS = MONGODB_URL is None
LANE = f"beanie{BEANIE_MAJOR}-" + (
    ("mock" if BEANIE_MAJOR >= 2 else "mongomock")
    if IN_PROCESS
    else ("wire" if SERVER == "mongoeco" else "mongodb")
)

# Known gaps: feature → {engine: what is missing}. A test skips only through `skip_gap`.
GAPS: dict[str, dict[str, str]] = {
    "$text": {"mongomock": "mongomock cannot run $text queries"},
    # mongoeco runs $text in find, but refuses it in count_documents and an aggregate $match.
    "$text in aggregate": {
        "mongoeco": "mongoeco refuses $text in count_documents and aggregate $match",
    },
    "$lookup": {"mongomock": "mongomock has no $lookup stage"},
    "$mod": {"mongomock": "mongomock has no $mod operator"},
    "link.$id": {"mongomock": 'mongomock matches nothing with "link.$id" filters'},
    # autoapi's upsert is one findAndModify command; the stand-ins have none, so there the
    # database module upserts with find_one_and_update and reads the result back.
    "findAndModify": {
        "mongomock": "in-process stand-ins have no findAndModify command: an upsert costs 2 trips",
    },
    "interleaving": {
        "mongomock": "in-process stand-ins never interleave requests",
    },
    "a server process": {
        "mongomock": "in-process stand-ins have no server process to kill or freeze",
    },
}


def lacks(feature: str) -> str | None:
    """Why this lane's database lacks `feature`, or None when it has it."""
    return GAPS[feature].get(ENGINE)


def skip_gap(feature: str) -> None:
    """Skip the running test when this lane's database lacks `feature`, naming both."""
    reason = lacks(feature)
    if reason is not None:
        pytest.skip(f"{LANE}: {reason}")


def new_client(url: str | None = MONGODB_URL, **options: Any) -> Any:
    """A client for `url` (or the lane's stand-in), on the driver of the installed Beanie."""
    if url:
        if BEANIE_MAJOR >= 2:
            from pymongo import AsyncMongoClient

            return AsyncMongoClient(url, **options)
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(url, **options)
    if BEANIE_MAJOR >= 2:
        return _async_mock_client()
    from mongomock_motor import AsyncMongoMockClient

    _accept_sort_in_bulk_updates()
    return AsyncMongoMockClient()


def _accept_sort_in_bulk_updates() -> None:
    """PyMongo >= 4.11 hands `sort=` to every bulk update; mongomock 4.3 refuses the keyword
    (its single-document updates take none, so an unset one can be dropped)."""
    from mongomock.collection import BulkOperationBuilder

    original = BulkOperationBuilder.add_update
    if getattr(original, "accepts_sort", False):
        return

    def add_update(self: Any, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
        if sort is not None:
            raise NotImplementedError("mongomock cannot sort a bulk update")
        return original(self, *args, **kwargs)

    add_update.accepts_sort = True  # type: ignore[attr-defined]
    BulkOperationBuilder.add_update = add_update


def _async_mock_client() -> Any:
    import pymongo_async_mock.patches
    from pymongo_async_mock import AsyncMongoMockClient, AsyncMongoMockDatabase

    # pymongo-async-mock 0.1.3 wraps mongomock's bulk `add_update` again for every collection
    # object it makes (its "already patched" check reads a name that functools.wraps
    # overwrote), so a long test run ends in a RecursionError on the first bulk update. One
    # wrapper of ours instead, and its per-collection patch turned off.
    pymongo_async_mock.patches._patch_bulk_update_sort = lambda collection: collection
    _accept_sort_in_bulk_updates()

    class Database(AsyncMongoMockDatabase):  # type: ignore[misc]
        # Beanie >= 2.1 asks for the names with keyword options that mongomock refuses.
        async def list_collection_names(
            self, session: Any = None, filter: Any = None, **_driver_options: Any
        ) -> list[str]:
            names: list[str] = self.delegate.list_collection_names(session=session, filter=filter)
            return names

    class Client(AsyncMongoMockClient):  # type: ignore[misc]
        def get_database(self, *args: Any, **kwargs: Any) -> Any:
            database = super().get_database(*args, **kwargs)
            return Database(self, database.delegate)

    return Client()


async def close_client(client: Any) -> None:
    """Disconnect: a coroutine on PyMongo's async client, a plain call on Motor and stand-ins."""
    closed = client.close()
    if inspect.isawaitable(closed):
        await closed


def raw_collection(model: type[Document]) -> Any:
    """The driver collection behind `model`, for reading and seeding stored documents."""
    if BEANIE_MAJOR >= 2:
        return model.get_pymongo_collection()
    return model.get_motor_collection()


async def insert_batched(collection: Any, documents: list[Any], batch: int = 200) -> None:
    """`insert_many` in slices: one large message stalls the wire server."""
    for start in range(0, len(documents), batch):
        await collection.insert_many(documents[start : start + batch])


@dataclass
class WireServer:
    """A private wire server in its own process, for tests that kill or freeze it."""

    process: subprocess.Popen[bytes]
    uri: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def private_wire_server() -> Iterator[WireServer]:
    """Start a wire server of this test's own; skip when no wire interpreter is known."""
    if WIRE_PYTHON is None:
        pytest.skip("AUTOAPI_WIRE_PYTHON is unset: no wire server to start (.ci/run sets it)")
    with tempfile.TemporaryDirectory() as folder:
        uri_file = Path(folder) / "uri"
        process = subprocess.Popen(
            [WIRE_PYTHON, str(ROOT / ".ci" / "wire_server.py"), "--uri-file", str(uri_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield WireServer(process, _wait_for_uri(process, uri_file))
        finally:
            process.kill()
            process.wait()


def _wait_for_uri(process: subprocess.Popen[bytes], uri_file: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if uri_file.exists():
            return uri_file.read_text().strip()
        if process.poll() is not None:
            raise RuntimeError(f"the wire server exited with {process.returncode}")
        time.sleep(0.05)
    raise RuntimeError("the wire server did not listen within 30 s")
