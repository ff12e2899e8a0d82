"""`AutoAPI`: the ASGI app that serves every generated route, with its own error handling."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from beanie import Document
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from autoapi import policy as policies
from autoapi import store
from autoapi.audit import Auditor, Sink
from autoapi.dispatch import (
    Dispatch,
    Endpoint,
    Handler,
    bind,
    grouped,
    head_of,
    no_content,
    not_found,
)
from autoapi.docs import doc_routes
from autoapi.endpoints import Context, Endpoints
from autoapi.errors import ProblemError, problem_response, to_response
from autoapi.hooks import Hooks, call, find_hooks
from autoapi.introspect import ModelSpec, collection_name, inspect_model
from autoapi.listing import Listing
from autoapi.metrics import Metrics
from autoapi.modelschema import SchemaOptions
from autoapi.openapi import OpenAPIInfo, openapi_document
from autoapi.options import (
    check_batch,
    check_count,
    check_limits,
    check_methods,
    check_models,
    model_name_key,
)
from autoapi.pages import CountMode
from autoapi.render import Renderer
from autoapi.requestid import echoing, forget_request_id, get_logger, request_id
from autoapi.resources import Resource, build_resources
from autoapi.routes import METHODS, Shape, of_shape
from autoapi.schemas import build_schema_set
from autoapi.validation import RouteValidator, guard

logger = get_logger()

CheckAuth = Callable[[Request], Any]


class AutoAPI:
    """A REST API over Beanie models, to mount in a Starlette or FastAPI app.

    ``Mount("/api", app=AutoAPI(models=[Author, Book]))`` serves list, get, create, update,
    delete and options routes per model, reference routes in both directions, and
    ``/openapi.json``. Every error it answers is ``application/problem+json``.
    The host app runs ``init_beanie``; autoapi never opens a connection of its own.
    """

    def __init__(
        self,
        *,
        models: Sequence[type[Document]],
        methods: Iterable[str] = METHODS,
        check_auth: CheckAuth | None = None,
        expose_version_key: bool = True,
        expose_model_name: bool | str = False,
        schemas: Sequence[Mapping[str, Any]] = (),
        schema_dir: str | Path | None = None,
        default_limit: int | None = None,
        max_limit: int = 1000,
        max_time_ms: int | None = 10_000,
        title: str = "autoapi",
        version: str | None = None,
        security: Mapping[str, Mapping[str, Any]] | None = None,
        policy: policies.Policy | None = None,
        audit: Sink | None = None,
        metrics: bool = False,
        count: CountMode = "exact",
        max_count: int | None = None,
        require_if_match: bool = False,
        max_batch: int = 1000,
    ) -> None:
        self.models = check_models(models)
        self.methods = check_methods(methods)
        default_limit = min(100, max_limit) if default_limit is None else default_limit
        check_limits(default_limit, max_limit)
        self.max_time_ms = max_time_ms
        self.check_auth = check_auth
        self.model_name_key = model_name_key(expose_model_name)
        specs = _all_specs(self.models, expose_version_key)
        hooks = {model: find_hooks(model) for model in specs}
        self.policy = policy
        if policy is not None and hasattr(policy, "check_models"):
            policy.check_models(self.models, hooks)
        self.renderer = Renderer(specs, hooks, expose_version_key, self.model_name_key)
        self.auditor = None if audit is None else Auditor(audit, self.renderer.render_stored)
        self.metrics = Metrics() if metrics else None
        listing = Listing(default_limit, max_limit, check_count(count), max_count)
        check_batch(max_batch)
        self.context = Context(
            specs,
            hooks,
            self.renderer,
            default_limit,
            max_limit,
            max_time_ms,
            self.model_name_key,
            listing,
            require_if_match,
            max_batch,
        )
        registered = [specs[m] for m in self.models]
        self.resources: Mapping[str, Resource] = MappingProxyType(build_resources(registered))
        self.schemas = tuple(schemas)
        self.schema_dir = schema_dir
        self.schema_options = SchemaOptions(
            expose_version_key, self.model_name_key, default_limit, max_limit
        )
        self.schema_set = build_schema_set(
            self.resources, specs, schemas, schema_dir, self.schema_options
        )
        self.info = OpenAPIInfo(title, version, dict(security or {}))
        self.router = Router(routes=self._routes(), default=not_found)
        self.dispatch = Dispatch(self.router, grouped(self.router.routes))

    @property
    def specs(self) -> Mapping[type[Document], ModelSpec]:
        return self.context.specs

    @property
    def hooks(self) -> Mapping[type[Document], Hooks]:
        return self.context.hooks

    def openapi(self, root_path: str = "") -> dict[str, Any]:
        """The OpenAPI 3.1 document, for an app that mounts this API at `root_path`."""
        return openapi_document(self, root_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        scope["autoapi"] = self
        # contextvars set and reset by hand: a `with` block per request costs more
        ident, named = request_id(scope)
        send = echoing(send, ident)
        try:
            timed = store.start_deadline(self.max_time_ms)
            try:
                await self.dispatch(scope, receive, send)
            finally:
                store.end_deadline(timed)
        except Exception as exc:  # the last line of defence: never a traceback
            await to_response(exc)(scope, receive, send)
        finally:
            forget_request_id(named)

    # -- routing -------------------------------------------------------------

    def _routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for resource in self.resources.values():
            routes += self._resource_routes(resource)
        if self.metrics is not None:
            routes.append(self._metrics_route(self.metrics))
        return routes + doc_routes(self)

    def _metrics_route(self, metrics: Metrics) -> Route:
        if "metrics" in self.resources:
            raise ValueError("metrics=True needs /metrics, which the collection 'metrics' takes")

        async def endpoint(request: Request) -> Response:
            refused = await self._authorized(request)
            return refused if refused is not None else metrics.exposition()

        return Route("/metrics", endpoint, methods=["GET"])

    def _resource_routes(self, resource: Resource) -> list[BaseRoute]:
        ep = Endpoints(self.context, resource)
        path = resource.path
        checked = self._checked(resource)
        model = resource.model

        def table(shape: Shape) -> dict[str, tuple[str, Handler]]:
            return {
                r.method: (r.http, checked(r.key, getattr(ep, r.handler))) for r in of_shape(shape)
            }

        routes: list[BaseRoute] = [
            self._route(path, table("collection"), model),
            self._route(path + "/{id}", table("item"), model),
        ]
        # Forward routes need `get` on the target; reverse ones `get` on the parent and
        # `list` on the child.
        (fwd_kind,), (rev_kind,) = of_shape("forward"), of_shape("reverse")
        for fwd in resource.forward:
            handler = bind(getattr(ep, fwd_kind.handler), fwd)
            needs = ((model, "get"), (fwd.link.target, "get"))
            handlers = {fwd_kind.method: (fwd_kind.http, handler)}
            routes.append(self._route(f"{path}/{{id}}/{fwd.name}", handlers, model, needs))
        for rev in resource.reverse:
            handler = bind(getattr(ep, rev_kind.handler), rev)
            needs = ((model, "get"), (rev.child, "list"))
            handlers = {rev_kind.method: (rev_kind.http, handler)}
            routes.append(self._route(f"{path}/{{id}}/{rev.name}", handlers, model, needs))
        return routes

    def _checked(self, resource: Resource) -> Callable[[str | None, Handler], Handler]:
        """Wrap a handler with its route's JSON Schemas when its entry has some."""

        def wrap(key: str | None, handler: Handler) -> Handler:
            route = self.schema_set.route(resource.spec.collection, key) if key else None
            if route is None:
                return handler
            return guard(
                handler, RouteValidator(route, self.schema_set.registry, resource.spec.name)
            )

        return wrap

    def _route(
        self,
        path: str,
        by_name: Mapping[str, tuple[str, Handler]],
        model: type[Document],
        needs: Sequence[tuple[type[Document], str]] | None = None,
    ) -> Route:
        """One path's enabled methods (method name → verb, handler); `needs` is what the
        policy must grant (default: the method on `model`)."""
        handlers = {verb: fn for name, (verb, fn) in by_name.items() if name in self.methods}
        grants = {verb: needs or ((model, name),) for name, (verb, _) in by_name.items()}
        if "GET" in handlers:
            handlers["HEAD"] = head_of(handlers["GET"])
            grants["HEAD"] = grants["GET"]
        allow = ", ".join([*handlers, "OPTIONS"] if "options" in self.methods else handlers)
        if "options" in self.methods:
            handlers["OPTIONS"] = lambda request: self._options(request, handlers, grants, allow)
            grants["OPTIONS"] = ()

        async def endpoint(request: Request) -> Response:
            handler = handlers.get(request.method)
            if handler is None:
                return problem_response(
                    405, f"{request.method} is not allowed here", headers={"Allow": allow}
                )
            try:
                refused = await self._authorized(request)
                if refused is not None:
                    return refused
                if self.policy is None:  # everything is granted
                    return await handler(request)
                with policies.opened(self.policy, request):
                    for needed, method in grants[request.method]:
                        await policies.require(request, needed, method)
                    return await handler(request)
            except Exception as exc:
                return to_response(exc)

        counted = (
            endpoint
            if self.metrics is None
            else self.metrics.instrument(endpoint, collection_name(model), path)
        )
        return Route(path, Endpoint(counted), methods=None)

    async def _options(
        self,
        request: Request,
        handlers: Mapping[str, Handler],
        grants: Mapping[str, Sequence[tuple[type[Document], str]]],
        allow: str,
    ) -> Response:
        """204 with `Allow`: the enabled methods the policy grants to this request."""
        if self.policy is None:
            return await no_content(allow)
        granted = [m for m in handlers if await policies.granted(request, grants[m])]
        return await no_content(", ".join(granted))

    async def _authorized(self, request: Request) -> Response | None:
        """Run `check_auth` before anything else (the body is still unread).

        None lets the request through; a Response it returns is sent as is; a refusal is
        mapped like a hook's errors, any unexpected exception being a 401 with a generic detail.
        """
        if self.check_auth is None:
            return None
        try:
            result = await call(self.check_auth, request)
        except (HTTPException, ProblemError, PermissionError, ValidationError) as exc:
            return to_response(exc)
        except Exception:
            # logged, not sent: the text of an arbitrary exception may hold internals
            logger.warning("check_auth raised; answering 401", exc_info=True)
            return problem_response(401, "Not authorized")
        if result is False:  # fail closed on a check that answers with a bool
            return problem_response(401, "Not authorized")
        return result if isinstance(result, Response) else None


def _all_specs(
    models: Iterable[type[Document]], version_key: bool
) -> dict[type[Document], ModelSpec]:
    """Specs of the given models and of every model their links reach (for rendering)."""
    specs: dict[type[Document], ModelSpec] = {}
    pending = list(models)
    by_name = {m.__name__: m for m in pending}
    while pending:
        model = pending.pop()
        if model in specs:
            continue
        specs[model] = inspect_model(model, by_name, revision_shown=version_key)
        pending += [link.target for link in specs[model].links.values()]
    return specs
