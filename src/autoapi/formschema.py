"""The schema of an `application/x-www-form-urlencoded` body: one optional key per scalar
leaf of the model, dot paths into embedded models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autoapi.introspect import FieldSpec, LinkSpec, ModelSpec
from autoapi.modelschema import REF_TEMPLATE, pydantic_schema

Schema = dict[str, Any]

FORM_SCALARS = frozenset({"string", "integer", "number", "boolean"})


def form_schema(spec: ModelSpec, id_of: Callable[[LinkSpec], Schema]) -> Schema:
    """A form body: one key per scalar leaf (dot paths into embedded models), all optional.

    A form carries strings only: lists, objects and null cannot be sent this way.
    """
    base = pydantic_schema(spec.model, "validation")
    return {"type": "object", "properties": _form_leaves(base, base, spec.fields, "", id_of)}


def _form_leaves(
    base: Schema,
    node: Schema,
    fields: Mapping[str, FieldSpec],
    prefix: str,
    id_of: Callable[[LinkSpec], Schema],
) -> Schema:
    out: Schema = {}
    props = node.get("properties", {})
    for key, fld in fields.items():
        if fld.hidden or key not in props:
            continue
        if fld.link is not None:
            if not fld.link.many:
                out[prefix + key] = id_of(fld.link)
            continue
        prop = _non_null(props[key])
        ref = prop.get("$ref", "")
        if fld.children is not None and ref.startswith(REF_TEMPLATE[:-7]):
            sub = base.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
            out.update(_form_leaves(base, sub, fld.children, f"{prefix}{key}.", id_of))
        elif _scalar_type(prop) is not None:
            kept = {k: v for k, v in prop.items() if k not in ("title", "default")}
            out[prefix + key] = {**kept, "type": _scalar_type(prop)}
    return out


def _non_null(prop: Schema) -> Schema:
    branches = [b for b in prop.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1 and isinstance(branches[0], dict):
        return branches[0]
    return prop


def _scalar_type(prop: Schema) -> str | None:
    kind = prop.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    scalars = [k for k in kinds if k in FORM_SCALARS]
    return scalars[0] if len(scalars) == 1 else None
