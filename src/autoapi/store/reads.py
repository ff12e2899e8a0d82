"""Reads: one document, a page, counts, ids; the Beanie query given to `on_list_query`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document
from beanie.odm.queries.find import FindMany
from beanie.odm.utils.encoder import Encoder

from autoapi.roundtrips import tally
from autoapi.store import transactions
from autoapi.store.base import Raw, Sort, Stored
from autoapi.store.calls import _max_time, _run, time_left_ms
from autoapi.store.scope import _placed

# -- reads -------------------------------------------------------------------------------


async def find_one(
    model: type[Document],
    filter_: Mapping[str, Any],
    projection: Any = None,
    *,
    session: Any = None,
) -> Raw | None:
    """The stored document matching `filter_`, or None."""
    coll, filter_ = await _placed(model, filter_)
    tally("find", coll.name, filter_)
    options = {**_max_time(), **transactions.with_session(session)}
    cursor = coll.find(filter_, projection, limit=1, batch_size=1, **options)
    found = await _run(lambda: cursor.to_list(1))
    return found[0] if found else None


async def find_many(
    model: type[Document],
    filter_: Mapping[str, Any],
    *,
    sort: Sort | None = None,
    projection: Any = None,
    skip: int = 0,
    limit: int = 0,
    blame: Sequence[str] = (),
    session: Any = None,
) -> list[Raw]:
    """One page of stored documents; batch size = page size, so one command answers it."""
    coll, filter_ = await _placed(model, filter_)
    tally("find", coll.name, filter_)
    options: dict[str, Any] = {"sort": sort or None, "skip": skip, **_max_time()}
    options.update(transactions.with_session(session))
    if limit:
        options.update(limit=limit, batch_size=limit)
    cursor = coll.find(filter_, projection, **options)
    result: list[Raw] = await _run(lambda: cursor.to_list(None), blame=blame)
    return result


async def count(
    model: type[Document],
    filter_: Mapping[str, Any],
    *,
    limit: int | None = None,
    blame: Sequence[str] = (),
    session: Any = None,
) -> int:
    """The exact number of matching documents, counting at most `limit` of them."""
    coll, filter_ = await _placed(model, filter_)
    tally("aggregate", coll.name, filter_)
    options: dict[str, Any] = {"maxTimeMS": left} if (left := time_left_ms()) else {}
    options.update(transactions.with_session(session))
    if limit is not None:
        options["limit"] = limit
    total: int = await _run(lambda: coll.count_documents(filter_, **options), blame=blame)
    return total


async def estimated_count(model: type[Document]) -> int:
    """The collection's document count from its metadata (no scan).

    Under a row filter the metadata would count other rows too: then an exact count.
    """
    coll, filter_ = await _placed(model, {})
    if filter_:
        return await count(model, {})
    tally("count", coll.name)
    options: dict[str, Any] = {"maxTimeMS": left} if (left := time_left_ms()) else {}
    total: int = await _run(lambda: coll.estimated_document_count(**options))
    return total


async def fetch_by_ids(model: type[Document], ids: Sequence[Any]) -> dict[Any, Stored]:
    """The stored documents of `model` with these ids, in one round trip (`$in` on `_id`)."""
    if not ids:
        return {}
    found = await find_many(model, {"_id": {"$in": list(ids)}}, limit=len(ids))
    return {doc["_id"]: doc for doc in found}


async def existing_ids(model: type[Document], ids: Sequence[Any]) -> set[Any]:
    """Which of these ids name a stored document of `model`: one query, ids only."""
    if not ids:
        return set()
    wanted = list(dict.fromkeys(ids))
    # a single link: an equality, which stand-ins answer by id (an `$in` makes them scan)
    match = {"_id": wanted[0]} if len(wanted) == 1 else {"_id": {"$in": wanted}}
    found = await find_many(model, match, projection={"_id": 1}, limit=len(wanted))
    return {doc["_id"] for doc in found}


# -- the Beanie query handed to `on_list_query` --------------------------------------------


def new_find(model: type[Document], *filters: Mapping[str, Any], sort: Sort = ()) -> Any:
    """A Beanie `FindMany` over `filters` (AND-ed), as `on_list_query` receives it."""
    find = model.find(*filters)
    return find.sort(list(sort)) if sort else find


def encode_filter(model: type[Document], filter_: Raw) -> Raw:
    """`filter_` as a Beanie `FindMany` over it would send it.

    The query parsers write every value in its stored form already; only a model's own
    `bson_encoders` may change it further.
    """
    encoders = model.get_settings().bson_encoders
    if not filter_ or not encoders:
        return filter_
    encoded: Raw = Encoder(custom_encoders=encoders).encode(filter_)
    return encoded


def is_find(value: Any) -> bool:
    return isinstance(value, FindMany)


def find_parts(find: Any) -> tuple[Raw, list[tuple[str, Any]]]:
    """The filter and the sort a Beanie `FindMany` would send."""
    filter_ = dict(find.get_filter_query())
    sort = [(key, int(direction)) for key, direction in find.sort_expressions]
    return filter_, sort
