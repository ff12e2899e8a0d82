"""Response schemas as whitelists (SPEC §8): undeclared properties are not sent.

Properties count as declared when any schema that applies in place names them (through
`$ref`, allOf, anyOf, oneOf); `additionalProperties` other than false, or
`patternProperties`, keeps the rest; a schema naming no property keeps the value as is.
A string under `format: date` is cut to its date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from autoapi.schemautil import MAX_DEPTH, Pair, flatten, item_pairs

DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


@dataclass
class _Plan:
    """What a set of schemas says about one value, worked out once."""

    declared: dict[str, list[Pair]] = field(default_factory=dict)
    keep_others: bool = False
    items: list[Pair] = field(default_factory=list)
    is_date: bool = False


class Whitelist:
    """Shapes payloads; plans are cached by the identity of the schemas that apply.

    Schemas live as long as the route that holds this object, so their ids stay theirs.
    """

    def __init__(self) -> None:
        self._plans: dict[tuple[int, ...], _Plan] = {}

    def shape(self, value: Any, pairs: list[Pair], depth: int = 0) -> Any:
        """Keep what the schemas declare: properties, array items, dates without time."""
        if depth > MAX_DEPTH or not pairs:
            return value
        plan = self._plan(pairs)
        if isinstance(value, dict):
            return self._object(value, plan, depth) if plan.declared else value
        if isinstance(value, list) and plan.items:
            return [self.shape(v, plan.items, depth + 1) for v in value]
        if isinstance(value, str) and plan.is_date and DATE_TIME.match(value):
            return value[:10]
        return value

    def _object(self, value: dict[str, Any], plan: _Plan, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in plan.declared:
                out[key] = self.shape(item, plan.declared[key], depth + 1)
            elif plan.keep_others:
                out[key] = item
        return out

    def _plan(self, pairs: list[Pair]) -> _Plan:
        key = tuple(id(schema) for schema, _ in pairs)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _make_plan(pairs)
        return plan


def _make_plan(pairs: list[Pair]) -> _Plan:
    plan = _Plan(items=item_pairs(pairs))
    for schema, resolver in pairs:
        if not isinstance(schema, dict):
            continue
        for name, sub in (schema.get("properties") or {}).items():
            plan.declared.setdefault(name, []).extend(flatten(sub, resolver))
        extra = schema.get("additionalProperties")
        plan.keep_others |= extra not in (None, False) or "patternProperties" in schema
        plan.is_date |= schema.get("format") == "date"
    return plan
