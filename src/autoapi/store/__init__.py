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

The package is that one module, split by concern: ``calls`` (budget and error map),
``scope`` (placement), ``transactions``, ``reads``, ``writes``, ``encoding``.
"""

from __future__ import annotations

from autoapi.store.base import (
    BEANIE_2,
    DUPLICATE_KEY,
    PATH_COLLISION_CODES,
    REFUSED_QUERY_CODES,
    RETRY_AFTER,
    TEXT_INDEX_NOT_FOUND,
    Raw,
    Sort,
    Stored,
)
from autoapi.store.calls import (
    db_problem,
    duplicate,
    end_deadline,
    start_deadline,
    time_left_ms,
    unavailable,
)
from autoapi.store.encoding import EncodingPlan, encode_document, encode_value, stored_as_encoded
from autoapi.store.reads import (
    count,
    encode_filter,
    estimated_count,
    existing_ids,
    fetch_by_ids,
    find_many,
    find_one,
    find_parts,
    is_find,
    new_find,
)
from autoapi.store.scope import Placement, Scope, collection, scoped
from autoapi.store.transactions import (
    in_transaction,
    supports_transactions,
    transaction,
    transactions_from_hello,
)
from autoapi.store.writes import (
    EVENTS,
    after_event,
    before_event,
    delete,
    delete_many,
    has_actions,
    insert,
    insert_event,
    update_each,
    update_many,
    update_paths,
    upsert,
)

__all__ = [
    "BEANIE_2",
    "DUPLICATE_KEY",
    "EVENTS",
    "PATH_COLLISION_CODES",
    "REFUSED_QUERY_CODES",
    "RETRY_AFTER",
    "TEXT_INDEX_NOT_FOUND",
    "EncodingPlan",
    "Placement",
    "Raw",
    "Scope",
    "Sort",
    "Stored",
    "after_event",
    "before_event",
    "collection",
    "count",
    "db_problem",
    "delete",
    "delete_many",
    "duplicate",
    "encode_document",
    "encode_filter",
    "encode_value",
    "end_deadline",
    "estimated_count",
    "existing_ids",
    "fetch_by_ids",
    "find_many",
    "find_one",
    "find_parts",
    "has_actions",
    "in_transaction",
    "insert",
    "insert_event",
    "is_find",
    "new_find",
    "scoped",
    "start_deadline",
    "stored_as_encoded",
    "supports_transactions",
    "time_left_ms",
    "transaction",
    "transactions_from_hello",
    "unavailable",
    "update_each",
    "update_many",
    "update_paths",
    "upsert",
]
