"""How a request reaches its handler: routing by the first path segment, and the ASGI
endpoints the generated routes are made of.

A request is matched against its collection's routes only, not against every route of
every model in turn.

Starlette's `Router` tries its routes in order, each a regular expression; with every
model's four or more routes in one list, the cost of finding a route grows with the
number of models. Here the first segment picks the routes of the collection it names,
and only what they do not match goes to the router of all routes (docs, metrics, 404),
so every answer is the one that router alone would give.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

from autoapi.errors import problem_response

Handler = Callable[[Request], Awaitable[Response]]


class Dispatch:
    """An ASGI app over `router` (all routes) and `groups` (first segment → its routes)."""

    def __init__(self, router: Router, groups: Mapping[str, Sequence[BaseRoute]]) -> None:
        self.router = router
        self.by_segment = {segment: tuple(routes) for segment, routes in groups.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("router", self.router)  # what `url_for` reads, as without this
        # A full match is handled as `Router` handles it; anything else (a partial match, a
        # trailing slash to redirect, no match) goes to the router of all routes, which
        # matches again from the start.
        for route in self.by_segment.get(first_segment(scope), ()):
            match, child = route.matches(scope)
            if match is Match.FULL:
                scope.update(child)
                await route.handle(scope, receive, send)
                return
        await self.router(scope, receive, send)


def first_segment(scope: Scope) -> str:
    """The first segment of the path below the mount (`books` of `/api/books/1`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path[1:].partition("/")[0]


def grouped(routes: Iterable[BaseRoute]) -> dict[str, list[BaseRoute]]:
    """Routes by the literal first segment of their path, in their order; none at all when
    a route's path starts with a parameter (it must be tried in its place for every path)."""
    groups: dict[str, list[BaseRoute]] = {}
    for route in routes:
        path = getattr(route, "path", "")
        segment = path[1:].partition("/")[0]
        if not path.startswith("/") or not segment or "{" in segment:
            return {}
        groups.setdefault(segment, []).append(route)
    return groups


# -- from a route to its handler --------------------------------------------------------


class Endpoint:
    """An ASGI endpoint for every method; Starlette limits plain functions to GET."""

    def __init__(self, endpoint: Handler) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


def bind(fn: Callable[[Request, Any], Awaitable[Response]], ref: Any) -> Handler:
    """A handler that calls `fn` with the route's reference (a forward or reverse link)."""

    async def handler(request: Request) -> Response:
        return await fn(request, ref)

    return handler


def head_of(get: Handler) -> Handler:
    """HEAD: the GET handler's answer without its body."""

    async def head(request: Request) -> Response:
        response = await get(request)
        response.body = b""  # headers (Content-Length included) stay those of the GET
        return response

    return head


async def no_content(allow: str) -> Response:
    return Response(status_code=204, headers={"Allow": allow})


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await problem_response(404, "no route here")(scope, receive, send)
