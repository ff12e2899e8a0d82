"""Writes: insert, atomic path updates, upserts, bulk updates and deletes, event actions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from beanie import Document, PydanticObjectId
from beanie.odm.actions import ActionDirections, ActionRegistry, EventTypes
from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
)

from autoapi.introspect import id_annotation
from autoapi.query import and_filters
from autoapi.roundtrips import tally
from autoapi.store import scope, transactions
from autoapi.store.base import DUPLICATE_KEY, Raw
from autoapi.store.calls import _run, duplicate, time_left_ms
from autoapi.store.encoding import _ENCODER, encode_document, stored_as_encoded
from autoapi.store.reads import find_one
from autoapi.store.scope import _database_of, _placed, collection

# -- writes ------------------------------------------------------------------------------


async def insert(doc: Document, *, session: Any = None) -> Document:
    """Insert `doc`, with its Insert event actions and revision, within the budget.

    Through the driver, with the document as Beanie would store it and the same event
    actions, when that is all Beanie's insert would do (the model's settings ask for no
    null dropping, validation on save or saved state); else through Beanie's own insert.
    Beanie's generic encoder is about a fifth of the time of a create.
    """
    model = type(doc)
    coll, _ = await _placed(model, {})
    tally("insert", coll.name)
    given = transactions.with_session(session)
    if _database_of(model) is None and not stored_as_encoded(model):
        await _run(lambda: doc.insert(**given), model=model)
        return doc
    await _actions(doc, EventTypes.INSERT, ActionDirections.BEFORE)
    if doc.get_settings().use_revision:
        doc.revision_id = uuid.uuid4()
    raw = encode_document(doc)
    if raw.get("_id") is None:
        raw.pop("_id", None)
    result = await _run(lambda: coll.insert_one(raw, **given), model=model)
    if doc.id is None:  # as Beanie sets it: of the model's id type
        made = result.inserted_id
        ours = type(made) is ObjectId and id_annotation(model) is PydanticObjectId
        doc.id = PydanticObjectId(made) if ours else made
    await _actions(doc, EventTypes.INSERT, ActionDirections.AFTER)
    return doc


async def insert_event(
    near: type[Document], name: str, event: Mapping[str, Any], *, session: Any = None
) -> None:
    """Insert one audit event into collection `name` of the `init_beanie` database."""
    coll = scope.base_collection(near).database[name]
    tally("insert", name)
    given = transactions.with_session(session)
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
    given = transactions.with_session(session)
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
    given = transactions.with_session(session)
    result = await _run(lambda: coll.delete_one(filter_, **given))
    if result.deleted_count:
        await _actions(doc, EventTypes.DELETE, ActionDirections.AFTER)
    return bool(result.deleted_count)


@dataclass(frozen=True)
class Upserted:
    """What an upsert left: the document after it (None when nothing matched and nothing
    could be inserted), whether the database created it, and (when asked) the one before."""

    stored: Raw | None
    created: bool
    before: Raw | None = None


async def upsert(
    model: type[Document],
    filter_: Mapping[str, Any],
    update: Mapping[str, Any],
    insert: bool,
    *,
    keep_before: bool = False,
    session: Any = None,
) -> Upserted:
    """One `findAndModify` (upsert when `insert`); with `keep_before`, the document it
    changed is kept too, and the result read back by id (one more round trip).

    The row filter is AND-ed in: an `_id` outside it matches nothing, so the insert the
    upsert then tries clashes with the stored `_id` (409) and nothing is written."""
    coll, row = await _placed(model, {})
    # Flat when the keys allow: mongomock's upsert takes the new document's `_id` and
    # stamped fields only from top-level equalities, not from inside an `$and`.
    disjoint = not row.keys() & filter_.keys()
    query = {**row, **filter_} if disjoint else and_filters([row, filter_])
    tally("findAndModify", coll.name, query)
    command: dict[str, Any] = {
        "findAndModify": coll.name,
        "query": query,
        "update": dict(update),
        "new": not keep_before,
        "upsert": insert,
    }
    if (left := time_left_ms()) is not None:
        command["maxTimeMS"] = left
    given = transactions.with_session(session)
    try:
        reply = await _run(
            lambda: coll.database.command(command, codec_options=coll.codec_options, **given),
            model=model,
        )
    except NotImplementedError:  # the in-process stand-ins have no findAndModify command
        return await _upsert_in_two(coll, model, query, update, insert)
    created = "upserted" in (reply.get("lastErrorObject") or {})
    if not keep_before:
        return Upserted(reply.get("value"), created)
    after = await find_one(model, filter_, session=session)
    return Upserted(after, created, reply.get("value"))


async def _upsert_in_two(
    coll: Any, model: type[Document], query: Mapping[str, Any], update: Any, insert: bool
) -> Upserted:
    before = await _run(
        lambda: coll.find_one_and_update(
            query, update, upsert=insert, return_document=ReturnDocument.BEFORE
        ),
        model=model,
    )
    if before is None and not insert:
        return Upserted(None, False)
    return Upserted(await find_one(model, query), before is None, before)


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
    given = transactions.with_session(session)
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
    given = transactions.with_session(session)
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
    given = transactions.with_session(session)
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
