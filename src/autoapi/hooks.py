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
from beanie.odm.queries.find import FindMany
from starlette.requests import Request

from autoapi.introspect import id_annotation
from autoapi.serialize import deep_merge, encode_document

D = TypeVar("D", bound=Document)

HOOK_NAMES = {
    "api_post": "apiPost",
    "api_put": "apiPut",
    "api_delete": "apiDelete",
    "api_values": "apiValues",
    "on_list_query": "onListQuery",
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
    await doc.insert()
    return doc


async def default_api_put(self: D, data: dict[str, Any], request: Request) -> D:
    """Merge `data` into the document (objects key by key), validate the result, save it."""
    merged = deep_merge(encode_document(self), data)
    updated = type(self).model_validate(merged)
    for name in type(self).model_fields:
        if name not in ("id", "revision_id"):
            setattr(self, name, getattr(updated, name))
    # replace(), not save(): save() upserts and turns a unique-index clash into
    # RevisionIdWasChanged, hiding the 409 the client should get.
    await self.replace()
    return self


async def default_api_delete(self: Document, request: Request) -> None:
    """Delete the document."""
    await self.delete()


async def default_api_values(self: Document, request: Request) -> dict[str, Any]:
    """The JSON-ready dict of a document, as autoapi renders it by default."""
    api = request.scope["autoapi"]
    return api.renderer.render_stored(type(self), encode_document(self))  # type: ignore[no-any-return]


async def default_on_list_query(cls: type[Document], query: FindMany[Any], request: Request) -> Any:
    """Leave the list query as it is."""
    return query


DEFAULTS: Mapping[str, Callable[..., Any]] = {
    "api_post": default_api_post,
    "api_put": default_api_put,
    "api_delete": default_api_delete,
    "api_values": default_api_values,
    "on_list_query": default_on_list_query,
}


@dataclass(frozen=True)
class Hooks:
    """The hooks of one model, bound and ready to call; `custom` names those the model defines."""

    api_post: Callable[..., Any]
    api_put: Callable[..., Any]
    api_delete: Callable[..., Any]
    api_values: Callable[..., Any]
    on_list_query: Callable[..., Any]
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


def list_query(result: Any, query: FindMany[Any]) -> FindMany[Any]:
    """The query to run after `on_list_query`: the one it returned, else the one it changed."""
    if result is None:
        return query
    if not isinstance(result, FindMany):
        raise TypeError(f"on_list_query must return a Beanie FindMany or None, not {result!r}")
    return result


def created(model: type[D], result: Any) -> D:
    """The document `api_post` returned, checked: an instance of the model, already saved."""
    if not isinstance(result, model):
        raise TypeError(f"{model.__name__}.api_post must return a {model.__name__}, not {result!r}")
    if result.id is None:
        raise TypeError(f"{model.__name__}.api_post must save the document it returns")
    return result


CLASS_HOOKS = frozenset({"api_post", "on_list_query"})


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
