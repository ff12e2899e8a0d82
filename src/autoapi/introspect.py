"""Beanie models → plain frozen descriptions.

This is the only module that reads Beanie internals; everything else works on
:class:`ModelSpec` and :class:`FieldSpec`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beanie import BackLink, Document, Link, PydanticObjectId
from beanie.odm.fields import LinkTypes
from bson import ObjectId
from bson.errors import InvalidId
from pydantic import BaseModel, TypeAdapter


class _HiddenMarker:
    """The marker behind `Hidden`; one instance, compared by identity."""

    def __repr__(self) -> str:
        return "autoapi.Hidden"


Hidden = _HiddenMarker()
"""Mark a field stored but never sent: ``secret: Annotated[str, Hidden]``.

A hidden field is never rendered, refused in bodies and query options as if unknown, and
kept as stored by every write. Unlike ``Field(exclude=True)`` (which Beanie 2 does not
store at all), its value is written to the database on create.
"""


def is_hidden(info: Any) -> bool:
    """Whether a pydantic `FieldInfo` is hidden: `Hidden` in its metadata, or `exclude=True`."""
    return bool(info.exclude) or any(m is Hidden for m in getattr(info, "metadata", ()))


_ONE = frozenset({LinkTypes.DIRECT, LinkTypes.OPTIONAL_DIRECT})
_MANY = frozenset({LinkTypes.LIST, LinkTypes.OPTIONAL_LIST})


@dataclass(frozen=True)
class LinkSpec:
    """A link field of a model: where it points and whether it holds a list."""

    key: str
    target: type[Document]
    many: bool

    @property
    def collection(self) -> str:
        return collection_name(self.target)


@dataclass(frozen=True)
class FieldSpec:
    """One field (or embedded sub-field) as stored in MongoDB."""

    key: str
    annotation: Any
    hidden: bool = False
    link: LinkSpec | None = None
    children: Mapping[str, FieldSpec] | None = None  # embedded model
    open: bool = False  # dict / Any: every sub-path is allowed
    is_date: bool = False  # `date` (not datetime): rendered without time
    is_list: bool = False

    @property
    def adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.annotation)


ANY_FIELD = FieldSpec(key="*", annotation=Any, open=True)
REVISION = "revision_id"


@dataclass(frozen=True)
class ModelSpec:
    """What autoapi needs to know about one Document class."""

    model: type[Document]
    name: str
    collection: str
    id_annotation: Any
    fields: Mapping[str, FieldSpec]  # by stored key, in declaration order
    aliases: Mapping[str, str]  # python attribute name → stored key
    links: Mapping[str, LinkSpec]
    use_revision: bool
    text_index: bool
    revision_shown: bool = False  # the API renders `revision_id` (`expose_version_key`)

    @property
    def id_is_objectid(self) -> bool:
        return _is_objectid(self.id_annotation)

    @functools.cached_property
    def for_options(self) -> ModelSpec:
        """This spec as the query options (`filter`, `where`, `match`, `sort`, `fields`)
        see it: with `revision_id` as a field when the API renders it.

        `self.fields` leaves the revision out because no client writes it: bodies, forms
        and schemas must not offer it. What is rendered can still be queried.
        """
        if not (self.use_revision and self.revision_shown) or REVISION in self.fields:
            return self
        revision = FieldSpec(
            REVISION, _unwrap_optional(self.model.model_fields[REVISION].annotation)
        )
        return dataclasses.replace(self, fields={**self.fields, REVISION: revision})

    def resolve(self, path: str) -> FieldSpec | None:
        """The field at a dot path (`biography.born`), or None when unknown or hidden."""
        if path == "_id":
            return FieldSpec(key="_id", annotation=self.id_annotation)
        fields: Mapping[str, FieldSpec] | None = self.fields
        found: FieldSpec | None = None
        for part in path.split("."):
            if found is not None and found.open:
                return ANY_FIELD
            if fields is None or part not in fields:
                return None
            found = fields[part]
            if found.hidden:
                return None
            fields = found.children
        return found

    def parse_id(self, raw: str) -> Any:
        """The stored `_id` for a path segment; ValueError when it cannot be one."""
        return parse_id(self.id_annotation, raw)


def parse_id(annotation: Any, raw: Any) -> Any:
    if _is_objectid(annotation):
        if isinstance(raw, ObjectId):
            return raw
        if isinstance(raw, str):
            try:
                return ObjectId(raw)  # parsed once, not checked and then parsed
            except InvalidId:
                pass
        raise ValueError("not a valid ObjectId")
    try:
        return _adapter(annotation).validate_python(raw)
    except Exception as exc:  # pydantic ValidationError, or a custom type's error
        raise ValueError(str(exc)) from None


def inspect_model(
    model: type[Document],
    by_name: Mapping[str, type[Document]] | None = None,
    *,
    revision_shown: bool = False,
) -> ModelSpec:
    """Describe a Beanie Document class; works before `init_beanie` has run.

    `by_name` resolves links written as forward references (`Link["Author"]`);
    `revision_shown` says the API renders `revision_id`, which query options may then name.
    """
    if not model.__pydantic_complete__:
        # A forward reference to a model defined later in its module: resolve it now, as
        # init_beanie would, so that links are known at construction.
        model.model_rebuild(_types_namespace=dict(by_name or {}))
    fields: dict[str, FieldSpec] = {}
    aliases: dict[str, str] = {}
    links: dict[str, LinkSpec] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if name in ("id", REVISION):
            continue
        kind = _link_kind(info.annotation)
        if kind == "back":
            continue
        aliases[name] = key
        if kind is not None:
            target = _link_target(info.annotation, by_name or {})
            links[key] = LinkSpec(key, target, kind == "many")
            fields[key] = _link_field(key, links[key], hidden=is_hidden(info))
        else:
            fields[key] = _field(key, info.annotation, hidden=is_hidden(info))
    settings = getattr(model, "Settings", None)
    return ModelSpec(
        model=model,
        name=model.__name__,
        collection=collection_name(model),
        id_annotation=id_annotation(model),
        fields=fields,
        aliases=aliases,
        links=links,
        use_revision=bool(getattr(settings, "use_revision", False)),
        text_index=_has_text_index(settings),
        revision_shown=revision_shown,
    )


def id_annotation(model: type[Document]) -> Any:
    """The type of the model's `_id` (ObjectId unless the model declares another)."""
    if model not in _ID_TYPES:  # read on every create and link; a model's fields stay
        _ID_TYPES[model] = _unwrap_optional(model.model_fields["id"].annotation)
    return _ID_TYPES[model]


_ID_TYPES: dict[type[Document], Any] = {}


def collection_name(model: type[Document]) -> str:
    """`Settings.name`, else the class name: what Beanie will name the collection."""
    return getattr(getattr(model, "Settings", None), "name", None) or model.__name__


def _link_kind(annotation: Any) -> str | None:
    """ "one", "many" or "back" for Beanie link annotations, else None."""
    inner = _unwrap_optional(annotation)
    origin = typing.get_origin(inner)
    if origin in (list, typing.List):  # noqa: UP006 - typing.List is what old code writes
        args = typing.get_args(inner)
        kind = _link_kind(args[0]) if args else None
        return {"one": "many", "back": "back"}.get(kind or "")
    if origin is Link:
        return "one"
    if origin is BackLink:
        return "back"
    return None


def _link_target(annotation: Any, by_name: Mapping[str, type[Document]]) -> type[Document]:
    inner = _unwrap_optional(annotation)
    if typing.get_origin(inner) in (list, typing.List):  # noqa: UP006
        inner = _unwrap_optional(typing.get_args(inner)[0])
    target = typing.get_args(inner)[0]
    if isinstance(target, typing.ForwardRef):
        target = target.__forward_arg__
    if isinstance(target, str):
        if target not in by_name:
            raise TypeError(f"cannot resolve the link target {target!r}: pass that model too")
        target = by_name[target]
    return target  # type: ignore[no-any-return]


def _link_field(key: str, link: LinkSpec, hidden: bool = False) -> FieldSpec:
    return FieldSpec(key=key, annotation=Any, hidden=hidden, link=link, is_list=link.many)


def _field(key: str, annotation: Any, hidden: bool = False) -> FieldSpec:
    inner = _unwrap_optional(annotation)
    is_list = False
    origin = typing.get_origin(inner)
    if origin in (list, set, tuple, frozenset):
        args = typing.get_args(inner)
        is_list = True
        inner = _unwrap_optional(args[0]) if args else Any
        origin = typing.get_origin(inner)
    if inner is Any or origin in (dict, Mapping) or inner is dict:
        return FieldSpec(key, inner, hidden, open=True, is_list=is_list)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        children = {
            (info.alias or name): _field(info.alias or name, info.annotation, is_hidden(info))
            for name, info in inner.model_fields.items()
        }
        return FieldSpec(key, inner, hidden, children=children, is_list=is_list)
    is_date = inner is datetime.date
    return FieldSpec(key, inner, hidden, is_date=is_date, is_list=is_list)


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap_optional(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap_optional(args[0])
    return annotation


def _is_objectid(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, (ObjectId, PydanticObjectId))


def _has_text_index(settings: Any) -> bool:
    for index in getattr(settings, "indexes", None) or []:
        keys = getattr(index, "document", {}).get("key", index)
        items = keys.items() if isinstance(keys, dict) else keys if isinstance(keys, list) else []
        if any(isinstance(i, tuple) and len(i) == 2 and i[1] == "text" for i in items):
            return True
    return False


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    try:
        return _ADAPTERS[annotation]
    except (KeyError, TypeError):
        pass
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    with contextlib.suppress(TypeError):  # an unhashable annotation is not cached
        _ADAPTERS[annotation] = adapter
    return adapter
