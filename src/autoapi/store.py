"""The database module: the only code that talks to the driver or to Beanie's internals.

Everything autoapi reads or writes goes through the functions here, so that every call gets
the request's time budget and every driver failure the same HTTP meaning:

* database unreachable, or the request's deadline spent → 503 with ``Retry-After``;
* a duplicate key → 409; a query the server refuses → 400 naming the client's parameter.

Custom hooks that want autoapi's guarantees (the time budget, atomic writes, the error map,
the policy's row filter and database-per-tenant) write through :func:`update_paths`,
:func:`insert` and :func:`delete`, and reach the request's driver collection through
:func:`collection` (under a database-per-tenant policy, that is the tenant's collection).

Where the server has transactions (a replica set or mongos), :func:`transaction` runs a
block in one: every function here called inside it uses its session (each also takes an
explicit `session=`), so a change and its audit event are written together or not at all.

Works on both Beanie lines, chosen by the installed Beanie version: Beanie 2 on PyMongo's
``AsyncMongoClient``, Beanie 1.30 on Motor.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import beanie
from beanie import Document, PydanticObjectId
from beanie.odm.actions import ActionDirections, ActionRegistry, EventTypes
from beanie.odm.queries.find import FindMany
from beanie.odm.utils.encoder import Encoder
from bson import DBRef, ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from autoapi.errors import ProblemError, bad_request
from autoapi.introspect import is_hidden
from autoapi.query import and_filters
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
DUPLICATE_KEY = 11000


def collection(model: type[Document]) -> Any:
    """The driver collection of `model` for the current request.

    PyMongo's on Beanie 2, Motor's on 1. Under a database-per-tenant policy it is the
    collection of the same name in the request's database; elsewhere, the one `init_beanie`
    set up. Custom hooks should reach the database through this function only.
    """
    base = _base_collection(model)
    scope = _scope.get()
    if scope is None:
        return base
    placement = scope.placed(model)
    if placement is None:  # fail closed: no policy answer, no collection
        raise LookupError(f"{model.__name__} used before the policy was asked about it")
    if placement.database is None:
        return base
    return base.database.client[placement.database][base.name]


def _base_collection(model: type[Document]) -> Any:
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


_scope: ContextVar[Scope | None] = ContextVar("autoapi_scope", default=None)
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
        return _base_collection(model), dict(filter_)
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
    base = _base_collection(model)
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
            if name != "_id_":
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


# -- transactions ------------------------------------------------------------------------

_session: ContextVar[Any] = ContextVar("autoapi_session", default=None)
_TRANSACTIONS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def transactions_from_hello(reply: Mapping[str, Any]) -> bool:
    """Whether a server whose `hello` answer is `reply` runs transactions: a replica-set
    member names its set, a mongos says `isdbgrid`; a standalone server has neither."""
    return bool(reply.get("setName")) or reply.get("msg") == "isdbgrid"


async def supports_transactions(model: type[Document]) -> bool:
    """Whether the server of `model`'s client runs transactions (asked once per client)."""
    client = _base_collection(model).database.client
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
    session = await _started(_base_collection(model).database.client)
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


def _with_session(session: Any = None) -> dict[str, Any]:
    """The `session=` keyword for a driver call: the given one, else the open transaction's."""
    chosen = session if session is not None else _session.get()
    return {} if chosen is None else {"session": chosen}


async def _awaited(value: Any) -> Any:
    # PyMongo's async API and Motor differ on which session methods are coroutines.
    return await value if inspect.isawaitable(value) else value


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
        return await asyncio.wait_for(call(), left / 1000)
    except TimeoutError:
        raise unavailable() from None
    except (PyMongoError, NotImplementedError) as exc:
        raise db_problem(exc, blame, model) from exc


def _max_time() -> dict[str, Any]:
    left = time_left_ms()
    return {} if left is None else {"max_time_ms": left}


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
    options = {**_max_time(), **_with_session(session)}
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
    options.update(_with_session(session))
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
    options.update(_with_session(session))
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
    """Which of these ids name a stored document of `model`: one `$in` query, ids only."""
    if not ids:
        return set()
    wanted = list(dict.fromkeys(ids))
    found = await find_many(
        model, {"_id": {"$in": wanted}}, projection={"_id": 1}, limit=len(wanted)
    )
    return {doc["_id"] for doc in found}


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


async def insert(doc: Document, *, session: Any = None) -> Document:
    """Insert `doc`, with its Insert event actions and revision, within the budget.

    Through Beanie's own insert, except when the request's database is not the one Beanie
    knows (database-per-tenant): then through the driver, firing the same event actions.
    """
    coll, _ = await _placed(type(doc), {})
    tally("insert", coll.name)
    given = _with_session(session)
    if _database_of(type(doc)) is None:
        await _run(lambda: doc.insert(**given), model=type(doc))
        return doc
    await _actions(doc, EventTypes.INSERT, ActionDirections.BEFORE)
    if doc.get_settings().use_revision:
        doc.revision_id = uuid.uuid4()
    raw = encode_document(doc)
    if raw.get("_id") is None:
        raw.pop("_id", None)
    result = await _run(lambda: coll.insert_one(raw, **given), model=type(doc))
    if doc.id is None:
        doc.id = result.inserted_id
    await _actions(doc, EventTypes.INSERT, ActionDirections.AFTER)
    return doc


async def insert_event(
    near: type[Document], name: str, event: Mapping[str, Any], *, session: Any = None
) -> None:
    """Insert one audit event into collection `name` of the `init_beanie` database."""
    coll = _base_collection(near).database[name]
    tally("insert", name)
    given = _with_session(session)
    await _run(lambda: coll.insert_one(dict(event), **given))


async def update_paths(
    doc: Document,
    sets: Mapping[str, Any],
    unsets: Sequence[str] = (),
    guard: Mapping[str, Any] | None = None,
    *,
    session: Any = None,
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
        return await find_one(type(doc), filter_, session=session)
    coll, filter_ = await _placed(type(doc), filter_)
    tally("findAndModify", coll.name, filter_)
    given = _with_session(session)
    after: Raw | None = await _run(
        lambda: coll.find_one_and_update(
            filter_, update, return_document=ReturnDocument.AFTER, **given
        ),
        model=type(doc),
    )
    if after is not None:
        await _actions(doc, EventTypes.UPDATE, ActionDirections.AFTER)
    return after


async def delete(
    doc: Document, guard: Mapping[str, Any] | None = None, *, session: Any = None
) -> bool:
    """Delete the stored `doc` (Delete event actions around it); False when none matched."""
    await _actions(doc, EventTypes.DELETE, ActionDirections.BEFORE)
    coll, filter_ = await _placed(type(doc), {"_id": doc.id, **(guard or {})})
    tally("delete", coll.name, filter_)
    given = _with_session(session)
    result = await _run(lambda: coll.delete_one(filter_, **given))
    if result.deleted_count:
        await _actions(doc, EventTypes.DELETE, ActionDirections.AFTER)
    return bool(result.deleted_count)


async def upsert(
    model: type[Document],
    filter_: Mapping[str, Any],
    update: Mapping[str, Any],
    insert: bool,
    *,
    session: Any = None,
) -> tuple[Raw | None, bool]:
    """One `findAndModify` (upsert when `insert`): the document after it, and whether the
    database created it. None when nothing matched and nothing could be inserted."""
    coll = collection(model)
    tally("findAndModify", coll.name, filter_)
    command: dict[str, Any] = {
        "findAndModify": coll.name,
        "query": dict(filter_),
        "update": dict(update),
        "new": True,
        "upsert": insert,
    }
    if (left := time_left_ms()) is not None:
        command["maxTimeMS"] = left
    given = _with_session(session)
    try:
        reply = await _run(
            lambda: coll.database.command(command, codec_options=coll.codec_options, **given),
            model=model,
        )
    except NotImplementedError:  # the in-process stand-ins have no findAndModify command
        return await _upsert_in_two(coll, model, filter_, update, insert)
    created = "upserted" in (reply.get("lastErrorObject") or {})
    return reply.get("value"), created


async def _upsert_in_two(
    coll: Any, model: type[Document], filter_: Mapping[str, Any], update: Any, insert: bool
) -> tuple[Raw | None, bool]:
    before = await _run(
        lambda: coll.find_one_and_update(
            filter_, update, upsert=insert, return_document=ReturnDocument.BEFORE
        ),
        model=model,
    )
    if before is None and not insert:
        return None, False
    return await find_one(model, filter_), before is None


async def update_many(
    model: type[Document],
    filter_: Mapping[str, Any],
    update: Mapping[str, Any],
    *,
    session: Any = None,
) -> tuple[int, int]:
    """One `updateMany` (the row filter AND-ed in): (matched, modified)."""
    coll, filter_ = await _placed(model, filter_)
    tally("update", coll.name, filter_)
    given = _with_session(session)
    result = await _run(lambda: coll.update_many(filter_, update, **given), model=model)
    return int(result.matched_count), int(result.modified_count)


async def update_each(
    model: type[Document],
    writes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    session: Any = None,
) -> tuple[int, int]:
    """One `update` command of several statements (filter, update), one per document, so
    that each document gets its own values (a revision, what its event actions set):
    (matched, modified) over them all. Each filter is AND-ed with the row filter."""
    placed = [(await _placed(model, f))[1] for f, _ in writes]
    coll = collection(model)
    tally("update", coll.name, {"$or": placed})
    requests = [UpdateOne(f, dict(u)) for f, (_, u) in zip(placed, writes, strict=True)]
    given = _with_session(session)
    try:
        result = await _run(lambda: coll.bulk_write(requests, **given), model=model)
    except BulkWriteError as exc:
        raise _bulk_problem(exc, model) from exc
    return int(result.matched_count), int(result.modified_count)


def _bulk_problem(exc: BulkWriteError, model: type[Document]) -> BaseException:
    """A unique clash inside a batch is the 409 a single write would get."""
    for error in exc.details.get("writeErrors") or []:
        if error.get("code") == DUPLICATE_KEY:
            return duplicate(
                DuplicateKeyError(error.get("errmsg", ""), DUPLICATE_KEY, error), model
            )
    return exc


async def delete_many(
    model: type[Document], filter_: Mapping[str, Any], *, session: Any = None
) -> int:
    """One `delete` of every matching document (the row filter AND-ed in): how many went."""
    coll, filter_ = await _placed(model, filter_)
    tally("delete", coll.name, filter_)
    given = _with_session(session)
    result = await _run(lambda: coll.delete_many(filter_, **given), model=model)
    return int(result.deleted_count)


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


# -- Beanie event actions for writes made of several documents or one upsert ---------------

EVENTS: Mapping[str, EventTypes] = {
    "insert": EventTypes.INSERT,
    "update": EventTypes.UPDATE,
    "replace": EventTypes.REPLACE,
    "delete": EventTypes.DELETE,
}
_ABSENT = object()


def has_actions(model: type[Document], event: str) -> bool:
    """Whether `model` registers any Before or After action for `event` (insert, update, ...)."""
    return any(
        ActionRegistry.get_action_list(model, EVENTS[event], direction)
        for direction in ActionDirections
    )


async def before_event(doc: Document, event: str) -> set[str]:
    """Run `doc`'s Before actions for `event`; the stored keys whose values they changed."""
    if not ActionRegistry.get_action_list(type(doc), EVENTS[event], ActionDirections.BEFORE):
        return set()
    was = encode_document(doc)
    await _actions(doc, EVENTS[event], ActionDirections.BEFORE)
    now = encode_document(doc)
    return {k for k in was.keys() | now.keys() if was.get(k, _ABSENT) != now.get(k, _ABSENT)}


async def after_event(doc: Document, event: str) -> None:
    """Run `doc`'s After actions for `event`, once the write has happened."""
    await _actions(doc, EVENTS[event], ActionDirections.AFTER)


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


def encode_value(value: Any) -> Any:
    """A value as Beanie stores it (a new revision id, say)."""
    return _ENCODER.encode(value)


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
