"""What an update writes: the paths a body names, validated against the whole document.

A write never removes stored data the request did not name: an update sets exactly the
leaf paths of the body (objects for embedded models are walked down to their leaves; lists,
dict fields and links are replaced whole), after the document with those paths applied has
passed the model's validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beanie import Document
from pydantic import ValidationError

from autoapi import store
from autoapi.errors import ProblemError, unprocessable, validation_errors
from autoapi.introspect import FieldSpec, ModelSpec


def leaf_paths(fields: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """`{"biography": {"born": 1}}` → `{"biography.born": 1}`; other values keep their key."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        fld = fields.get(key)
        children = fld.children if fld is not None and not fld.is_list else None
        if children is not None and isinstance(value, Mapping) and value:
            for sub, leaf in leaf_paths(children, value).items():
                out[f"{key}.{sub}"] = leaf
        else:
            out[key] = value
    return out


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set a dot path in a nested dict, creating (or replacing non-dict) parents."""
    *parents, last = path.split(".")
    for part in parents:
        node = doc.get(part)
        if not isinstance(node, dict):
            node = doc[part] = {}
        else:
            node = doc[part] = dict(node)
        doc = node
    doc[last] = value


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a dot path of a nested dict (None when a part is missing)."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def apply_paths(spec: ModelSpec, doc: Document, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate `doc` with `data` applied; set the new values on `doc`; return the `$set`."""
    paths = leaf_paths(spec.fields, data)
    merged = store.encode_document(doc)
    for path, value in paths.items():
        set_path(merged, path, value)
    updated = validated(spec, merged)
    encoded = store.encode_document(updated)
    by_key = {key: name for name, key in spec.aliases.items()}
    for key in {path.split(".")[0] for path in paths}:
        setattr(doc, by_key.get(key, key), getattr(updated, by_key.get(key, key)))
    return {path: get_path(encoded, path) for path in paths}


def validated(spec: ModelSpec, merged: Mapping[str, Any]) -> Document:
    """The model instance of a merged document; 422 naming the fields at fault.

    A fault in a field the client cannot write (hidden) is the stored document's, not the
    request's: 409, naming nothing.
    """
    try:
        doc: Document = spec.model.model_validate(merged)
        return doc
    except ValidationError as exc:
        errors = validation_errors(exc)
        if any(_hidden(spec, e["field"]) for e in errors):
            raise ProblemError(
                409,
                f"the stored {spec.name} is invalid and cannot be updated this way",
                code="stored_invalid",
            ) from None
        raise unprocessable(errors) from None


def _hidden(spec: ModelSpec, path: str) -> bool:
    fld = spec.fields.get(path.split(".")[0])
    return fld is not None and fld.hidden


def instance_of(spec: ModelSpec, raw: Mapping[str, Any]) -> Document:
    """A stored document as a model instance; one that no longer validates is still built
    (unvalidated, from the stored values), so it can be rendered, deleted or repaired."""
    doc: Document
    try:
        doc = spec.model.model_validate(raw)
    except ValidationError:
        doc = spec.model.model_construct(**raw)
    return doc
