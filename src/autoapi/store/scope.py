"""Where a model's documents are for this request: its collection, row filter, database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from beanie import Document

from autoapi.query import and_filters
from autoapi.store.base import BEANIE_2, Raw, _scope
from autoapi.store.calls import _run


def collection(model: type[Document]) -> Any:
    """The driver collection of `model` for the current request.

    PyMongo's on Beanie 2, Motor's on 1. Under a database-per-tenant policy it is the
    collection of the same name in the request's database; elsewhere, the one `init_beanie`
    set up. Custom hooks should reach the database through this function only.
    """
    base = base_collection(model)
    scope = _scope.get()
    if scope is None:
        return base
    placement = scope.placed(model)
    if placement is None:  # fail closed: no policy answer, no collection
        raise LookupError(f"{model.__name__} used before the policy was asked about it")
    if placement.database is None:
        return base
    return base.database.client[placement.database][base.name]


def base_collection(model: type[Document]) -> Any:
    if BEANIE_2:
        return model.get_pymongo_collection()
    return model.get_motor_collection()  # type: ignore[attr-defined]


# -- the request's scope: a row filter and a database per model --------------------------


@dataclass(frozen=True)
class Placement:
    """Where a model's documents are for this request: a row filter AND-ed into every read
    and write, and a database (None: the `init_beanie` one)."""

    filter: Mapping[str, Any] | None = None
    database: str | None = None


class Scope(Protocol):
    """Answers, per request and model, where its documents are (the policy implements it)."""

    async def placement(self, model: type[Document]) -> Placement: ...

    def placed(self, model: type[Document]) -> Placement | None: ...

    def readable(self, model: type[Document], key: str) -> bool: ...


_INDEXED: set[tuple[int, str, str]] = set()  # (client, database, collection) done here
_INDEX_LOCKS: dict[tuple[int, int, str, str], asyncio.Lock] = {}
_INDEX_OPTIONS = frozenset(
    {"unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation"}
    | {"weights", "default_language", "language_override", "hidden", "min", "max", "bits"}
)


@contextmanager
def scoped(scope: Scope | None) -> Iterator[None]:
    """Run the block with every call of this module placed by `scope` (None: unscoped)."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


async def _placed(model: type[Document], filter_: Mapping[str, Any]) -> tuple[Any, Raw]:
    """The request's collection of `model` and `filter_` AND-ed with its row filter."""
    scope = _scope.get()
    if scope is None:
        return base_collection(model), dict(filter_)
    placement = await scope.placement(model)
    if placement.database is not None:
        await _ensure_indexes(model, placement.database)
    coll = collection(model)
    if not placement.filter:
        return coll, dict(filter_)
    return coll, and_filters([placement.filter, filter_])


def _database_of(model: type[Document]) -> str | None:
    scope = _scope.get()
    placement = scope.placed(model) if scope is not None else None
    return placement.database if placement is not None else None


async def _ensure_indexes(model: type[Document], database: str) -> None:
    """Create, once per process, the indexes `init_beanie` made, in a tenant's database."""
    base = base_collection(model)
    key = (id(base.database.client), database, base.name)
    if key in _INDEXED:
        return
    lock_key = (id(asyncio.get_running_loop()), *key)
    async with _INDEX_LOCKS.setdefault(lock_key, asyncio.Lock()):
        if key in _INDEXED:
            return
        info = await _run(lambda: base.index_information())
        target = base.database.client[database][base.name]
        for name, index in info.items():
            # a text index reported without its `weights` (mongoeco) cannot be rebuilt
            if name != "_id_" and _keys(index):
                await _run(_index_creation(target, name, index))
        _INDEXED.add(key)


def _index_creation(target: Any, name: str, index: Mapping[str, Any]) -> Callable[[], Any]:
    return lambda: target.create_index(_keys(index), name=name, **_opts(index))


def _keys(index: Mapping[str, Any]) -> list[tuple[str, Any]]:
    keys = list(index["key"])
    if any(direction == "text" for _, direction in keys):  # stored as `_fts`: rebuild it
        return [(field, "text") for field in index.get("weights", {})]
    return keys


def _opts(index: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in index.items() if k in _INDEX_OPTIONS}
