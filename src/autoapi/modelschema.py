"""Beanie models → JSON Schemas of what autoapi sends and accepts (the defaults of entries).

Documents are described as autoapi renders them: `_id` as a string, links as the target id
(or the target document when populated), hidden fields and back-links absent. Embedded
models are `$defs` at the root of each schema, referenced as `#/$defs/<Name>`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from beanie import Document
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from autoapi.introspect import FieldSpec, LinkSpec, ModelSpec
from autoapi.query import MAX_OFFSET, MAX_POPULATE_DEPTH
from autoapi.routes import by_key
from autoapi.schemautil import prune_defs

Schema = dict[str, Any]
Mode = Literal["validation", "serialization"]
LinkStyle = Callable[[LinkSpec], Schema]

REF_TEMPLATE = "#/$defs/{model}"
OBJECT_ID = {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}
STRINGS: Schema = {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class SchemaOptions:
    """The `AutoAPI` options that change what a document or a list query looks like."""

    version_key: bool = True
    model_name_key: str | None = None
    default_limit: int = 100
    max_limit: int = 1000


class _Lenient(GenerateJsonSchema):
    """A field type pydantic cannot describe becomes `{}` (anything) instead of an error."""

    def handle_invalid_for_json_schema(
        self, schema: CoreSchema | core_schema.CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        return {}


def pydantic_schema(model: type[Document], mode: Mode) -> Schema:
    """The model's own JSON Schema, with `$defs` referenced as `#/$defs/<Name>`."""
    key = (model, mode)
    if key not in _SCHEMAS:  # pydantic takes milliseconds; every route of a model asks
        _SCHEMAS[key] = model.model_json_schema(
            mode=mode, ref_template=REF_TEMPLATE, schema_generator=_Lenient
        )
    return copy.deepcopy(_SCHEMAS[key])


_SCHEMAS: dict[tuple[type, str], Schema] = {}


def id_schema(spec: ModelSpec) -> Schema:
    """The JSON form of the model's `_id` (24 hex digits for an ObjectId)."""
    if spec.id_is_objectid:
        return dict(OBJECT_ID)
    try:
        return TypeAdapter(spec.id_annotation).json_schema(schema_generator=_Lenient)
    except Exception:  # a custom id type pydantic cannot describe at all
        return {}


def document_schema(spec: ModelSpec, options: SchemaOptions, link: LinkStyle) -> Schema:
    """A rendered document. No property is required: `fields=` may leave any of them out."""
    base = pydantic_schema(spec.model, "serialization")
    props: Schema = {"_id": id_schema(spec)}
    for key, fld in _visible(spec):
        props[key] = link(fld.link) if fld.link else _property(base, key)
    if options.version_key and spec.use_revision:
        props["revision_id"] = {"type": ["string", "null"]}
    if options.model_name_key:
        props[options.model_name_key] = {"type": "string", "const": spec.name}
    out: Schema = {"type": "object", "title": spec.name, "properties": props}
    return _with_defs(out, _optional_defs(base.get("$defs", {})))


def body_schema(spec: ModelSpec, id_of: Callable[[LinkSpec], Schema], create: bool) -> Schema:
    """A write body: field names (dot paths too, so other keys are let through to 422)."""
    base = pydantic_schema(spec.model, "validation")
    props: Schema = {"_id": id_schema(spec)}
    for key, fld in _visible(spec):
        props[key] = link_input(fld.link, id_of(fld.link)) if fld.link else _property(base, key)
    out: Schema = {"type": "object", "properties": props}
    # an embedded document may come as dot paths, so only plain fields can be required
    required = [k for k in base.get("required", []) if k in props and _plain(spec, k)]
    if create and required:
        out["required"] = required
    return _with_defs(out, base.get("$defs", {}))


def link_output(link: LinkSpec, target_id: Schema, target: Schema) -> Schema:
    """A rendered link: the target id, the populated target, or null when it is gone."""
    one = {"anyOf": [target_id, target, {"type": "null"}]}
    return {"type": "array", "items": one} if link.many else one


def link_input(link: LinkSpec, target_id: Schema) -> Schema:
    """A link in a write body: the target id, or a target document with its `_id`."""
    doc = {"type": "object", "properties": {"_id": target_id}, "required": ["_id"]}
    one = {"anyOf": [target_id, doc, {"type": "null"}]}
    return {"type": "array", "items": one} if link.many else one


def list_query_schema(
    spec: ModelSpec, specs: Mapping[type[Document], ModelSpec], options: SchemaOptions
) -> Schema:
    """The list options as a querystring schema (repeatable ones are arrays)."""
    names = ", ".join(field_paths(spec))
    props: Schema = {
        "offset": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_OFFSET,
            "default": 0,
            "description": "Documents to skip.",
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": options.max_limit,
            "default": options.default_limit,
            "description": "Page size.",
        },
        "sort": {
            "type": "string",
            "description": "Fields to sort by, joined by `,` or a "
            f"space; `-` before a field sorts descending. Sortable: {names}.",
        },
        "filter": _strings(
            "`field=value` equality, AND-ed when repeated; `field` alone "
            f"means `field=true`. Fields: {names}."
        ),
        "where": _strings(
            "A JSON object: a MongoDB filter using $eq $gt $gte $in $lt $lte "
            "$ne $nin $and $not $nor $or $exists $regex $options."
        ),
        "match": _strings("`field=pattern`: a regular expression; `(?i)` first ignores case."),
        "search": {"type": "string", "description": "Full-text search (needs a text index)."},
        "fields": _fields_query(spec),
    }
    return {"type": "object", "properties": {**props, **populate_query(spec, specs)}}


def one_query_schema(spec: ModelSpec, specs: Mapping[type[Document], ModelSpec]) -> Schema:
    """The querystring of the routes that answer documents one by one: `fields`, `populate`."""
    fields = {"fields": _fields_query(spec)}
    return {"type": "object", "properties": {**fields, **populate_query(spec, specs)}}


def _fields_query(spec: ModelSpec) -> Schema:
    names = ", ".join(field_paths(spec))
    return {
        "type": "string",
        "description": f"Fields to return (`a,b`) or to leave out (`-a,-b`). Fields: {names}.",
    }


def populate_query(spec: ModelSpec, specs: Mapping[type[Document], ModelSpec]) -> Schema:
    paths = link_paths(spec, specs)
    text = "Link fields to expand, joined by `,`" + (
        f"; populatable: {', '.join(paths)}." if paths else "; this model has none."
    )
    return {"populate": _strings(text), "populate[]": _strings(text)}


DELETED: Schema = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}},
    "required": ["success"],
}


def route_defaults(
    key: str, spec: ModelSpec, specs: Mapping[type[Document], ModelSpec], options: SchemaOptions
) -> Schema:
    """The default `querystring`/`params`/`body`/`response` of one route."""

    def id_of(link: LinkSpec) -> Schema:
        return id_schema(specs[link.target])

    doc = document_schema(spec, options, lambda ln: link_output(ln, id_of(ln), {"type": "object"}))
    one = one_query_schema(spec, specs)
    method = by_key(key).method
    if method == "list":
        return {
            "querystring": list_query_schema(spec, specs, options),
            "response": {"200": list_schema(doc)},
        }
    if method == "post":
        return {
            "querystring": one,
            "body": body_schema(spec, id_of, create=True),
            "response": {"201": doc},
        }
    out: Schema = {"params": params_schema(spec)}
    if method == "delete":
        return {**out, "response": {"200": copy.deepcopy(DELETED)}}
    out["querystring"] = one
    if method in ("put", "patch"):
        out["body"] = body_schema(spec, id_of, create=False)
    return {**out, "response": {"200": doc}}


def list_schema(item: Schema) -> Schema:
    """The list answer (`total`, `items`, `next`, `prev`) around `item`, its `$defs` moved
    to the root."""
    defs = item.get("$defs")
    inner = {k: v for k, v in item.items() if k != "$defs"}
    out: Schema = {
        "type": "object",
        "required": ["total", "items", "next", "prev"],
        "properties": {
            "total": {"type": ["integer", "null"], "minimum": 0},
            "items": {"type": "array", "items": inner},
            "next": {"type": ["string", "null"]},
            "prev": {"type": ["string", "null"]},
            "total_truncated": {"type": "boolean"},
            "total_estimated": {"type": "boolean"},
        },
    }
    return _with_defs(out, defs or {})


def params_schema(spec: ModelSpec) -> Schema:
    """The path parameters of `/<collection>/{id}`."""
    return {"type": "object", "properties": {"id": id_schema(spec)}, "required": ["id"]}


def field_paths(spec: ModelSpec) -> list[str]:
    """`_id` and every field the query options know (the visible ones, with dot paths into
    embedded models, and `revision_id` where it is rendered)."""
    return ["_id", *_paths(spec.for_options.fields, "")]


def link_paths(
    spec: ModelSpec, specs: Mapping[type[Document], ModelSpec], prefix: str = "", depth: int = 1
) -> list[str]:
    """Every `populate` path, nested ones included, down to the populate depth limit."""
    out: list[str] = []
    for key, fld in _visible(spec):
        if fld.link is None:
            continue
        out.append(prefix + key)
        target = specs.get(fld.link.target)
        if target is not None and depth < MAX_POPULATE_DEPTH:
            out += link_paths(target, specs, f"{prefix}{key}.", depth + 1)
    return out


def _paths(fields: Mapping[str, FieldSpec], prefix: str) -> list[str]:
    out: list[str] = []
    for key, fld in fields.items():
        if fld.hidden:
            continue
        out.append(prefix + key)
        if fld.children is not None:
            out += _paths(fld.children, f"{prefix}{key}.")
    return out


def _visible(spec: ModelSpec) -> list[tuple[str, FieldSpec]]:
    return [(key, fld) for key, fld in spec.fields.items() if not fld.hidden]


def _plain(spec: ModelSpec, key: str) -> bool:
    fld = spec.fields.get(key)
    return fld is None or fld.children is None


def _property(base: Schema, key: str) -> Schema:
    prop = copy.deepcopy(base.get("properties", {}).get(key, {}))
    prop.pop("title", None)  # pydantic's titles ("Firstname") say nothing the key does not
    return prop  # type: ignore[no-any-return]


def _optional_defs(defs: Mapping[str, Any]) -> Schema:
    # An embedded document may be projected down to some of its fields (`fields=a.b`).
    return {name: {k: v for k, v in d.items() if k != "required"} for name, d in defs.items()}


def _with_defs(schema: Schema, defs: Mapping[str, Any]) -> Schema:
    if defs:
        schema["$defs"] = copy.deepcopy(dict(defs))
    return prune_defs(schema)


def _strings(description: str) -> Schema:
    return {**STRINGS, "description": description}
