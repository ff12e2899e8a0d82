"""Bulk writes: POST of a JSON array, and PATCH / DELETE of the documents a filter selects.

Every item of a bulk POST is validated before the first is written; then they are inserted
in order, one at a time through `api_post`, so a unique clash stops the batch at a known
point and the answer says exactly what was written. A bulk PATCH or DELETE first selects at
most `max_batch + 1` ids, and refuses (nothing changed) when there are more.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from beanie import Document
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from autoapi import audit, store
from autoapi import policy as policies
from autoapi.bodies import Body, raise_faults, read_body
from autoapi.errors import (
    PROBLEM_JSON,
    ProblemError,
    bad_request,
    problem_response,
    unprocessable,
    validation_errors,
)
from autoapi.hooks import Hooks, call, created
from autoapi.introspect import ModelSpec
from autoapi.links import check_links
from autoapi.query import parse_list_query
from autoapi.requestid import get_logger
from autoapi.serialize import JSONResponse
from autoapi.writes import apply_paths, instance_of

FILTER_PARAMS = ("filter", "where", "match")
Raw = dict[str, Any]
log = get_logger()


def validate_all(spec: ModelSpec, items: Sequence[dict[str, Any]]) -> None:
    """422 naming `[i].field` for every invalid item; nothing is written then."""
    errors: list[dict[str, str]] = []
    for i, data in enumerate(items):
        try:
            spec.model.model_validate(data)
        except ValidationError as exc:
            errors += validation_errors(exc, prefix=f"[{i}].")
    if errors:
        raise unprocessable(errors)


async def insert_all(
    spec: ModelSpec, hooks: Hooks, items: Sequence[dict[str, Any]], request: Request
) -> list[Document] | Response:
    """Insert in order; on a unique clash, the 409 that says what was and was not written."""
    written: list[Document] = []
    for i, data in enumerate(items):
        try:
            doc = created(spec.model, await call(hooks.api_post, data, request))
        except ProblemError as exc:
            if exc.status != 409:
                raise
            return _partial(exc, written, i, len(items))
        written.append(doc)
    return written


def _partial(exc: ProblemError, written: Sequence[Document], index: int, total: int) -> Response:
    problem = problem_response(409, f"item [{index}]: {exc.detail}", exc.errors, code=exc.code)
    body = json.loads(bytes(problem.body))
    errors = body.pop("errors", [])
    body["written"] = [{"index": i, "_id": str(doc.id)} for i, doc in enumerate(written)]
    body["failed"] = {"index": index, "errors": errors}
    body["not_attempted"] = list(range(index + 1, total))
    return JSONResponse(body, status_code=409, media_type=PROBLEM_JSON)


async def bulk_filter(spec: ModelSpec, request: Request, ctx: Any) -> dict[str, Any]:
    """The client's `filter`/`where`/`match`, of which at least one is required; fields
    outside the policy's `read_fields` are unknown here as in a list."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    if not any(params.get(name) for name in FILTER_PARAMS):
        raise bad_request("filter", "a bulk write needs filter, where or match")
    visible = (await policies.access_for(request, spec.model)).visible(spec)
    listing = ctx.listing
    q = parse_list_query(visible, params, ctx.lookup, listing.default_limit, listing.max_limit)
    if q.search is not None:
        raise bad_request("search", "cannot select the documents of a bulk write")
    return q.filter


async def selected(
    spec: ModelSpec, filter_: Mapping[str, Any], most: int, projection: Any = None
) -> list[dict[str, Any]]:
    """The documents the filter selects (at most `most`); more → 409, nothing changed."""
    found = await store.find_many(
        spec.model, filter_, sort=[("_id", 1)], projection=projection, limit=most + 1
    )
    if len(found) > most:
        raise ProblemError(
            409, f"the filter selects more than {most} documents; narrow it", code="limit_exceeded"
        )
    return found


def scoped(filter_: Mapping[str, Any], found: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`_id $in ids` AND the filter: a document changed meanwhile to leave it is left alone."""
    ids = {"_id": {"$in": [doc["_id"] for doc in found]}}
    return {"$and": [ids, dict(filter_)]} if filter_ else ids


async def patch_many(spec: ModelSpec, request: Request, ctx: Any) -> Response:
    """`PATCH P?<filter>`: set the body's fields on every selected document.

    Each resulting document is validated and gets the model's Before Update actions, then
    all are written by one command of one statement per document (each with its own
    revision and what its actions set); After Update actions follow once all matched.
    """
    filter_ = await bulk_filter(spec, request, ctx)
    body: Body = await read_body(request, spec, ctx.model_name_key)
    if body.has_id:
        raise unprocessable([{"field": "_id", "message": "cannot be set on many documents"}])
    (await policies.access_for(request, spec.model)).check_body(body.data)
    raise_faults(body)
    found = await selected(spec, filter_, ctx.max_batch)
    docs = [instance_of(spec, raw) for raw in found]
    writes = [apply_paths(spec, doc, body.data) for doc in docs]  # all validate first
    if not docs or not any(writes):
        return JSONResponse({"matched": 0, "modified": 0})
    await check_links(spec, body.data)
    for doc, sets in zip(docs, writes, strict=True):
        await _before_update(spec, doc, sets)
    statements = [
        (scoped(filter_, [raw]), {"$set": sets}) for raw, sets in zip(found, writes, strict=True)
    ]
    matched, modified = await store.update_each(spec.model, statements)
    await _after(docs, "update", matched)
    await _audit_updates(request, spec, found)
    return JSONResponse({"matched": matched, "modified": modified})


async def _audit_updates(request: Request, spec: ModelSpec, found: Sequence[Raw]) -> None:
    """One event per document still stored, with what it was and what it is now."""
    if not audit.auditing(request):
        return
    ids = [raw["_id"] for raw in found]
    after = {
        raw["_id"]: raw
        for raw in await store.find_many(spec.model, {"_id": {"$in": ids}}, limit=len(ids))
    }
    for before in found:
        if before["_id"] in after:
            await audit.record(request, spec.model, "update", before, after[before["_id"]])


async def _before_update(spec: ModelSpec, doc: Document, sets: dict[str, Any]) -> None:
    """Run `doc`'s Before Update actions; what they change is written too, with a revision."""
    changed = await store.before_event(doc, "update")
    encoded = store.encode_document(doc) if changed else {}
    for key in changed & encoded.keys():
        for path in [p for p in sets if p == key or p.startswith(key + ".")]:
            del sets[path]
        sets[key] = encoded[key]
    if spec.model.get_settings().use_revision:
        doc.revision_id = uuid.uuid4()
        sets["revision_id"] = store.encode_value(doc.revision_id)


async def _after(docs: Sequence[Document], event: str, written: int) -> None:
    """After actions, when the write reached every document. When fewer were written (some
    changed meanwhile to leave the filter), which ones is unknown: none get After actions."""
    if written != len(docs):
        log.warning(
            "%s of %d selected documents written: After actions skipped", written, len(docs)
        )
        return
    for doc in docs:
        await store.after_event(doc, event)


async def delete_many(spec: ModelSpec, request: Request, ctx: Any) -> Response:
    """`DELETE P?<filter>`: delete every selected document, with its Delete event actions
    (the whole documents are read only when the model has some)."""
    filter_ = await bulk_filter(spec, request, ctx)
    acted = store.has_actions(spec.model, "delete")
    whole = acted or audit.auditing(request)
    found = await selected(spec, filter_, ctx.max_batch, None if whole else {"_id": 1})
    if not found:
        return JSONResponse({"deleted": 0})
    docs = [instance_of(spec, raw) for raw in found] if acted else []
    for doc in docs:
        await store.before_event(doc, "delete")
    deleted = await store.delete_many(spec.model, scoped(filter_, found))
    if acted:
        await _after(docs, "delete", deleted)
    await _audit_deletes(request, spec, found, deleted)
    return JSONResponse({"deleted": deleted})


async def _audit_deletes(
    request: Request, spec: ModelSpec, found: Sequence[Raw], deleted: int
) -> None:
    """One event per deleted document. When fewer went than were selected (some changed
    meanwhile to leave the filter), those still stored are left out."""
    if not audit.auditing(request) or not deleted:
        return
    gone = found
    if deleted != len(found):
        ids = [raw["_id"] for raw in found]
        left = await store.find_many(spec.model, {"_id": {"$in": ids}}, projection={"_id": 1})
        kept = {raw["_id"] for raw in left}
        gone = [raw for raw in found if raw["_id"] not in kept]
    for before in gone:
        await audit.record(request, spec.model, "delete", before, None)
