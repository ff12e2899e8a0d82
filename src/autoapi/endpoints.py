"""Thin route handlers: parse, call the database or a hook, render."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from beanie import Document
from beanie.exceptions import DocumentNotFound, RevisionIdWasChanged
from bson import DBRef
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError, ExecutionTimeout, OperationFailure
from starlette.requests import Request
from starlette.responses import Response

from autoapi.bodies import read_body
from autoapi.errors import ProblemError, unprocessable, validation_errors
from autoapi.hooks import Hooks, call, created, list_query
from autoapi.introspect import ForwardRef, ModelSpec, Resource, ReverseRef
from autoapi.query import ListQuery, and_filters, parse_list_query, parse_populate
from autoapi.render import Renderer
from autoapi.serialize import JSONResponse, deep_merge, encode_document
from autoapi.where import search_error


@dataclass(frozen=True)
class Context:
    """What every handler needs from its `AutoAPI`."""

    specs: Mapping[type[Document], ModelSpec]
    hooks: Mapping[type[Document], Hooks]
    renderer: Renderer
    default_limit: int
    max_limit: int
    max_time_ms: int | None
    model_name_key: str | None

    def lookup(self, model: type) -> ModelSpec:
        return self.specs[model]


class Endpoints:
    """The handlers of one resource."""

    def __init__(self, ctx: Context, resource: Resource) -> None:
        self.ctx = ctx
        self.resource = resource
        self.spec = resource.spec
        self.hooks = ctx.hooks[self.spec.model]

    # -- reads ---------------------------------------------------------------

    async def collection(self, request: Request) -> Response:
        return await self._list(request, self.spec, {})

    async def get(self, request: Request) -> Response:
        ident = self._path_id(request)
        populate = self._populate(request)
        raw = await self._find_one(self.spec, {"_id": ident})
        return JSONResponse(await self.ctx.renderer.render(self.spec, raw, request, populate))

    async def forward(self, request: Request, ref: ForwardRef) -> Response:
        """The linked document (null when unset or gone); a list of links → `{total, items}`."""
        key = ref.link.key
        raw = await self._find_one(self.spec, {"_id": self._path_id(request)}, {key: 1})
        populate = self._populate(request, self.ctx.specs[ref.link.target])
        docs = await self.ctx.renderer.render_linked(self.spec, raw, key, request, populate)
        if not ref.link.many:
            return JSONResponse(docs[0] if docs else None)
        items = [doc for doc in docs if doc is not None]
        return JSONResponse({"total": len(items), "items": items})

    async def reverse(self, request: Request, ref: ReverseRef) -> Response:
        ident = self._path_id(request)
        await self._find_one(self.spec, {"_id": ident}, {"_id": 1})
        child = self.ctx.specs[ref.child]
        base = {ref.link.key: _ref_to(self.spec, ident)}
        return await self._list(request, child, base)

    # -- writes --------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        body = await read_body(request, self.spec, self.ctx.model_name_key)
        populate = self._populate(request)
        data = dict(body.data)
        if body.has_id:
            data["_id"] = self._body_id(body.id)
        if "api_post" in self.hooks.custom:
            _validate(self.spec.model, data)
        doc = created(self.spec.model, await self._write(call(self.hooks.api_post, data, request)))
        raw = encode_document(doc)
        location = f"{str(request.url.replace(query='')).rstrip('/')}/{quote(str(doc.id), safe='')}"
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate)
        return JSONResponse(rendered, status_code=201, headers={"Location": location})

    async def update(self, request: Request) -> Response:
        ident = self._path_id(request)
        body = await read_body(request, self.spec, self.ctx.model_name_key)
        populate = self._populate(request)
        if body.has_id and self._body_id(body.id) != ident:
            raise unprocessable([{"field": "_id", "message": "must equal the id in the path"}])
        doc = await self._instance(ident)
        if "api_put" in self.hooks.custom:
            _validate(self.spec.model, deep_merge(encode_document(doc), body.data))
        saved = await self._write(call(self.hooks.api_put, doc, body.data, request))
        raw = encode_document(saved if isinstance(saved, Document) else doc)
        return JSONResponse(await self.ctx.renderer.render(self.spec, raw, request, populate))

    async def delete(self, request: Request) -> Response:
        doc = await self._instance(self._path_id(request))
        await call(self.hooks.api_delete, doc, request)
        return JSONResponse({"success": True})

    # -- helpers -------------------------------------------------------------

    async def _list(self, request: Request, spec: ModelSpec, base: dict[str, Any]) -> Response:
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        q = parse_list_query(
            spec, params, self.ctx.lookup, self.ctx.default_limit, self.ctx.max_limit
        )
        items, total = await self._run_list(request, spec, q, base)
        return JSONResponse({"total": total, "items": items})

    async def _run_list(
        self, request: Request, spec: ModelSpec, q: ListQuery, base: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        find = spec.model.find(base, q.filter) if base else spec.model.find(q.filter)
        if q.sort:
            find = find.sort(q.sort)  # type: ignore[arg-type]  # Beanie accepts 1/-1
        hooked = await call(self.ctx.hooks[spec.model].on_list_query, find, request)
        find = list_query(hooked, find)
        # `base` scopes a reverse route to its parent: AND it again after the hook, so a hook
        # that returns a fresh query cannot widen the route to every document.
        filter_ = and_filters([base, find.get_filter_query()])
        sort_spec = [(k, int(d)) for k, d in find.sort_expressions] or _score_sort(q) or None
        projection = self.ctx.renderer.db_projection(spec, q.projection)
        raws, total = await self._page(spec, filter_, sort_spec, projection, q)
        items = await self.ctx.renderer.render_many(spec, raws, request, q.populate, q.projection)
        return items, total

    async def _page(
        self, spec: ModelSpec, filter_: Any, sort: Any, projection: Any, q: ListQuery
    ) -> tuple[list[Any], int]:
        coll = spec.model.get_motor_collection()
        timeout = {"max_time_ms": self.ctx.max_time_ms} if self.ctx.max_time_ms else {}
        budget = self.ctx.max_time_ms
        count_opts: dict[str, Any] = {"maxTimeMS": budget} if budget else {}
        # batch size = page size: one `find` answers the whole page, no `getMore` per 101 docs
        cursor = coll.find(
            filter_,
            projection,
            sort=sort,
            skip=q.skip,
            limit=q.limit,
            batch_size=q.limit,
            **timeout,
        )
        try:
            count = coll.count_documents(filter_, **count_opts)
            if q.search:  # count first: its refusal (no text index) is the clear one
                total = await count
                return (await cursor.to_list(None) if total > q.skip else []), total
            raws, total = await asyncio.gather(cursor.to_list(None), count)
        except (OperationFailure, NotImplementedError) as exc:
            raise _db_error(exc) from exc
        return raws, total

    async def _find_one(
        self, spec: ModelSpec, filter_: dict[str, Any], projection: Any = None
    ) -> dict[str, Any]:
        raw = await spec.model.get_motor_collection().find_one(filter_, projection)
        if raw is None:
            raise ProblemError(404, f"no {spec.name} with this id")
        return raw  # type: ignore[no-any-return]

    async def _instance(self, ident: Any) -> Document:
        raw = await self._find_one(self.spec, {"_id": ident})
        doc: Document = self.spec.model.model_validate(raw)
        return doc

    async def _write(self, pending: Any) -> Any:
        try:
            return await pending
        except RevisionIdWasChanged:
            raise ProblemError(409, f"{self.spec.name} changed meanwhile; read it again") from None
        except DocumentNotFound:
            raise ProblemError(404, f"no {self.spec.name} with this id") from None
        except DuplicateKeyError as exc:
            keys = ", ".join((exc.details or {}).get("keyValue", {}) or ["a unique key"])
            raise ProblemError(
                409,
                f"a {self.spec.name} with this {keys} already exists",
                [
                    {"field": k, "message": "already exists"}
                    for k in (exc.details or {}).get("keyValue", {})
                ],
            ) from None

    def _path_id(self, request: Request) -> Any:
        try:
            return self.spec.parse_id(request.path_params["id"])
        except ValueError:
            raise ProblemError(404, f"no {self.spec.name} with this id") from None

    def _body_id(self, value: Any) -> Any:
        try:
            return self.spec.parse_id(value)
        except ValueError as exc:
            raise unprocessable([{"field": "_id", "message": str(exc)}]) from None

    def _populate(self, request: Request, spec: ModelSpec | None = None) -> tuple[str, ...]:
        params = {k: request.query_params.getlist(k) for k in ("populate", "populate[]")}
        return parse_populate(spec or self.spec, params, self.ctx.lookup)


def _validate(model: type[Document], data: dict[str, Any]) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise unprocessable(validation_errors(exc)) from None


def _ref_to(spec: ModelSpec, ident: Any) -> DBRef:
    return DBRef(spec.collection, ident)


def _score_sort(q: ListQuery) -> list[tuple[str, Any]]:
    return [("score", {"$meta": "textScore"})] if q.search else []


REFUSED_QUERY_CODES = frozenset({2, 51091})  # BadValue, "Regular expression is invalid"


def _db_error(exc: BaseException) -> ProblemError:
    if isinstance(exc, ExecutionTimeout):
        return ProblemError(
            503, "the query took longer than the time budget allows", headers={"Retry-After": "1"}
        )
    problem = search_error(exc)
    if problem is not None:
        return problem
    if isinstance(exc, OperationFailure) and exc.code in REFUSED_QUERY_CODES:
        # e.g. a pattern Python compiles but the server's PCRE does not
        reason = (exc.details or {}).get("errmsg", "invalid query")
        return ProblemError(
            400,
            f"the database refused the query: {reason}",
            [{"field": "where", "message": reason}],
        )
    raise exc
