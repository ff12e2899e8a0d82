"""The policy: per request and model, which rows, methods and fields a client may use.

A policy is ``(request, model) -> Access | None`` (sync or async), asked once per request
and model the request touches, the answer kept for the rest of the request. It fails
closed: ``None``, a falsy answer or an exception denies (an ``HTTPException`` keeps its
status). The row filter and the database of an answer are applied by the database module
on every call it makes for that model, so no read or write path can miss them; methods,
stamps and fields are checked by the endpoints through the functions here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from beanie import Document
from starlette.exceptions import HTTPException
from starlette.requests import Request

from autoapi import store
from autoapi.errors import ProblemError, bad_request
from autoapi.hooks import call
from autoapi.introspect import ModelSpec
from autoapi.populate import target_spec
from autoapi.query import and_filters

logger = logging.getLogger("autoapi")

Policy = Callable[[Request, type[Document]], Any]

METHOD_NAMES = frozenset(
    {"list", "get", "post", "put", "patch", "delete", "options"}
    | {"cou", "cor", "bulk_patch", "bulk_delete"}
)
# A combined method is granted when each of its parts is.
COMBINED: Mapping[str, tuple[str, ...]] = {"cou": ("post", "patch"), "cor": ("post", "put")}
ALWAYS_SHOWN = frozenset({"_id", "revision_id"})
GATE = "autoapi.policy"  # request.scope key of the request's answers


@dataclass(frozen=True)
class Access:
    """What a policy grants on one model for one request.

    `filter` is AND-ed into every read and write of the model; `stamp` values are set on
    every created document and may not be changed; `methods` (None: all the route serves)
    names what may be called; `read_fields`/`write_fields` (None: every visible field)
    limit what is shown and what a body may name; `principal` labels audit events;
    `database` (set by :func:`autoapi.tenant_policy`) places the model's documents in
    another database of the same server.
    """

    filter: Mapping[str, Any] | None = None
    stamp: Mapping[str, Any] | None = None
    methods: Collection[str] | None = None
    read_fields: Collection[str] | None = None
    write_fields: Collection[str] | None = None
    principal: Any = None
    database: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        for name in ("methods", "read_fields", "write_fields"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"Access.{name} must be a collection of names, not a string")
            if value is not None:
                object.__setattr__(self, name, frozenset(value))
        unknown = sorted(set(self.methods or ()) - METHOD_NAMES)
        if unknown:
            raise ValueError(f"unknown method name(s) {unknown} in Access.methods")

    def allows(self, method: str) -> bool:
        """Whether `method` (a name of `methods=`, or cou/cor/bulk_*) is granted."""
        if self.methods is None:
            return True
        parts = COMBINED.get(method, (method,))
        return all(part in self.methods for part in parts)

    def readable(self, key: str) -> bool:
        return self.read_fields is None or key in self.read_fields or key in ALWAYS_SHOWN

    def scoped(self, filter_: Mapping[str, Any]) -> dict[str, Any]:
        """`filter_` AND-ed with the row filter (the database module does this already)."""
        return and_filters([self.filter or {}, filter_])

    def check_body(self, data: Mapping[str, Any]) -> None:
        """403 naming the first key of a body that writes outside `write_fields` or a stamp."""
        for key, value in data.items():
            if self.stamp and key in self.stamp:
                if value != self.stamp[key]:
                    raise _forbidden_field(key, "this field is set by the server")
            elif self.write_fields is not None and key not in self.write_fields:
                raise _forbidden_field(key, "this field may not be written")

    def stamped(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The body of a create with the stamped values set (before validation)."""
        return {**data, **(self.stamp or {})}

    def shown(self, doc: dict[str, Any], extra: Collection[str] = ()) -> dict[str, Any]:
        """A rendered document without the fields outside `read_fields`."""
        if self.read_fields is None:
            return doc
        return {k: v for k, v in doc.items() if self.readable(k) or k in extra}

    def visible(self, spec: ModelSpec) -> ModelSpec:
        """`spec` with the fields outside `read_fields` hidden (for parsing query options)."""
        if self.read_fields is None:
            return spec
        return _restricted(spec, frozenset(self.read_fields))


ALLOW_ALL = Access()


class Gate:
    """The answers of one request's policy, per model; the database module's scope."""

    def __init__(self, policy: Policy, request: Request) -> None:
        self.policy = policy
        self.request = request
        self.answers: dict[type[Document], Access | ProblemError] = {}

    async def access(self, model: type[Document]) -> Access:
        answer = self.answers.get(model)
        if answer is None:
            answer = self.answers[model] = await self._ask(model)
        if isinstance(answer, ProblemError):
            raise answer
        return answer

    def cached(self, model: type[Document]) -> Access | None:
        answer = self.answers.get(model)
        return answer if isinstance(answer, Access) else None

    async def placement(self, model: type[Document]) -> store.Placement:
        access = await self.access(model)
        return store.Placement(access.filter, access.database)

    def placed(self, model: type[Document]) -> store.Placement | None:
        access = self.cached(model)
        return None if access is None else store.Placement(access.filter, access.database)

    def readable(self, model: type[Document], key: str) -> bool:
        access = self.cached(model)
        return access is None or access.readable(key)

    async def _ask(self, model: type[Document]) -> Access | ProblemError:
        try:
            answer = await call(self.policy, self.request, model)
        except ProblemError as exc:
            return exc
        except HTTPException as exc:
            detail = exc.detail if isinstance(exc.detail, str) else "Not authorized"
            return ProblemError(exc.status_code, detail, headers=exc.headers)
        except Exception:
            logger.warning("the policy raised for %s; denied", model.__name__, exc_info=True)
            return denied(model)
        if not isinstance(answer, Access) or not answer:
            logger.warning("the policy denied %s (answer %r)", model.__name__, type(answer))
            return denied(model)
        return answer


def denied(model: type[Document], method: str | None = None) -> ProblemError:
    """403 naming the model (and the method, when only that is refused)."""
    what = f"{method} on {model.__name__}" if method else model.__name__
    return ProblemError(403, f"access to {what} is not granted")


@contextmanager
def opened(policy: Policy | None, request: Request) -> Iterator[None]:
    """Run a request under `policy`: its answers cached in the request, rows and databases
    placed by it in every database call. No policy: everything is granted."""
    if policy is None:
        yield
        return
    gate = Gate(policy, request)
    request.scope[GATE] = gate
    with store.scoped(gate):
        yield


async def access_for(request: Request, model: type[Document]) -> Access:
    """The policy's answer for `model` in this request (403/401 when it denies)."""
    gate: Gate | None = request.scope.get(GATE)
    return ALLOW_ALL if gate is None else await gate.access(model)


async def require(request: Request, model: type[Document], method: str) -> Access:
    """The access on `model`, which must grant `method` (else 403 naming both)."""
    access = await access_for(request, model)
    if not access.allows(method):
        logger.warning("policy: %s on %s not granted", method, model.__name__)
        raise denied(model, method)
    return access


async def granted(request: Request, needs: Sequence[tuple[type[Document], str]]) -> bool:
    """Whether every (model, method) in `needs` is granted (for the `Allow` header)."""
    try:
        for model, method in needs:
            await require(request, model, method)
    except ProblemError:
        return False
    return True


def cached_access(request: Request, model: type[Document]) -> Access:
    """The answer already given for `model`; fails closed when none was asked for."""
    gate = request.scope.get(GATE)
    if gate is None:
        return ALLOW_ALL
    access: Access | None = gate.cached(model)
    if access is None:
        raise LookupError(f"{model.__name__} rendered before the policy was asked about it")
    return access


def shows_all(request: Request, model: type[Document]) -> bool:
    """True when `shown` keeps every field of `model` for this request."""
    return request.scope.get(GATE) is None or cached_access(request, model).read_fields is None


def shown(request: Request, model: type[Document], doc: dict[str, Any]) -> dict[str, Any]:
    """A rendered document of `model` limited to the request's `read_fields`."""
    gate = request.scope.get(GATE)
    if gate is None:
        return doc
    api = request.scope.get("autoapi")
    extra = (api.model_name_key,) if api is not None and api.model_name_key else ()
    return cached_access(request, model).shown(doc, extra)


async def check_populate(
    request: Request,
    specs: Mapping[type[Document], ModelSpec],
    spec: ModelSpec,
    paths: Sequence[str],
) -> None:
    """Each populate path must run through readable link fields into models granting `get`."""
    if request.scope.get(GATE) is None:
        return
    for path in paths:
        parent_path, _, key = path.rpartition(".")
        parent = target_spec(specs, spec, parent_path)
        if not (await access_for(request, parent.model)).readable(key):
            raise bad_request("populate", f"{path!r} is not a link field")
        await require(request, parent.links[key].target, "get")


def _forbidden_field(key: str, message: str) -> ProblemError:
    return ProblemError(403, f"{key}: {message}", [{"field": key, "message": message}])


_RESTRICTED: dict[tuple[int, frozenset[str]], tuple[ModelSpec, ModelSpec]] = {}


def _restricted(spec: ModelSpec, readable: frozenset[str]) -> ModelSpec:
    key = (id(spec), readable)
    hit = _RESTRICTED.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    fields = {
        k: f if k in readable else dataclasses.replace(f, hidden=True)
        for k, f in spec.fields.items()
    }
    out = dataclasses.replace(spec, fields=fields)
    if len(_RESTRICTED) > 1024:  # many short-lived AutoAPI instances (tests) add up
        _RESTRICTED.clear()
    _RESTRICTED[key] = (spec, out)
    return out
