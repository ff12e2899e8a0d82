"""Stored documents → JSON-ready dicts, straight from what MongoDB returned."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from beanie import Document
from beanie.odm.utils.encoder import Encoder
from bson import DBRef, Decimal128, ObjectId
from bson.binary import Binary

from autoapi.introspect import FieldSpec, ModelSpec

_ENCODER = Encoder()


def encode_document(doc: Document) -> dict[str, Any]:
    """A document instance → the dict Beanie would store (links as DBRef, `_id` key)."""
    return _ENCODER.encode(doc)  # type: ignore[no-any-return]


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `changes` into `base`: objects merge key by key, any other value replaces."""
    out = dict(base)
    for key, value in changes.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def jsonable(value: Any) -> Any:
    """A BSON value → its JSON form (ids as strings, dates as ISO 8601 in UTC)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime.datetime):
        return iso_datetime(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, DBRef):
        return jsonable(value.id)
    return _jsonable_rare(value)


def _jsonable_rare(value: Any) -> Any:
    if isinstance(value, Binary) and value.subtype in (3, 4):
        return str(value.as_uuid(value.subtype))
    if isinstance(value, (uuid.UUID, Decimal128, decimal.Decimal)):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "value"):  # enums stored by a driver that kept the object
        return jsonable(value.value)
    return str(value)


def iso_datetime(value: datetime.datetime) -> str:
    """MongoDB keeps UTC milliseconds; render them as `2019-07-10T17:30:23.486Z`."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def render_field(fld: FieldSpec, value: Any) -> Any:
    """One stored field value → JSON, by the field's description."""
    if value is None:
        return None
    if fld.is_list and isinstance(value, list):
        return [_render_one(fld, v) for v in value]
    return _render_one(fld, value)


def _render_one(fld: FieldSpec, value: Any) -> Any:
    if fld.children is not None and isinstance(value, Mapping):
        return render_fields(fld.children, value)
    if fld.is_date and isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return jsonable(value)


def render_fields(fields: Mapping[str, FieldSpec], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Render the known, visible fields of a stored (sub-)document, in declaration order."""
    out: dict[str, Any] = {}
    for key, fld in fields.items():
        if not fld.hidden and key in raw:
            out[key] = render_field(fld, raw[key])
    return out


def render_stored(spec: ModelSpec, raw: Mapping[str, Any], version_key: bool) -> dict[str, Any]:
    """A stored document → the dict sent to clients (before the model-name key)."""
    out: dict[str, Any] = {}
    if "_id" in raw:
        out["_id"] = jsonable(raw["_id"])
    out.update(render_fields(spec.fields, raw))
    if version_key and spec.use_revision and "revision_id" in raw:
        out["revision_id"] = jsonable(raw["revision_id"])
    return out


def project_output(doc: dict[str, Any], projection: Mapping[str, int]) -> dict[str, Any]:
    """Apply a MongoDB-style projection to an already rendered dict (for custom api_values)."""
    include = any(v for k, v in projection.items() if k != "_id")
    if include:
        out: dict[str, Any] = {}
        keep = [k for k, v in projection.items() if v]
        keep += ["_id"] if projection.get("_id", 1) else []
        for path in keep:
            _copy_path(doc, out, path.split("."))
        return out
    out = dict(doc)
    for path, v in projection.items():
        if not v:
            _drop_path(out, path.split("."))
    return out


def _copy_path(src: Mapping[str, Any], dst: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in src:
        return
    if not rest:
        dst[head] = src[head]
    elif isinstance(src[head], Mapping):
        _copy_path(src[head], dst.setdefault(head, {}), rest)


def _drop_path(doc: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        doc.pop(head, None)
    elif isinstance(doc.get(head), Mapping):
        doc[head] = dict(doc[head])
        _drop_path(doc[head], rest)
