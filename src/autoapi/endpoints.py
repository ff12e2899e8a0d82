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
from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import Response

from autoapi import audit, store
from autoapi import policy as policies
from autoapi.bodies import read_body
from autoapi.errors import ProblemError, not_found, unprocessable, validation_errors
from autoapi.hooks import SAVED, Hooks, call, created, list_query
from autoapi.introspect import ForwardRef, ModelSpec, Resource, ReverseRef
from autoapi.links import check_links
from autoapi.projection import check_projection
from autoapi.query import ListQuery, and_filters, parse_list_query, parse_populate
from autoapi.render import Renderer, instance_of
from autoapi.serialize import JSONResponse
from autoapi.validation import check_query, shaped
from autoapi.writes import apply_paths


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
        populate = await self._populate(request)
        raw = await self._find_one(self.spec, {"_id": ident})
        return _respond(request, await self.ctx.renderer.render(self.spec, raw, request, populate))

    async def forward(self, request: Request, ref: ForwardRef) -> Response:
        """The linked document (null when unset or gone); a list of links → `{total, items}`."""
        key = ref.link.key
        ident = self._path_id(request)
        if not (await policies.access_for(request, self.spec.model)).readable(key):
            raise ProblemError(404, "no route here")  # a link hidden from this request
        populate = await self._populate(request, self.ctx.specs[ref.link.target])
        raw = await self._find_one(self.spec, {"_id": ident}, {key: 1})
        docs = await self.ctx.renderer.render_linked(self.spec, raw, key, request, populate)
        if not ref.link.many:
            return _respond(request, docs[0] if docs else None)
        items = [doc for doc in docs if doc is not None]
        return _respond(request, {"total": len(items), "items": items})

    async def reverse(self, request: Request, ref: ReverseRef) -> Response:
        ident = self._path_id(request)
        await self._find_one(self.spec, {"_id": ident}, {"_id": 1})
        child = self.ctx.specs[ref.child]
        base = {ref.link.key: _ref_to(self.spec, ident)}
        return await self._list(request, child, base)

    # -- writes --------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        populate = await self._populate(request)
        body = await read_body(request, self.spec, self.ctx.model_name_key)
        access = await policies.access_for(request, self.spec.model)
        access.check_body(body.data)
        data = access.stamped(body.data)  # stamps before validation
        if body.has_id:
            data["_id"] = self._body_id(body.id)
        if "api_post" in self.hooks.custom:
            _validate(self.spec.model, data)
        await check_links(self.spec, body.data)
        doc = created(self.spec.model, await self._write(call(self.hooks.api_post, data, request)))
        raw = store.encode_document(doc)
        await audit.record(request, self.spec.model, "create", None, raw)
        location = f"{str(request.url.replace(query='')).rstrip('/')}/{quote(str(doc.id), safe='')}"
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate)
        return _respond(request, rendered, 201, {"Location": location})

    async def update(self, request: Request) -> Response:
        ident = self._path_id(request)
        populate = await self._populate(request)
        body = await read_body(request, self.spec, self.ctx.model_name_key)
        if body.has_id and self._body_id(body.id) != ident:
            raise unprocessable([{"field": "_id", "message": "must equal the id in the path"}])
        (await policies.access_for(request, self.spec.model)).check_body(body.data)
        before = await self._find_one(self.spec, {"_id": ident})
        doc = instance_of(self.spec, before)
        if "api_put" in self.hooks.custom:
            apply_paths(self.spec, doc.model_copy(deep=True), body.data)  # validate only
        await check_links(self.spec, body.data)
        saved = await self._write(call(self.hooks.api_put, doc, body.data, request))
        result = saved if isinstance(saved, Document) else doc
        raw = request.scope.get(SAVED, {}).get(id(result)) or store.encode_document(result)
        await audit.record(request, self.spec.model, "update", before, raw)
        return _respond(request, await self.ctx.renderer.render(self.spec, raw, request, populate))

    async def delete(self, request: Request) -> Response:
        ident = self._path_id(request)
        check_query(request)
        before = await self._find_one(self.spec, {"_id": ident})
        await self._write(call(self.hooks.api_delete, instance_of(self.spec, before), request))
        await audit.record(request, self.spec.model, "delete", before, None)
        return _respond(request, {"success": True})

    # -- helpers -------------------------------------------------------------

    async def _list(self, request: Request, spec: ModelSpec, base: dict[str, Any]) -> Response:
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        visible = (await policies.access_for(request, spec.model)).visible(spec)
        q = parse_list_query(
            visible, params, self.ctx.lookup, self.ctx.default_limit, self.ctx.max_limit
        )
        check_projection(q.projection)  # belongs in the `fields` parser: a 400, not a 500
        typed = {"offset": q.skip, "limit": q.limit}
        check_query(request, {k: v for k, v in typed.items() if params.get(k, [""])[-1]})
        await policies.check_populate(request, self.ctx.specs, spec, q.populate)
        items, total = await self._run_list(request, spec, q, base)
        return _respond(request, {"total": total, "items": items})

    async def _run_list(
        self, request: Request, spec: ModelSpec, q: ListQuery, base: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        filters = (base, q.filter) if base else (q.filter,)
        find = store.new_find(spec.model, *filters, sort=q.sort or ())
        hooked = await call(self.ctx.hooks[spec.model].on_list_query, find, request)
        hook_filter, hook_sort = store.find_parts(list_query(hooked, find))
        # `base` scopes a reverse route to its parent: AND it again after the hook, so a hook
        # that returns a fresh query cannot widen the route to every document.
        filter_ = and_filters([base, hook_filter])
        sort_spec = hook_sort or _score_sort(q) or None
        projection = self.ctx.renderer.db_projection(spec, q.projection)
        raws, total = await self._page(spec, filter_, sort_spec, projection, q, _blamed(request))
        items = await self.ctx.renderer.render_many(spec, raws, request, q.populate, q.projection)
        return items, total

    async def _page(
        self,
        spec: ModelSpec,
        filter_: Any,
        sort: Any,
        projection: Any,
        q: ListQuery,
        blame: tuple[str, ...],
    ) -> tuple[list[Any], int]:
        page = store.find_many(
            spec.model,
            filter_,
            sort=sort,
            projection=projection,
            skip=q.skip,
            limit=q.limit,
            blame=blame,
        )
        count = store.count(spec.model, filter_, blame=blame)
        if q.search:  # count first: its refusal (no text index) is the clear one
            try:
                total = await count
            except BaseException:
                page.close()
                raise
            return (await page if total > q.skip else _closed(page)), total
        raws, total = await asyncio.gather(page, count)
        return raws, total

    async def _find_one(
        self, spec: ModelSpec, filter_: dict[str, Any], projection: Any = None
    ) -> dict[str, Any]:
        raw = await store.find_one(spec.model, filter_, projection)
        if raw is None:
            raise not_found(spec.name)
        return raw

    async def _instance(self, ident: Any) -> Document:
        return instance_of(self.spec, await self._find_one(self.spec, {"_id": ident}))

    async def _write(self, pending: Any) -> Any:
        try:
            return await pending
        except RevisionIdWasChanged:
            raise ProblemError(409, f"{self.spec.name} changed meanwhile; read it again") from None
        except DocumentNotFound:
            raise not_found(self.spec.name) from None
        except PyMongoError as exc:  # a custom hook writing through Beanie or the driver
            raise store.db_problem(exc, model=self.spec.model) from exc

    def _path_id(self, request: Request) -> Any:
        try:
            return self.spec.parse_id(request.path_params["id"])
        except ValueError:
            raise not_found(self.spec.name) from None

    def _body_id(self, value: Any) -> Any:
        try:
            return self.spec.parse_id(value)
        except ValueError as exc:
            raise unprocessable([{"field": "_id", "message": str(exc)}]) from None

    async def _populate(self, request: Request, spec: ModelSpec | None = None) -> tuple[str, ...]:
        params = {k: request.query_params.getlist(k) for k in ("populate", "populate[]")}
        paths = parse_populate(spec or self.spec, params, self.ctx.lookup)
        check_query(request)  # the route's querystring schema, after autoapi's own parse
        await policies.check_populate(request, self.ctx.specs, spec or self.spec, paths)
        return paths


def _respond(
    request: Request, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """The JSON answer, shaped by the route's response schema (if any) before encoding."""
    return JSONResponse(shaped(request, status, payload), status_code=status, headers=headers)


def _validate(model: type[Document], data: dict[str, Any]) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise unprocessable(validation_errors(exc)) from None


def _ref_to(spec: ModelSpec, ident: Any) -> DBRef:
    return DBRef(spec.collection, ident)


def _score_sort(q: ListQuery) -> list[tuple[str, Any]]:
    return [("score", {"$meta": "textScore"})] if q.search else []


def _blamed(request: Request) -> tuple[str, ...]:
    """The parameters a refused query can be blamed on, most likely first."""
    return tuple(name for name in ("search", "match", "where") if name in request.query_params)


def _closed(pending: Any) -> list[Any]:
    pending.close()  # the page query that a count of zero made pointless
    return []
