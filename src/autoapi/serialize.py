"""Stored documents → JSON-ready dicts, straight from what MongoDB returned."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from beanie import PydanticObjectId
from bson import Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary
from bson.son import SON
from starlette import responses

from autoapi.introspect import FieldSpec, ModelSpec

# Values of these exact types are stored and rendered as they are: both the encoder and the
# renderer return them untouched, so the hot loops skip every other check for them.
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


# orjson hands what it would encode differently from `json` (subclasses of str/int/dict/list,
# dates, dataclasses) to `_not_plain`, which sends the whole body down the `json` path.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class JSONResponse(responses.JSONResponse):
    """Starlette's `JSONResponse`, encoded by orjson when the content is plain JSON data.

    Plain data gives the same compact UTF-8 text as Starlette's `json.dumps` path, many times
    faster on large pages. The renderer leaves the values a driver decodes (ObjectId, DBRef,
    datetime and the rarer BSON types) for the encoder to convert (`render_deferred`), so
    they are written as `jsonable` writes them.
    Content orjson would encode differently falls back to that path, after every value
    `json` cannot take is made JSON-ready. The exceptions are values `json` refuses (a 500
    before): a stored NaN or infinity becomes null, and a UUID or an Enum from a custom
    `api_values` its string or its value.
    """

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, default=_deferred, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: a type `json` may encode differently
            return super().render(_settled(content))


def _deferred(value: Any) -> Any:
    convert = _DEFERRED.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, _DECODED):
        return _written(value)
    raise TypeError(f"{type(value).__name__} is left to the json module")


def _written(value: Any) -> Any:
    """A rarer value a driver decodes, as the builtin value `jsonable` makes of it."""
    if isinstance(value, str):  # Code: its text
        return str.__str__(value)
    if isinstance(value, int):  # Int64
        return int(value)
    if isinstance(value, dict):  # SON
        return dict(value)
    return _jsonable_rare(value)


def _settled(value: Any) -> Any:
    """`value` with the values the renderer left to the encoder converted (nothing else:
    what `json` refused before it still refuses)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict or kind is SON:
        return {k: _settled(v) for k, v in value.items()}
    if kind is list:
        return [_settled(v) for v in value]
    convert = _DEFERRED.get(kind)
    if convert is not None:
        return convert(value)
    return jsonable(value) if isinstance(value, (*_DECODED, uuid.UUID)) else value


def jsonable(value: Any) -> Any:
    """A BSON value → its JSON form (ids as strings, dates as ISO 8601 in UTC)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _BY_TYPE.get(kind)
    if convert is not None:
        return convert(value)
    if isinstance(value, (str, bool, int, float)):
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


def _jsonable_dict(value: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in value.items()}


def _jsonable_list(value: list[Any]) -> list[Any]:
    return [v if type(v) in _PLAIN else jsonable(v) for v in value]


def _jsonable_ref(value: DBRef) -> Any:
    ident = value.id
    return str(ident) if type(ident) is ObjectId else jsonable(ident)


def iso_datetime(value: datetime.datetime) -> str:
    """MongoDB keeps UTC milliseconds; render them as `2019-07-10T17:30:23.486Z`."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


# The exact types met in nearly every stored document, each with its converter.
_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    ObjectId: str,
    PydanticObjectId: str,  # what mongomock hands back, having stored the object as given
    datetime.datetime: iso_datetime,
    list: _jsonable_list,
    dict: _jsonable_dict,
    DBRef: _jsonable_ref,
}
# The exact types the renderer leaves for `JSONResponse` to convert, each with its converter.
_DEFERRED: dict[type, Callable[[Any], Any]] = {
    ObjectId: str,
    PydanticObjectId: str,
    datetime.datetime: iso_datetime,
    DBRef: _jsonable_ref,
}
_KEPT: frozenset[type] = _PLAIN | frozenset(_DEFERRED)
# The rarer types PyMongo decodes: `JSONResponse` writes them as `jsonable` does too.
_DECODED: tuple[type, ...] = (bytes, Decimal128, Regex, Code, Int64, Timestamp, MinKey, MaxKey, SON)


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
    for key, fld, simple in _visible(fields):
        if key in raw:
            value = raw[key]
            if type(value) in _PLAIN:
                out[key] = value
            else:
                out[key] = jsonable(value) if simple else render_field(fld, value)
    return out


_Visible = tuple[tuple[str, FieldSpec, bool], ...]
# id(fields) → (fields, its visible items): kept with the mapping so that a reused id of a
# mapping that is gone can never match.
_VISIBLE: dict[int, tuple[Mapping[str, FieldSpec], _Visible]] = {}
_VISIBLE_MAX = 4096


def _visible(fields: Mapping[str, FieldSpec]) -> _Visible:
    """The visible fields, each with whether `render_field` is plain `jsonable` for it."""
    cached = _VISIBLE.get(id(fields))
    if cached is not None and cached[0] is fields:
        return cached[1]
    visible = tuple(
        (key, fld, fld.children is None and not fld.is_date)
        for key, fld in fields.items()
        if not fld.hidden
    )
    if len(_VISIBLE) >= _VISIBLE_MAX:  # many short-lived AutoAPI instances (tests) add up
        _VISIBLE.clear()
    _VISIBLE[id(fields)] = (fields, visible)
    return visible


def render_stored(spec: ModelSpec, raw: Mapping[str, Any], version_key: bool) -> dict[str, Any]:
    """A stored document → the dict sent to clients (before the model-name key), JSON-ready."""
    settled: dict[str, Any] = _settled(render_deferred(spec, raw, version_key))
    return settled


def render_deferred(spec: ModelSpec, raw: Mapping[str, Any], version_key: bool) -> dict[str, Any]:
    """As `render_stored`, but the values a driver decodes are left as they are:
    `JSONResponse` converts them (in orjson, not in a Python loop over every value)."""
    doc = render_page(spec, (raw,), version_key)[0]
    return dict(doc) if doc is raw else doc


def render_page(
    spec: ModelSpec, raws: Sequence[Mapping[str, Any]], version_key: bool
) -> list[dict[str, Any]]:
    """`render_deferred` over a page of one model's documents, which the page takes over:
    a document stored as declared is rendered as itself (no copy for the GC to count)."""
    plan = _plan(spec)
    if not plan.special and _as_declared(raws, plan.keys):
        return cast(list[dict[str, Any]], list(raws))  # dicts: `_as_declared` checked
    out = []
    for raw in raws:
        if type(raw) is dict and tuple(raw) == plan.keys:
            doc = dict(raw)
            for key, fld in plan.special:
                if doc[key] is not None:
                    doc[key] = render_field(fld, doc[key])
            out.append(doc)
        else:
            out.append(_render_slow(spec, raw, version_key))
    return out


def _as_declared(raws: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> bool:
    """Every document a dict holding `_id` and the visible fields, in declaration order.

    Its values need no look: `JSONResponse` writes every type a driver decodes as
    `jsonable` would.
    """
    return all(type(raw) is dict for raw in raws) and all(map(keys.__eq__, map(tuple, raws)))


def _render_slow(spec: ModelSpec, raw: Mapping[str, Any], version_key: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "_id" in raw:
        out["_id"] = _kept(raw["_id"])
    for key, fld, simple in _visible(spec.fields):
        if key in raw:
            value = raw[key]
            out[key] = _kept(value) if simple else render_field(fld, value)
    if version_key and spec.use_revision and "revision_id" in raw:
        out["revision_id"] = jsonable(raw["revision_id"])
    return out


def _kept(value: Any) -> Any:
    return value if type(value) in _KEPT else jsonable(value)


@dataclass(frozen=True)
class _Plan:
    keys: tuple[str, ...]  # `_id` and the visible fields, in order: a copy of such a document
    special: tuple[tuple[str, FieldSpec], ...]  # is rendered once these are


def _plan(spec: ModelSpec) -> _Plan:
    cached = _PLANS.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    visible = _visible(spec.fields)
    # Raw lists and dicts may hold anything; only a few value types are left to the encoder.
    plan = _Plan(
        ("_id", *(key for key, _, _ in visible)),
        tuple((key, fld) for key, fld, simple in visible if not simple),
    )
    if len(_PLANS) >= _VISIBLE_MAX:
        _PLANS.clear()
    _PLANS[id(spec)] = (spec, plan)
    return plan


_PLANS: dict[int, tuple[ModelSpec, _Plan]] = {}
