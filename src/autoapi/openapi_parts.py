"""The fixed pieces of the OpenAPI document: problems, headers, error answers, pages.

Everything here is pure data or a pure function of it; `openapi.py` assembles the pieces
per model and route.
"""

from __future__ import annotations

import copy
import http
import re
from collections.abc import Iterable, Mapping
from typing import Any

from autoapi.routes import RouteKind
from autoapi.schemautil import DATA_KEYWORDS

Schema = dict[str, Any]
SCHEMAS = "#/components/schemas/"
PARAMETERS = "#/components/parameters/"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PROBLEM_JSON = "application/problem+json"
PAGE_REQUIRED = ("total", "items", "next", "prev")

PROBLEM: Schema = {
    "type": "object",
    "description": "An RFC 9457 problem; `code` is stable, `errors` names the fields at fault.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
COUNT_MODE: Schema = {"type": "string", "enum": ["exact", "estimated", "none"]}
DELETED: Schema = {
    "type": "object",
    "required": ["success"],
    "properties": {"success": {"type": "boolean"}},
}
PATCHED_MANY: Schema = {
    "type": "object",
    "description": "How many documents the filter selected, and how many of them changed.",
    "required": ["matched", "modified"],
    "properties": {
        "matched": {"type": "integer", "minimum": 0},
        "modified": {"type": "integer", "minimum": 0},
    },
}
DELETED_MANY: Schema = {
    "type": "object",
    "required": ["deleted"],
    "properties": {"deleted": {"type": "integer", "minimum": 0}},
}
# A clash in the middle of an array POST: what was written, what failed, what was not tried.
BATCH_CONFLICT: Schema = {
    "description": "A problem; after a unique clash in an array POST it also says which items "
    "were written (with their ids), which one failed and why, and which were not attempted.",
    "allOf": [
        {"$ref": SCHEMAS + "Problem"},
        {
            "type": "object",
            "properties": {
                "written": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "_id"],
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "_id": {"type": "string"},
                        },
                    },
                },
                "failed": {
                    "type": "object",
                    "required": ["index", "errors"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0},
                        "errors": PROBLEM["properties"]["errors"],
                    },
                },
                "not_attempted": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                },
            },
        },
    ],
}
UPSERT_MODE: Schema = {
    "type": "string",
    "enum": ["CoU", "CoR"],
    "description": "Create or update, create or replace (any letter case is accepted).",
}
HEADERS: Schema = {
    "ETag": {"description": "Identifies the stored document (for If-Match / If-None-Match)."},
    "Location": {"description": "The URL of the new document (not sent for an array)."},
    "Link": {"description": "RFC 8288 links to the `next` and `prev` pages."},
    "Retry-After": {"description": "Seconds to wait before trying again."},
}
# Statuses besides the success, by (shape, method); 304 is the only one without a problem body.
# 428 is declared only where the API requires If-Match.
ERRORS: Mapping[tuple[str, str], tuple[int, ...]] = {
    ("collection", "list"): (400, 503),
    ("item", "get"): (304, 400, 404, 503),
    ("collection", "post"): (400, 409, 413, 415, 422, 503),
    ("collection", "bulk_patch"): (400, 409, 413, 415, 422, 503),
    ("collection", "bulk_delete"): (400, 409, 503),
    ("item", "put"): (400, 404, 409, 412, 413, 415, 422, 503),
    ("item", "patch"): (400, 404, 409, 412, 413, 415, 422, 503),
    ("item", "delete"): (404, 412, 503),
    ("forward", "get"): (400, 404, 503),
    ("reverse", "list"): (400, 404, 503),
}
IF_MATCH_METHODS = frozenset({"put", "patch", "delete"})
_ERROR_TEXT = {
    412: "Precondition Failed: the stored document no longer has that ETag",
    428: "Precondition Required: send If-Match",
}


def page_schema(item_ref: Schema) -> Schema:
    """The answer of a list route around one item component."""
    return {
        "type": "object",
        "required": list(PAGE_REQUIRED),
        "properties": {
            "total": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Matching documents; null with `count=none`.",
            },
            "items": {"type": "array", "items": item_ref},
            "next": {"type": ["string", "null"], "description": "The cursor of the next page."},
            "prev": {"type": ["string", "null"], "description": "The cursor of the page before."},
            "total_truncated": {
                "type": "boolean",
                "description": "The exact count stopped at the configured maximum.",
            },
            "total_estimated": {"type": "boolean", "description": "`total` is an estimate."},
        },
    }


def batch_schema(item_ref: Schema) -> Schema:
    """The answer of a POST of a JSON array: the created documents, in order."""
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item_ref}},
    }


def one_or_many(one: Schema, item: Schema, most: int) -> Schema:
    """A POST body: one document, or an array of 1 to `most` of them."""
    many = {"type": "array", "items": copy.deepcopy(item), "minItems": 1, "maxItems": most}
    return {"oneOf": [one, many]}


def links_schema(item_ref: Schema) -> Schema:
    """The answer of a forward route over a list of links."""
    return {
        "type": "object",
        "required": ["total", "items"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": item_ref},
        },
    }


def json_response(description: str, schema: Any, headers: Iterable[str] = ()) -> Schema:
    out: Schema = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = {name: header(name) for name in headers}
    return out


def header(name: str) -> Schema:
    return {**HEADERS[name], "schema": {"type": "string"}}


def error_responses(kind: RouteKind, secured: bool, if_match_required: bool = False) -> Schema:
    """The non-success answers of one kind of route, problem+json except 304."""
    problem = {PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + "Problem"}}}
    statuses = list(ERRORS[(kind.shape, kind.method)])
    if secured:
        statuses += [401, 403]
    if if_match_required and kind.shape == "item" and kind.method in IF_MATCH_METHODS:
        statuses.append(428)
    out: Schema = {}
    for status in sorted(statuses):
        if status == 304:
            out["304"] = {"description": "Not Modified", "headers": {"ETag": header("ETag")}}
            continue
        out[str(status)] = {"description": _ERROR_TEXT.get(status, phrase(str(status))),
                            "content": problem}  # fmt: skip
        if status == 503:
            out["503"]["headers"] = {"Retry-After": header("Retry-After")}
    if kind.method == "post":
        out["409"]["content"] = {PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + "BatchConflict"}}}
    out["default"] = {"description": "Any other error", "content": problem}
    return out


def phrase(status: str) -> str:
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return f"Status {status}"


def wrap_ref_siblings(node: Any) -> Any:
    """`{"$ref", ...siblings}` → `{"allOf": [{"$ref"}, {siblings}]}`, at any depth.

    Generators keep only the `$ref` of such a schema; `allOf` keeps both.
    """
    if isinstance(node, list):
        return [wrap_ref_siblings(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: (v if k in DATA_KEYWORDS else wrap_ref_siblings(v)) for k, v in node.items()}
    if isinstance(out.get("$ref"), str) and len(out) > 1:
        siblings = {k: v for k, v in out.items() if k != "$ref"}
        return {"allOf": [{"$ref": out["$ref"]}, siblings]}
    return out


def snake(name: str) -> str:
    """`BookReview` → `book_review`, for operation ids."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")


def strip_keys(node: Any, keys: frozenset[str]) -> Any:
    """A copy of a schema without the given keywords, at any depth (data left alone)."""
    if isinstance(node, list):
        return [strip_keys(item, keys) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for k, v in node.items():
        if k in keys:
            continue
        if k in NAMED and isinstance(v, dict):  # keys of these are names, not keywords
            out[k] = {name: strip_keys(sub, keys) for name, sub in v.items()}
        else:
            out[k] = v if k in DATA_KEYWORDS else strip_keys(v, keys)
    return out


NAMED = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
