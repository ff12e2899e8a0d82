"""Transactions where the server has them (a replica set or mongos)."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from typing import Any

from beanie import Document
from pymongo.errors import (
    OperationFailure,
    PyMongoError,
)

from autoapi.store import scope
from autoapi.store.calls import _run

# -- transactions ------------------------------------------------------------------------

_session: ContextVar[Any] = ContextVar("autoapi_session", default=None)
_TRANSACTIONS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def transactions_from_hello(reply: Mapping[str, Any]) -> bool:
    """Whether a server whose `hello` answer is `reply` runs transactions: a replica-set
    member names its set, a mongos says `isdbgrid`; a standalone server has neither."""
    return bool(reply.get("setName")) or reply.get("msg") == "isdbgrid"


async def supports_transactions(model: type[Document]) -> bool:
    """Whether the server of `model`'s client runs transactions (asked once per client)."""
    client = scope.base_collection(model).database.client
    known = _TRANSACTIONS.get(client)
    if known is None:
        known = _TRANSACTIONS[client] = transactions_from_hello(await _hello(client))
    return known


async def _hello(client: Any) -> Mapping[str, Any]:
    try:
        reply: Mapping[str, Any] = await _run(lambda: client.admin.command("hello"))
    except (NotImplementedError, OperationFailure):  # in-process stand-ins, old servers
        return {}
    return reply


@asynccontextmanager
async def transaction(model: type[Document]) -> AsyncIterator[bool]:
    """Run the block in one transaction on `model`'s client when the server runs them.

    Yields whether it does. Committed when the block ends normally, aborted when it raises;
    inside an open transaction, the block simply joins it.
    """
    if _session.get() is not None or not await supports_transactions(model):
        yield _session.get() is not None
        return
    session = await _started(scope.base_collection(model).database.client)
    try:
        token = _session.set(session)
        try:
            yield True
        except BaseException:
            with suppress(PyMongoError):  # the block's error is the one to answer
                await _awaited(session.abort_transaction())
            raise
        finally:
            _session.reset(token)
        await _run(lambda: _awaited(session.commit_transaction()))
    finally:
        await _awaited(session.end_session())


async def _started(client: Any) -> Any:
    """A new session of `client` with a transaction started on it."""
    session = await _awaited(client.start_session())
    await _awaited(session.start_transaction())
    return session


def in_transaction() -> bool:
    """Whether the current block runs in a transaction of :func:`transaction`."""
    return _session.get() is not None


def with_session(session: Any = None) -> dict[str, Any]:
    """The `session=` keyword for a driver call: the given one, else the open transaction's."""
    chosen = session if session is not None else _session.get()
    return {} if chosen is None else {"session": chosen}


async def _awaited(value: Any) -> Any:
    # PyMongo's async API and Motor differ on which session methods are coroutines.
    return await value if inspect.isawaitable(value) else value
