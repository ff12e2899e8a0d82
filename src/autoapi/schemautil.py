"""Walks over JSON Schemas: find, rewrite and prune `$ref`s; flatten what applies in place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from referencing import Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

# Keywords whose values are data, not subschemas: a "$ref" key in there is not a reference.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
LOCAL_DEFS = "#/$defs/"
MAX_DEPTH = 64
Pair = tuple[Any, Any]  # (schema, the `referencing` resolver it is read with)


def resource(schema: Any) -> Resource[Any]:
    """A schema as a `referencing` resource; 2020-12 unless it says otherwise."""
    return Resource.from_contents(schema, default_specification=DRAFT202012)


def iter_refs(node: Any) -> Iterator[str]:
    """Every `$ref` string in a schema, at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key not in DATA_KEYWORDS:
                yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)


def rewrite_refs(node: Any, fn: Callable[[str], str]) -> Any:
    """A copy of `node` with every `$ref` string replaced by `fn(ref)`."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = fn(value)
            elif key in DATA_KEYWORDS:
                out[key] = value
            else:
                out[key] = rewrite_refs(value, fn)
        return out
    if isinstance(node, list):
        return [rewrite_refs(item, fn) for item in node]
    return node


def prune_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the root `$defs` entries that nothing references (directly or through others)."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    body = {k: v for k, v in schema.items() if k != "$defs"}
    used: set[str] = set()
    pending = [r for r in iter_refs(body)]
    while pending:
        name = _local_name(pending.pop())
        if name is not None and name in defs and name not in used:
            used.add(name)
            pending += iter_refs(defs[name])
    if used:
        body["$defs"] = {k: v for k, v in defs.items() if k in used}
    return body


def _local_name(ref: str) -> str | None:
    if not ref.startswith(LOCAL_DEFS):
        return None
    return ref[len(LOCAL_DEFS) :].split("/", 1)[0]


def flatten(schema: Any, resolver: Any, depth: int = 0) -> list[Pair]:
    """The schema and every schema it applies in place through `$ref`, allOf, anyOf, oneOf."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return [(schema, resolver)]
    if isinstance(schema.get("$id"), str) and depth:
        resolver = resolver.in_subresource(resource(schema))
    out: list[Pair] = [(schema, resolver)]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            found = resolver.lookup(ref)
        except Unresolvable:  # checked at construction; only a dynamic base can miss here
            found = None
        if found is not None:
            out += flatten(found.contents, found.resolver, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            out += flatten(sub, resolver, depth + 1)
    return out


def property_pairs(pairs: Iterable[Pair], name: str) -> list[Pair]:
    """What the schemas say of property `name`, flattened."""
    out: list[Pair] = []
    for schema, resolver in pairs:
        props = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(props, dict) and name in props:
            out += flatten(props[name], resolver)
    return out


def item_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """What the schemas say of array items, flattened."""
    out: list[Pair] = []
    for schema, resolver in pairs:
        items = schema.get("items") if isinstance(schema, dict) else None
        if isinstance(items, (dict, bool)):
            out += flatten(items, resolver)
    return out


def types_of(pairs: Iterable[Pair]) -> set[str]:
    """Every `type` the schemas name."""
    out: set[str] = set()
    for schema, _ in pairs:
        kind = schema.get("type") if isinstance(schema, dict) else None
        out.update([kind] if isinstance(kind, str) else kind if isinstance(kind, list) else [])
    return out
