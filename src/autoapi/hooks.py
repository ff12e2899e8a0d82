"""Per-model hooks: lookup by snake_case or camelCase name, and the default behaviours.

The defaults are public so that a custom hook can delegate to them::

    class Book(Document):
        async def api_values(self, request):
            values = await default_api_values(self, request)
            values.pop("isbn", None)
            return values
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from beanie import Document, PydanticObjectId
from starlette.requests import Request

from autoapi import store
from autoapi.errors import ProblemError
from autoapi.introspect import id_annotation
from autoapi.upsert import create_or_write
from autoapi.writes import apply_paths

D = TypeVar("D", bound=Document)

HOOK_NAMES = {
    "api_post": "apiPost",
    "api_put": "apiPut",
    "api_delete": "apiDelete",
    "api_values": "apiValues",
    "on_list_query": "onListQuery",
    "api_cou": "apiCoU",
    "api_cor": "apiCoR",
}


async def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a hook that may be sync or async."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def default_api_post(cls: type[D], data: dict[str, Any], request: Request) -> D:
    """Validate `data` with the model, insert it, and return the new document."""
    doc: D = cls.model_validate(data)
    if doc.id is None and id_annotation(cls) is PydanticObjectId:
        # Chosen here as the driver would: for a driver-made id, Beanie builds a new pydantic
        # TypeAdapter on every insert to re-parse it, about a third of the time of a create.
        doc.id = PydanticObjectId()
    await store.insert(doc)
    return doc


async def default_api_put(self: D, data: dict[str, Any], request: Request) -> D:
    """Write only the paths `data` names, in one atomic update, and return the document.

    Objects for embedded-model fields are written leaf by leaf; lists, dict fields and links
    are replaced whole. The whole resulting document is validated first. Stored keys the
    model does not declare, hidden fields and fields the request does not name are kept.
    """
    api = request.scope["autoapi"]
    spec = api.specs[type(self)]
    sets = apply_paths(spec, self, data)
    saved = await store.update_paths(self, sets, guard=request.scope.get(WRITE_GUARD))
    if saved is None:
        raise _gone(spec.name, request)
    request.scope.setdefault(SAVED, {})[id(self)] = saved
    return self


async def default_api_delete(self: Document, request: Request) -> None:
    """Delete the document."""
    if not await store.delete(self, guard=request.scope.get(WRITE_GUARD)):
        raise _gone(type(self).__name__, request)


def _gone(name: str, request: Request) -> ProblemError:
    # Under If-Match the document changed or vanished after it was read: 412, not 404.
    if request.scope.get(WRITE_GUARD) is not None:
        return ProblemError(412, f"the {name} changed since it was read; read it again")
    return ProblemError(404, f"no {name} with this id")


async def default_api_cou(cls: type[D], data: dict[str, Any], request: Request) -> D:
    """Create or update: merge `data` into the document with its `_id` (a None value removes
    that key), or create it, in one upsert. Without `_id`, create."""
    return await _upsert(cls, data, request, "cou")


async def default_api_cor(cls: type[D], data: dict[str, Any], request: Request) -> D:
    """Create or replace: the declared, visible fields become `data`'s (hidden fields and
    undeclared stored keys survive), or create it, in one upsert. Without `_id`, create."""
    return await _upsert(cls, data, request, "cor")


async def _upsert(cls: type[D], data: dict[str, Any], request: Request, mode: Any) -> D:
    if "_id" not in data:
        doc = await default_api_post(cls, data, request)
        request.scope.setdefault(CREATED, {})[id(doc)] = True
        return doc
    api = request.scope["autoapi"]
    spec = api.specs[cls]
    fields = {k: v for k, v in data.items() if k != "_id"}
    audited = getattr(api, "auditor", None) is not None  # the event wants the document before
    outcome = await create_or_write(spec, data["_id"], fields, mode, keep_before=audited)
    request.scope.setdefault(SAVED, {})[id(outcome.doc)] = outcome.stored
    request.scope.setdefault(CREATED, {})[id(outcome.doc)] = outcome.created
    request.scope.setdefault(BEFORE, {})[id(outcome.doc)] = outcome.before
    return outcome.doc  # type: ignore[return-value]


async def default_api_values(self: Document, request: Request) -> dict[str, Any]:
    """The JSON-ready dict of a document, as autoapi renders it by default."""
    api = request.scope["autoapi"]
    return api.renderer.render_stored(type(self), store.encode_document(self))  # type: ignore[no-any-return]


async def default_on_list_query(cls: type[Document], query: Any, request: Request) -> Any:
    """Leave the list query as it is."""
    return query


DEFAULTS: Mapping[str, Callable[..., Any]] = {
    "api_post": default_api_post,
    "api_put": default_api_put,
    "api_delete": default_api_delete,
    "api_values": default_api_values,
    "on_list_query": default_on_list_query,
    "api_cou": default_api_cou,
    "api_cor": default_api_cor,
}


@dataclass(frozen=True)
class Hooks:
    """The hooks of one model, bound and ready to call; `custom` names those the model defines."""

    api_post: Callable[..., Any]
    api_put: Callable[..., Any]
    api_delete: Callable[..., Any]
    api_values: Callable[..., Any]
    on_list_query: Callable[..., Any]
    api_cou: Callable[..., Any]
    api_cor: Callable[..., Any]
    custom: frozenset[str]


def find_hooks(model: type[Document]) -> Hooks:
    """Look each hook up on the model class; fall back to the defaults."""
    found: dict[str, Callable[..., Any]] = {}
    custom = set()
    for snake, camel in HOOK_NAMES.items():
        name = _defined_name(model, snake, camel)
        if name is None:
            found[snake] = _bind_default(model, snake)
        else:
            found[snake] = _as_called(model, name, snake)
            custom.add(snake)
    return Hooks(**found, custom=frozenset(custom))


SAVED = "autoapi.saved"  # scope key: id(document) → the stored document the default write left
WRITE_GUARD = "autoapi.write_guard"  # scope key: a condition every default write adds
BEFORE = "autoapi.before"  # scope key: id(document) → the stored document a CoU/CoR changed
CREATED = "autoapi.created"  # scope key: id(document) → whether a CoU/CoR created it


def list_query(result: Any, query: Any) -> Any:
    """The query to run after `on_list_query`: the one it returned, else the one it changed."""
    if result is None:
        return query
    if not store.is_find(result):
        raise TypeError(f"on_list_query must return a Beanie FindMany or None, not {result!r}")
    return result


def created(model: type[D], result: Any) -> D:
    """The document `api_post` returned, checked: an instance of the model, already saved."""
    if not isinstance(result, model):
        raise TypeError(f"{model.__name__}.api_post must return a {model.__name__}, not {result!r}")
    if result.id is None:
        raise TypeError(f"{model.__name__}.api_post must save the document it returns")
    return result


CLASS_HOOKS = frozenset({"api_post", "on_list_query", "api_cou", "api_cor"})


def _defined_name(model: type[Document], snake: str, camel: str) -> str | None:
    # snake_case wins when a model defines both spellings.
    for name in (snake, camel):
        if callable(getattr(model, name, None)):
            return name
    return None


def _as_called(model: type[Document], name: str, hook: str) -> Callable[..., Any]:
    attr = getattr(model, name)
    if hook not in CLASS_HOOKS or inspect.ismethod(attr):
        return attr  # type: ignore[no-any-return]
    if isinstance(inspect.getattr_static(model, name), staticmethod):
        return attr  # type: ignore[no-any-return]
    # A class hook written without @classmethod still gets the class as its first argument.
    return lambda *args: attr(model, *args)


def _bind_default(model: type[Document], name: str) -> Callable[..., Any]:
    fn = DEFAULTS[name]
    if name in CLASS_HOOKS:
        return lambda *args: fn(model, *args)
    return fn
