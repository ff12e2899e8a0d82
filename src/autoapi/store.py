"""The database module: the only code that talks to the driver or to Beanie's internals.

Everything autoapi reads or writes goes through the functions here, so that every call gets
the request's time budget and every driver failure the same HTTP meaning:

* database unreachable, or the request's deadline spent → 503 with ``Retry-After``;
* a duplicate key → 409; a query the server refuses → 400 naming the client's parameter.

Custom hooks that want autoapi's guarantees (the time budget, atomic writes, the error map)
write through :func:`collection`, :func:`update_paths`, :func:`insert` and :func:`delete`.

Works on both Beanie lines, chosen by the installed Beanie version: Beanie 2 on PyMongo's
``AsyncMongoClient``, Beanie 1.30 on Motor.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import beanie
from beanie import Document, PydanticObjectId
from beanie.odm.actions import ActionDirections, ActionRegistry, EventTypes
from beanie.odm.queries.find import FindMany
from beanie.odm.utils.encoder import Encoder
from bson import DBRef, ObjectId
from pymongo import ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from autoapi.errors import ProblemError, bad_request
from autoapi.introspect import is_hidden
from autoapi.roundtrips import tally

BEANIE_2 = int(beanie.__version__.split(".")[0]) >= 2

Raw = dict[str, Any]
Stored = Mapping[str, Any]
Sort = Sequence[tuple[str, Any]]

_deadline: ContextVar[float | None] = ContextVar("autoapi_deadline", default=None)

RETRY_AFTER = "1"
TEXT_INDEX_NOT_FOUND = 27  # IndexNotFound: `$text` without a text index
REFUSED_QUERY_CODES = frozenset({2, 51091})  # BadValue, "Regular expression is invalid"
PATH_COLLISION_CODES = frozenset({31249, 31250})  # projection paths that overlap


def collection(model: type[Document]) -> Any:
    """The driver collection of an initialised model (PyMongo's on Beanie 2, Motor's on 1)."""
    if BEANIE_2:
        return model.get_pymongo_collection()
    return model.get_motor_collection()  # type: ignore[attr-defined]


# -- the time budget ---------------------------------------------------------------------


@contextmanager
def deadline(max_time_ms: int | None) -> Iterator[None]:
    """Give every database call in the block the time left of `max_time_ms` (None: no limit)."""
    token = _deadline.set(None if max_time_ms is None else time.monotonic() + max_time_ms / 1000)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left_ms() -> int | None:
    """Milliseconds left for the current request; raises the 503 when none is left."""
    end = _deadline.get()
    if end is None:
        return None
    left = int((end - time.monotonic()) * 1000)
    if left <= 0:
        raise unavailable()
    return left


def unavailable() -> ProblemError:
    """503: the outcome of a write is unknown, a read can be tried again."""
    return ProblemError(
        503,
        "the database did not answer in time; try again shortly",
        headers={"Retry-After": RETRY_AFTER},
    )


async def _run(
    call: Callable[[], Any], *, blame: Sequence[str] = (), model: type[Document] | None = None
) -> Any:
    """Make a driver call within the time left, mapping driver failures to problems."""
    left = time_left_ms()
    try:
        if left is None:
            return await call()
        async with asyncio.timeout(left / 1000):  # no task of its own, unlike wait_for
            return await call()
    except TimeoutError:
        raise unavailable() from None
    except (PyMongoError, NotImplementedError) as exc:
        raise db_problem(exc, blame, model) from exc


def _max_time() -> dict[str, Any]:
    left = time_left_ms()
    return {} if left is None else {"max_time_ms": left}


# -- reads -------------------------------------------------------------------------------


async def find_one(
    model: type[Document], filter_: Mapping[str, Any], projection: Any = None
) -> Raw | None:
    """The stored document matching `filter_`, or None."""
    coll = collection(model)
    tally("find", coll.name, filter_)
    cursor = coll.find(filter_, projection, limit=1, batch_size=1, **_max_time())
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
) -> list[Raw]:
    """One page of stored documents; batch size = page size, so one command answers it."""
    coll = collection(model)
    tally("find", coll.name, filter_)
    options: dict[str, Any] = {"sort": sort or None, "skip": skip, **_max_time()}
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
) -> int:
    """The exact number of matching documents, counting at most `limit` of them."""
    coll = collection(model)
    tally("aggregate", coll.name, filter_)
    options: dict[str, Any] = {"maxTimeMS": left} if (left := time_left_ms()) else {}
    if limit is not None:
        options["limit"] = limit
    total: int = await _run(lambda: coll.count_documents(filter_, **options), blame=blame)
    return total


async def estimated_count(model: type[Document]) -> int:
    """The collection's document count from its metadata (no scan)."""
    coll = collection(model)
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


# -- the Beanie query handed to `on_list_query` --------------------------------------------


def new_find(model: type[Document], *filters: Mapping[str, Any], sort: Sort = ()) -> Any:
    """A Beanie `FindMany` over `filters` (AND-ed), as `on_list_query` receives it."""
    find = model.find(*filters)
    return find.sort(list(sort)) if sort else find


def is_find(value: Any) -> bool:
    return isinstance(value, FindMany)


def find_parts(find: Any) -> tuple[Raw, list[tuple[str, Any]]]:
    """The filter and the sort a Beanie `FindMany` would send."""
    filter_ = dict(find.get_filter_query())
    sort = [(key, int(direction)) for key, direction in find.sort_expressions]
    return filter_, sort


# -- writes ------------------------------------------------------------------------------


async def insert(doc: Document) -> Document:
    """Insert through Beanie (its Insert event actions and revision run), within the budget."""
    tally("insert", doc.get_collection_name())
    await _run(doc.insert, model=type(doc))
    return doc


async def update_paths(
    doc: Document,
    sets: Mapping[str, Any],
    unsets: Sequence[str] = (),
    guard: Mapping[str, Any] | None = None,
) -> Raw | None:
    """One atomic `$set`/`$unset` of the given paths on the stored `doc`; the document after.

    Runs the model's Update event actions around it, as Beanie's own update does; a field an
    action changes on `doc` is written too. `guard` is AND-ed into the filter: None comes back
    when no stored document matches it any more.
    """
    before = dict(doc)
    await _actions(doc, EventTypes.UPDATE, ActionDirections.BEFORE)
    changed = {k: v for k, v in dict(doc).items() if before.get(k) is not v and k != "id"}
    update = _update_document(doc, {**_encode_attrs(doc, changed), **sets}, unsets)
    filter_ = {"_id": doc.id, **(guard or {})}
    if not update:  # nothing to write: the stored document, if it still matches
        return await find_one(type(doc), filter_)
    coll = collection(type(doc))
    tally("findAndModify", coll.name, filter_)
    after: Raw | None = await _run(
        lambda: coll.find_one_and_update(filter_, update, return_document=ReturnDocument.AFTER),
        model=type(doc),
    )
    if after is not None:
        await _actions(doc, EventTypes.UPDATE, ActionDirections.AFTER)
    return after


async def delete(doc: Document, guard: Mapping[str, Any] | None = None) -> bool:
    """Delete the stored `doc` (Delete event actions around it); False when none matched."""
    await _actions(doc, EventTypes.DELETE, ActionDirections.BEFORE)
    coll = collection(type(doc))
    filter_ = {"_id": doc.id, **(guard or {})}
    tally("delete", coll.name, filter_)
    result = await _run(lambda: coll.delete_one(filter_))
    if result.deleted_count:
        await _actions(doc, EventTypes.DELETE, ActionDirections.AFTER)
    return bool(result.deleted_count)


def _update_document(doc: Document, sets: Mapping[str, Any], unsets: Sequence[str]) -> Raw:
    sets = dict(sets)
    if doc.get_settings().use_revision:
        doc.revision_id = uuid.uuid4()
        sets["revision_id"] = _ENCODER.encode(doc.revision_id)
    update: Raw = {}
    if sets:
        update["$set"] = sets
    if unsets:
        update["$unset"] = dict.fromkeys(unsets, "")
    return update


def _encode_attrs(doc: Document, attrs: Mapping[str, Any]) -> Raw:
    encoded = encode_document(doc)
    fields = type(doc).model_fields
    keys = {name: (fields[name].alias or name) for name in attrs if name in fields}
    return {key: encoded[key] for key in keys.values() if key in encoded}


async def _actions(doc: Document, event: EventTypes, direction: ActionDirections) -> None:
    await ActionRegistry.run_actions(doc, event, direction, [])


# -- errors ------------------------------------------------------------------------------


def db_problem(
    exc: BaseException, blame: Sequence[str] = (), model: type[Document] | None = None
) -> ProblemError:
    """The HTTP answer to a driver failure; re-raises what has no meaning for a client."""
    if isinstance(exc, (ExecutionTimeout, ServerSelectionTimeoutError, ConnectionFailure)):
        return unavailable()
    if isinstance(exc, DuplicateKeyError):
        return duplicate(exc, model)
    problem = _refused(exc, blame)
    if problem is not None:
        return problem
    raise exc


def duplicate(exc: DuplicateKeyError, model: type[Document] | None) -> ProblemError:
    """409 naming the clashing unique fields, unless they are hidden."""
    keys = [key for key in (exc.details or {}).get("keyValue") or {} if _visible(model, key)]
    what = ", ".join(keys) if keys else "unique value"
    errors = [{"field": key, "message": "already exists"} for key in keys]
    return ProblemError(409, f"a document with this {what} already exists", errors)


def _visible(model: type[Document] | None, key: str) -> bool:
    if model is None:
        return False
    if key == "_id":
        return True
    root = key.split(".")[0]
    for name, info in model.model_fields.items():
        if (info.alias or name) == root:
            return not is_hidden(info)
    return False


def _refused(exc: BaseException, blame: Sequence[str]) -> ProblemError | None:
    if isinstance(exc, NotImplementedError) and "search" in blame:
        return bad_request("search", "this database cannot run a text search", "not_searchable")
    if not isinstance(exc, OperationFailure):
        return None
    if "search" in blame and (exc.code == TEXT_INDEX_NOT_FOUND or "text index" in str(exc).lower()):
        return bad_request(
            "search",
            "this collection has no text index, so it cannot be searched",
            "not_searchable",
        )
    if exc.code in PATH_COLLISION_CODES:
        return bad_request("fields", "a field and a path inside it cannot both be chosen")
    if exc.code in REFUSED_QUERY_CODES:
        param = next((p for p in blame if p != "search"), "where")
        return bad_request(param, "the database refused this pattern or value")
    return None


# -- encoding: a document instance → the dict Beanie stores ----------------------------------

_ENCODER = Encoder()
_PLAIN_STORED: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), datetime.datetime, ObjectId, PydanticObjectId, DBRef}
)


@dataclass(frozen=True)
class EncodingPlan:
    """How to store an instance of a model without Beanie's generic walk over it."""

    fields: Mapping[str, tuple[str, str | None]]  # attribute → (stored key, "one"/"many"/None)
    skipped: frozenset[str]  # attributes the installed Beanie does not store
    encode: Callable[[Any], Any]  # Beanie's encoder, for values not stored as they are


_PLANS: dict[type[Document], EncodingPlan | None] = {}  # None: Beanie's own encoder


def encode_document(doc: Document) -> Raw:
    """A document instance → the dict Beanie would store (links as DBRef, `_id` key).

    The same result as Beanie's `Encoder().encode(doc)`, several times faster: the per-model
    facts Beanie looks up on every call are read once, and plain values skip its encoder table.
    """
    model = type(doc)
    plan = _PLANS[model] if model in _PLANS else _PLANS.setdefault(model, _plan(model))
    if plan is None:
        return _ENCODER.encode(doc)  # type: ignore[no-any-return]
    out: Raw = {}
    for name, value in doc:
        if name in plan.skipped:
            continue
        key, link = plan.fields.get(name) or (name, None)
        if link is not None and value is not None:
            value = [item.to_ref() for item in value] if link == "many" else value.to_ref()
        out[key] = value if type(value) in _PLAIN_STORED else _encode_value(value, plan.encode)
    return out


def _encode_value(value: Any, encode: Callable[[Any], Any]) -> Any:
    if type(value) is list and all(type(item) in _PLAIN_STORED for item in value):
        return list(value)
    return encode(value)


def _plan(model: type[Document]) -> EncodingPlan | None:
    """None when Beanie's own encoder must run (custom bson encoders, unions, inheritance)."""
    settings = model.get_settings()
    if settings.bson_encoders or settings.union_doc is not None or model._class_id:
        return None
    if getattr(settings, "lazy_parsing", False):
        return None
    links = {name: info.link_type for name, info in (model.get_link_fields() or {}).items()}
    fields: dict[str, tuple[str, str | None]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = links.get(key)  # Beanie matches link fields by stored key
        fields[name] = (key, None if kind is None else _LINK_KINDS.get(kind.name))
    # As Beanie's `get_dict`: `revision_id` only when used; Beanie 2 stores nothing for
    # other `Field(exclude=True)` fields, Beanie 1 stores them.
    skipped = {"revision_id"} if not settings.use_revision else set()
    skipped |= {
        name
        for name, info in model.model_fields.items()
        if BEANIE_2 and info.exclude and name != "revision_id"
    }
    return EncodingPlan(fields, frozenset(skipped), Encoder(keep_nulls=True).encode)


_LINK_KINDS = {"DIRECT": "one", "OPTIONAL_DIRECT": "one", "LIST": "many", "OPTIONAL_LIST": "many"}
