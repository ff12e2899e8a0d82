"""Response schemas as whitelists: undeclared properties are not sent.

Properties count as declared when any schema that applies in place names them (through
`$ref`, allOf, anyOf, oneOf); `additionalProperties` other than false, or
`patternProperties`, keeps the rest; a schema naming no property keeps the value as is.
A string under `format: date` is cut to its date.

A schema is compiled once into a tree of :class:`Node` (a value that needs no shaping has
no node), so shaping a page costs one dict comprehension per object, not a schema walk.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from autoapi.schemautil import MAX_DEPTH, Pair, flatten, item_pairs

DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


@dataclass(eq=False)
class Node:
    """What a set of schemas says about one value; a child of None is kept as it is."""

    declared: dict[str, Node | None] | None = None
    keep_others: bool = False
    items: Node | None = None
    is_date: bool = False
    trivial: bool = field(default=False, repr=False)


class Whitelist:
    """Compiles schemas into nodes, cached by the identity of the schemas that apply.

    Schemas live as long as the route that holds this object, so their ids stay theirs.
    """

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, ...], Node] = {}

    def shape(self, value: Any, pairs: list[Pair]) -> Any:
        """Keep what the schemas declare: properties, array items, dates without time."""
        node = self.compile(pairs)
        return value if node is None else apply(node, value)

    def compile(self, pairs: list[Pair], depth: int = 0) -> Node | None:
        """The node of `pairs`, or None when they leave every value as it is."""
        if not pairs or depth > MAX_DEPTH:
            return None
        key = tuple(id(schema) for schema, _ in pairs)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = Node()  # in place first: schemas may recurse
            self._fill(node, pairs, depth)
        return None if node.trivial else node

    def _fill(self, node: Node, pairs: list[Pair], depth: int) -> None:
        declared: dict[str, list[Pair]] = {}
        for schema, resolver in pairs:
            if not isinstance(schema, dict):
                continue
            for name, sub in (schema.get("properties") or {}).items():
                declared.setdefault(name, []).extend(flatten(sub, resolver))
            extra = schema.get("additionalProperties")
            node.keep_others |= extra not in (None, False) or "patternProperties" in schema
            node.is_date |= schema.get("format") == "date"
        if declared:
            node.declared = {n: self.compile(p, depth + 1) for n, p in declared.items()}
        node.items = self.compile(item_pairs(pairs), depth + 1)
        node.trivial = node.declared is None and node.items is None and not node.is_date


def apply(node: Node, value: Any, depth: int = 0) -> Any:
    """`value` as `node` allows it."""
    if isinstance(value, dict):
        declared = node.declared
        if declared is None or depth > MAX_DEPTH:
            return value
        out: dict[str, Any] = {}
        keep = node.keep_others
        for key, item in value.items():
            if key in declared:
                sub = declared[key]
                out[key] = item if sub is None else apply(sub, item, depth + 1)
            elif keep:
                out[key] = item
        return out
    if isinstance(value, list) and node.items is not None:
        items = node.items
        return [apply(items, item, depth + 1) for item in value]
    if node.is_date:
        if isinstance(value, str) and DATE_TIME.match(value):
            return value[:10]
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
    return value
