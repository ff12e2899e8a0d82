"""The query and header parameters of the OpenAPI document: those every list route and
conditional write share (components), and the per-model path id and enum lists."""

from __future__ import annotations

import copy
import json
from typing import Any

from autoapi.modelschema import SchemaOptions
from autoapi.openapi_parts import JSON, PARAMETERS, SCHEMAS, Schema
from autoapi.query import MAX_OFFSET

# valid on every model: Swagger UI sends the example when trying an operation out
WHERE_EXAMPLE = {"_id": {"$exists": True}}


def shared_parameters(options: SchemaOptions) -> dict[str, Schema]:
    """The parameters every list route (and the conditional writes) share."""
    return {
        # No `default`: generated clients would always send it, and `offset` with `cursor`
        # is a 400.
        "offset": _query(
            "offset", "Documents to skip (default 0); not with `cursor`.", _integer(0, MAX_OFFSET)
        ),
        "limit": _query(
            "limit",
            f"Page size (default {options.default_limit}).",
            _integer(1, options.max_limit),
        ),
        "filter": _query(
            "filter",
            "`field=value` equality, AND-ed when repeated; `field` alone means `field=true`.",
            _strings(),
            explode=True,
        ),
        "where": {
            "name": "where",
            "in": "query",
            "description": "A MongoDB filter as a JSON object, using only $eq $gt $gte $in $lt "
            "$lte $ne $nin $and $not $nor $or $exists $regex $options.",
            # JSON text in a string: generators that cannot read `content` parameters get one
            "schema": {
                "type": "string",
                "contentMediaType": JSON,
                "contentSchema": {"type": "object"},
            },
            "example": json.dumps(WHERE_EXAMPLE),
        },
        "match": _query(
            "match",
            "`field=pattern`: a regular expression, on text fields only; `(?i)` first "
            "ignores case.",
            _strings(),
            explode=True,
        ),
        "search": _query("search", "Full-text search (needs a text index).", {"type": "string"}),
        "cursor": _query(
            "cursor",
            "The `next` or `prev` token of a previous page: the page after (or before) it.",
            {"type": "string"},
        ),
        "count": _query(
            "count",
            "How `total` is computed: exactly, estimated (only without a filter), or not at all.",
            {"$ref": SCHEMAS + "CountMode"},
        ),
        "If-Match": _header(
            "If-Match", "Write only if the stored document has one of these ETags."
        ),
        "If-None-Match": _header(
            "If-None-Match",
            "Answer 304 (no body) if the document still has one of these ETags; "
            "not with `populate`, whose targets the ETag does not cover.",
        ),
        "X-HTTP-Method": {
            "name": "X-HTTP-Method",
            "in": "header",
            "description": "`CoU`: create or update (merge the body's fields into the document "
            "with its `_id`; null removes a field). `CoR`: create or replace. Either creates "
            "when no document has that `_id` (201) and writes it when one does (200). The "
            "value is case-insensitive; a JSON array cannot take it.",
            "schema": {"$ref": SCHEMAS + "UpsertMode"},
        },
    }


LIST_PARAMETERS = ("offset", "limit", "filter", "where", "match", "search", "cursor", "count")


def array_parameter(name: str, description: str, item_ref: str) -> Schema:
    """A query parameter listing values of a component enum, comma-joined or repeated."""
    schema = {"type": "array", "items": {"$ref": SCHEMAS + item_ref}, "uniqueItems": True}
    return _query(name, description, schema, explode=True)


def path_id(schema: Schema) -> Schema:
    return {"name": "id", "in": "path", "required": True, "schema": schema}


def param_ref(name: str) -> Schema:
    return {"$ref": PARAMETERS + name}


def _query(name: str, description: str, schema: Schema, explode: bool = False) -> Schema:
    out: Schema = {"name": name, "in": "query", "description": description, "schema": schema}
    if explode:
        out.update(style="form", explode=True)
    return out


def _header(name: str, description: str) -> Schema:
    return {"name": name, "in": "header", "description": description, "schema": {"type": "string"}}


def _integer(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def _strings() -> Schema:
    return {"type": "array", "items": {"type": "string"}}


def entry_parameters(params: Any, query: Any) -> list[Schema]:
    """A schema entry's `params` (path) and `querystring` schemas → OpenAPI parameters."""
    out = [_parameter(name, "path", schema, True) for name, schema in _properties(params).items()]
    required = query.get("required", []) if isinstance(query, dict) else []
    out += [
        _parameter(name, "query", schema, name in required)
        for name, schema in _properties(query).items()
    ]
    return out


def _parameter(name: str, where: str, schema: Any, required: bool) -> Schema:
    schema = copy.deepcopy(schema)
    out: Schema = {"name": name, "in": where, "required": required or where == "path"}
    if isinstance(schema, dict) and isinstance(schema.get("description"), str):
        out["description"] = schema.pop("description")
    out["schema"] = schema
    if isinstance(schema, dict) and schema.get("type") == "array":
        out.update(style="form", explode=True)
    return out


def _properties(schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return dict(props) if isinstance(props, dict) else {}
