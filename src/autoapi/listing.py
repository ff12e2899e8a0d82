"""The list routes' flow: options, hook, keyset or offset page, count mode, Link header.

A page is fetched with `limit + 1` documents (the extra one only says whether there is
more). A page reached by `cursor` is one range query on the sort keys, never a `skip`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from autoapi import policy as policies
from autoapi import store
from autoapi.cursors import (
    Cursor,
    Scope,
    SortSpec,
    effective_sort,
    filter_digest,
    sort_problem,
)
from autoapi.hooks import call, list_query
from autoapi.introspect import ModelSpec
from autoapi.pages import (
    CountMode,
    Page,
    count_limit,
    count_mode,
    cursor_page,
    cursor_query,
    link_header,
    offset_page,
    parse_count,
    read_cursor,
    total_fields,
)
from autoapi.projection import check_projection
from autoapi.query import ListQuery, and_filters, parse_list_query
from autoapi.serialize import JSONResponse
from autoapi.validation import check_query, shaped

FILTER_PARAMS = ("filter", "where", "match")


@dataclass(frozen=True)
class Listing:
    """The `AutoAPI` options a list route needs."""

    default_limit: int
    max_limit: int
    count: CountMode = "exact"
    max_count: int | None = None


@dataclass(frozen=True)
class Plan:
    """One list request, ready to run: the effective filter and sort, and the cursor."""

    spec: ModelSpec
    query: ListQuery
    filter: dict[str, Any]
    sort: list[tuple[str, Any]]
    scope: Scope | None  # None: this order cannot be walked with tokens (search, lists)
    cursor: Cursor | None
    count: CountMode
    max_count: int | None = None


async def list_response(
    ctx: Any,
    request: Request,
    spec: ModelSpec,
    base: dict[str, Any],
    parent: Callable[[], Awaitable[Any]] | None = None,
) -> JSONResponse:
    """The answer of a list route over `spec`'s model, scoped by `base` (a reverse route,
    whose `parent` must exist: checked once the options have been found valid)."""
    plan = await plan_list(ctx, request, spec, base)
    if parent is not None:
        await parent()
    projection, added = widened(ctx.renderer.db_projection(spec, plan.query.projection), plan)
    page, counted = await _fetch(plan, projection, _blamed(request))
    strip(page.docs, added)
    renderer = ctx.renderer
    q = plan.query
    items = await renderer.render_many(spec, page.docs, request, q.populate, q.projection)
    body = {**total_fields(plan.count, counted, plan.max_count), "items": items}
    body.update(next=page.next, prev=page.prev)
    link = link_header(str(request.url), page.next, page.prev)
    return JSONResponse(shaped(request, 200, body), headers={"Link": link} if link else None)


async def plan_list(ctx: Any, request: Request, spec: ModelSpec, base: dict[str, Any]) -> Plan:
    """Parse the options, run `on_list_query`, and read the cursor against the result."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    opts = ctx.listing
    access = await policies.access_for(request, spec.model)
    visible = access.visible(spec)
    q = parse_list_query(visible, params, ctx.lookup, opts.default_limit, opts.max_limit)
    check_projection(q.projection)  # belongs in the `fields` parser: a 400, not a 500
    typed = {"offset": q.skip, "limit": q.limit}
    check_query(request, {k: v for k, v in typed.items() if params.get(k, [""])[-1]})
    await policies.check_populate(request, ctx.specs, spec, q.populate)
    requested = parse_count(request.query_params.get("count"), opts.count)
    filter_, order = await _list_query(ctx, request, spec, base, q)
    walkable = q.search is None and sort_problem(spec, order) is None
    scope = Scope(_route(request), order, _digest(params)) if walkable else None
    cursor = None
    token = request.query_params.get("cursor")
    if token is not None:
        check = scope or Scope(_route(request), order, _digest(params))
        cursor = read_cursor(token, check, spec, offset_given="offset" in params, search=q.search)
    sort: list[tuple[str, Any]] = list(order)
    if q.search:
        sort = [("score", {"$meta": "textScore"}), *order]
    mode = count_mode(requested, filter_ or access.filter or {})  # the row filter counts too
    return Plan(spec, q, filter_, sort, scope, cursor, mode, opts.max_count)


async def _list_query(
    ctx: Any, request: Request, spec: ModelSpec, base: dict[str, Any], q: ListQuery
) -> tuple[dict[str, Any], SortSpec]:
    """The filter and sort after `on_list_query`; a Beanie query is built for a model's own
    hook only (the default leaves it as it is)."""
    hooks = ctx.hooks[spec.model]
    if "on_list_query" not in hooks.custom:
        filter_ = store.encode_filter(spec.model, and_filters([base, q.filter]))
        return filter_, effective_sort(q.sort)
    filters = (base, q.filter) if base else (q.filter,)
    find = store.new_find(spec.model, *filters, sort=q.sort or ())
    hooked = await call(hooks.on_list_query, find, request)
    hook_filter, hook_sort = store.find_parts(list_query(hooked, find))
    # `base` scopes a reverse route to its parent: AND it again after the hook, so a hook
    # that returns a fresh query cannot widen the route to every document.
    return and_filters([base, hook_filter]), effective_sort(hook_sort or q.sort)


async def _fetch(plan: Plan, projection: Any, blame: tuple[str, ...]) -> tuple[Page, int | None]:
    q = plan.query
    filter_, sort, skip = plan.filter, plan.sort, q.skip
    if plan.cursor is not None:
        keyset, sort = cursor_query(plan.cursor)
        filter_, skip = and_filters([filter_, keyset]), 0
    rows = store.find_many(
        plan.spec.model,
        filter_,
        sort=sort,
        projection=projection,
        skip=skip,
        limit=q.limit + 1,
        blame=blame,
    )
    counting = _count(plan, blame)
    if q.search and counting is not None:  # count first: its refusal (no text index) is clearer
        try:
            counted = await counting
        except BaseException:
            rows.close()
            raise
        raws = await rows if counted > q.skip else _closed(rows)
    elif counting is None:
        raws, counted = await rows, None
    else:
        raws, counted = await asyncio.gather(rows, counting)
    return _page(plan, raws), counted


def _count(plan: Plan, blame: tuple[str, ...]) -> Any:
    """The pending count of the plan's mode; None runs no count command at all."""
    if plan.count == "none":
        return None
    if plan.count == "estimated":
        return store.estimated_count(plan.spec.model)
    limit = count_limit(plan.max_count)
    return store.count(plan.spec.model, plan.filter, limit=limit, blame=blame)


def _page(plan: Plan, raws: list[dict[str, Any]]) -> Page:
    limit = plan.query.limit
    if plan.cursor is not None:
        return cursor_page(raws, limit, plan.cursor)
    if plan.scope is None:
        return Page(raws[:limit], None, None)
    return offset_page(raws, limit, plan.query.skip, plan.scope)


# -- the projection: sort keys are needed for the tokens ------------------------------------


def widened(projection: Any, plan: Plan) -> tuple[Any, list[str]]:
    """The projection to send, keeping the sort keys the tokens are made from, and the
    paths added for that (to strip before rendering)."""
    if not projection or plan.scope is None:
        return projection, []
    out = dict(projection)
    added: list[str] = []
    include = any(v for k, v in out.items() if k != "_id")
    for path, _ in plan.scope.sort:
        if path == "_id":
            if out.get("_id") == 0:
                del out["_id"]
                added.append("_id")
            continue
        covered = any(path == k or path.startswith(k + ".") for k, v in out.items() if v)
        if include and not covered:
            out[path] = 1
            added.append(path)
        elif not include and _excluded(out, path):
            out = {k: v for k, v in out.items() if not _overlaps(k, path)}
            added.append(path)
    return (out or None), added


def _excluded(projection: Mapping[str, int], path: str) -> bool:
    return any(_overlaps(k, path) and v == 0 for k, v in projection.items())


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def strip(docs: Sequence[dict[str, Any]], paths: Sequence[str]) -> None:
    """Remove paths the client's projection left out (and parents emptied by that)."""
    for doc in docs:
        for path in paths:
            _remove(doc, path.split("."))


def _remove(node: dict[str, Any], parts: list[str]) -> None:
    head = parts[0]
    if len(parts) == 1:
        node.pop(head, None)
        return
    child = node.get(head)
    if isinstance(child, dict):
        child = node[head] = dict(child)
        _remove(child, parts[1:])
        if not child:
            del node[head]


# -- what a token is bound to --------------------------------------------------------------


def _route(request: Request) -> str:
    """The route below the mount, with its ids: another parent is another route."""
    path = request.url.path
    root = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _digest(params: Mapping[str, Sequence[str]]) -> str:
    return _digest_of(tuple(tuple(params.get(name, ())) for name in FILTER_PARAMS))


@functools.lru_cache(maxsize=1024)  # most lists repeat a few filters (often none at all)
def _digest_of(values: tuple[tuple[str, ...], ...]) -> str:
    return filter_digest({name: list(v) for name, v in zip(FILTER_PARAMS, values, strict=True)})


def _blamed(request: Request) -> tuple[str, ...]:
    """The parameters a refused query can be blamed on, most likely first."""
    return tuple(name for name in ("search", "match", "where") if name in request.query_params)


def _closed(pending: Any) -> list[Any]:
    pending.close()  # the page query that a count of zero made pointless
    return []
