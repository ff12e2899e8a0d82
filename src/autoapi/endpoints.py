"""Thin route handlers: parse, call the database or a hook, render."""

from __future__ import annotations

import functools
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

from autoapi import audit, bulk, faults, store
from autoapi import policy as policies
from autoapi.bodies import CHECK_BODY, Body, raise_faults, read_bodies, read_body
from autoapi.errors import ProblemError, not_found, unprocessable, validation_errors
from autoapi.hooks import BEFORE, CREATED, SAVED, Hooks, call, created
from autoapi.introspect import ModelSpec
from autoapi.links import check_batch_links, check_links
from autoapi.listing import Listing, list_response
from autoapi.preconditions import guard_write, not_modified, require_if_match, tag_of, tagged
from autoapi.projection import check_projection
from autoapi.query import parse_fields, parse_populate
from autoapi.render import Renderer
from autoapi.resources import ForwardRef, Resource, ReverseRef
from autoapi.serialize import JSONResponse
from autoapi.upsert import parse_mode
from autoapi.validation import check_query, shaped
from autoapi.writes import apply_paths, instance_of

Projection = dict[str, int] | None  # a parsed `fields`


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
    listing: Listing | None = None
    require_if_match: bool = False
    max_batch: int = 1000

    def __post_init__(self) -> None:
        if self.listing is None:
            object.__setattr__(self, "listing", Listing(self.default_limit, self.max_limit))

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
        return await list_response(self.ctx, request, self.spec, {})

    async def get(self, request: Request) -> Response:
        ident = self._path_id(request)
        populate = await self._populate(request)
        fields = await self._fields(request)
        raw = await self._find_one(self.spec, {"_id": ident})
        tag = tag_of(self.spec, raw)
        unchanged = None if populate else not_modified(request, tag)
        if unchanged is not None:
            return unchanged
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate, fields)
        return _respond(request, rendered, headers={"ETag": tag})

    async def forward(self, request: Request, ref: ForwardRef) -> Response:
        """The linked document (null when unset or gone); a list of links → `{total, items}`."""
        key = ref.link.key
        ident = self._path_id(request)
        if not (await policies.access_for(request, self.spec.model)).readable(key):
            raise ProblemError(404, "no route here")  # a link hidden from this request
        target = self.ctx.specs[ref.link.target]
        populate = await self._populate(request, target)
        raw = await self._find_one(self.spec, {"_id": ident}, {key: 1})
        stored: list[Any] = []
        docs = await self.ctx.renderer.render_linked(self.spec, raw, key, request, populate, stored)
        if not ref.link.many:
            one = stored[0] if stored else None
            return _respond(request, docs[0] if docs else None, headers=tagged(target, one))
        items = [doc for doc in docs if doc is not None]
        return _respond(request, {"total": len(items), "items": items})

    async def reverse(self, request: Request, ref: ReverseRef) -> Response:
        ident = self._path_id(request)
        child = self.ctx.specs[ref.child]
        base = {ref.link.key: _ref_to(self.spec, ident)}
        parent = lambda: self._find_one(self.spec, {"_id": ident}, {"_id": 1})  # noqa: E731
        return await list_response(self.ctx, request, child, base, parent)

    # -- writes --------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        access = await policies.access_for(request, self.spec.model)
        async with audit.transaction(request, self.spec.model):
            with faults.blaming_the_server(self.spec, access):
                return await self._create(request)

    async def _create(self, request: Request) -> Response:
        method = request.headers.get("x-http-method")
        mode = None if method is None else parse_mode(method)
        if mode is not None:  # CoU needs post and patch, CoR post and put
            await policies.require(request, self.spec.model, mode)
        if mode == "cou":  # merges like PATCH: the POST entry's body (a whole document) is not its
            request.scope.pop(CHECK_BODY, None)
        populate = await self._populate(request)
        fields = await self._fields(request)
        read = await read_bodies(request, self.spec, self.ctx.model_name_key, self.ctx.max_batch)
        if isinstance(read, list):
            if mode is not None:
                raise ProblemError(400, "X-HTTP-Method takes one document, not an array")
            return await self._create_many(request, read, populate, fields)
        data = await self._checked_data(request, read)
        raise_faults(read)
        if mode is not None:
            return await self._create_or_write(request, data, mode, populate, fields)
        validate = functools.partial(_validate, self.spec.model, data)
        if "api_post" in self.hooks.custom:
            validate()
        await check_links(self.spec, data, validate)
        doc = created(self.spec.model, await self._write(call(self.hooks.api_post, data, request)))
        raw = store.encode_document(doc)
        await audit.record(request, self.spec.model, "create", None, raw)
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate, fields)
        headers = {"Location": _location(request, doc), **tagged(self.spec, raw)}
        return _respond(request, rendered, 201, headers)

    async def _checked_data(self, request: Request, body: Body) -> dict[str, Any]:
        """The body's data under the policy: fields it may write, stamps applied, `_id`."""
        access = await policies.access_for(request, self.spec.model)
        access.check_body(body.data)
        data = access.stamped(body.data)  # stamps before validation
        if body.has_id:
            data["_id"] = self._body_id(body.id)
        return data

    async def _create_or_write(
        self,
        request: Request,
        data: dict[str, Any],
        mode: str,
        populate: tuple[str, ...],
        fields: Projection,
    ) -> Response:
        request.scope["autoapi.method"] = mode  # `cou` / `cor`, for access rules
        hook = self.hooks.api_cou if mode == "cou" else self.hooks.api_cor
        await check_links(self.spec, data)
        doc = created(self.spec.model, await self._write(call(hook, data, request)))
        raw = request.scope.get(SAVED, {}).get(id(doc)) or store.encode_document(doc)
        is_new = request.scope.get(CREATED, {}).get(id(doc), True)
        action: audit.Action = "create" if is_new else ("update" if mode == "cou" else "replace")
        before = None if is_new else request.scope.get(BEFORE, {}).get(id(doc))
        await audit.record(request, self.spec.model, action, before, raw)
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate, fields)
        headers = tagged(self.spec, raw)
        if is_new:
            headers["Location"] = _location(request, doc)
        return _respond(request, rendered, 201 if is_new else 200, headers)

    async def _create_many(
        self, request: Request, bodies: list[Body], populate: tuple[str, ...], fields: Projection
    ) -> Response:
        items = [await self._checked_data(request, body) for body in bodies]
        raise_faults(*bodies)
        bulk.validate_all(self.spec, items)
        await check_batch_links(self.spec, items)
        done = await self._write(bulk.insert_all(self.spec, self.hooks, items, request))
        if isinstance(done, Response):
            return done
        raws = [store.encode_document(doc) for doc in done]
        for raw in raws:
            await audit.record(request, self.spec.model, "create", None, raw)
        rendered = await self.ctx.renderer.render_whole(self.spec, raws, request, populate, fields)
        # the route's 201 schema describes one document: it shapes each item, not the wrapper
        items = [shaped(request, 201, item) for item in rendered]
        return JSONResponse({"items": items}, status_code=201)

    async def patch_many(self, request: Request) -> Response:
        await policies.require(request, self.spec.model, "bulk_patch")
        async with audit.transaction(request, self.spec.model):
            return await self._write(bulk.patch_many(self.spec, request, self.ctx))  # type: ignore[no-any-return]

    async def delete_many(self, request: Request) -> Response:
        await policies.require(request, self.spec.model, "bulk_delete")
        async with audit.transaction(request, self.spec.model):
            return await self._write(bulk.delete_many(self.spec, request, self.ctx))  # type: ignore[no-any-return]

    async def update(self, request: Request) -> Response:
        async with audit.transaction(request, self.spec.model):
            return await self._update(request)

    async def _update(self, request: Request) -> Response:
        ident = self._path_id(request)
        populate = await self._populate(request)
        fields = await self._fields(request)
        require_if_match(request, self.ctx.require_if_match)
        body = await read_body(request, self.spec, self.ctx.model_name_key)
        if body.has_id and self._body_id(body.id) != ident:
            raise unprocessable([{"field": "_id", "message": "must equal the id in the path"}])
        (await policies.access_for(request, self.spec.model)).check_body(body.data)
        before, doc = await self._instance(ident, request)
        raise_faults(body)

        def validate() -> None:
            apply_paths(self.spec, doc.model_copy(deep=True), body.data)

        if "api_put" in self.hooks.custom:
            validate()  # the hook's write may not validate: check first
        await check_links(self.spec, body.data, validate)
        saved = await self._write(call(self.hooks.api_put, doc, body.data, request))
        result = saved if isinstance(saved, Document) else doc
        raw = request.scope.get(SAVED, {}).get(id(result)) or store.encode_document(result)
        await audit.record(request, self.spec.model, "update", before, raw)
        rendered = await self.ctx.renderer.render(self.spec, raw, request, populate, fields)
        return _respond(request, rendered, headers=tagged(self.spec, raw))

    async def delete(self, request: Request) -> Response:
        async with audit.transaction(request, self.spec.model):
            return await self._delete(request)

    async def _delete(self, request: Request) -> Response:
        ident = self._path_id(request)
        check_query(request)
        require_if_match(request, self.ctx.require_if_match)
        before, doc = await self._instance(ident, request)
        await self._write(call(self.hooks.api_delete, doc, request))
        await audit.record(request, self.spec.model, "delete", before, None)
        return _respond(request, {"success": True})

    # -- helpers -------------------------------------------------------------

    async def _find_one(
        self, spec: ModelSpec, filter_: dict[str, Any], projection: Any = None
    ) -> dict[str, Any]:
        raw = await store.find_one(spec.model, filter_, projection)
        if raw is None:
            raise not_found(spec.name)
        return raw

    async def _instance(self, ident: Any, request: Request) -> tuple[dict[str, Any], Document]:
        """The stored document (as read) and its model instance, for a write."""
        raw = await self._find_one(self.spec, {"_id": ident})
        guard_write(request, self.spec, raw)  # If-Match: 412 now, or a guard on the write
        return raw, instance_of(self.spec, raw)

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
        paths: tuple[str, ...] = ()
        if request.scope.get("query_string"):  # most reads have none: no parse
            params = {k: request.query_params.getlist(k) for k in ("populate", "populate[]")}
            paths = parse_populate(spec or self.spec, params, self.ctx.lookup)
        check_query(request)  # the route's querystring schema, after autoapi's own parse
        await policies.check_populate(request, self.ctx.specs, spec or self.spec, paths)
        return paths

    async def _fields(self, request: Request) -> Projection:
        """`fields` on a route answering one document: what of it the answer keeps."""
        text = request.query_params.get("fields") if request.scope.get("query_string") else None
        if not text:
            return None
        visible = (await policies.access_for(request, self.spec.model)).visible(self.spec)
        projection = parse_fields(visible, text)
        check_projection(projection)
        return projection


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


def _location(request: Request, doc: Document) -> str:
    url = str(request.url).partition("?")[0]  # a `?` in the path is escaped: this is the query
    return f"{url.rstrip('/')}/{quote(str(doc.id), safe='')}"
