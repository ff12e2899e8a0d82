"""Small walks over JSON Schema documents: find, rewrite and prune `$ref`s."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# Keywords whose values are data, not subschemas: a "$ref" key in there is not a reference.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
LOCAL_DEFS = "#/$defs/"


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
