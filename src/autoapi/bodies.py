"""Request bodies → the nested `data` dict a write hook receives (SPEC §5)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from autoapi.coerce import CoercionError, check_storable, coerce_text, link_ref
from autoapi.errors import ProblemError, unprocessable
from autoapi.introspect import FieldSpec, ModelSpec
from autoapi.validation import CHECK_BODY

MAX_BODY = 1024 * 1024
MAX_DEPTH = 90  # MongoDB refuses documents nested deeper than 100; leave room for the path
READ_ONLY = frozenset({"revision_id"})


@dataclass(frozen=True)
class Body:
    """A parsed write body: the field values (nested, by stored key) and the `_id` if given."""

    data: dict[str, Any]
    id: Any = None
    has_id: bool = False


async def read_body(request: Request, spec: ModelSpec, model_name_key: str | None) -> Body:
    """Read, decode and check a write body; any fault raises a 4xx ProblemError."""
    raw = await _read_limited(request)
    check = request.scope.get(CHECK_BODY)
    if check is not None:  # the route's JSON Schema sees the body as the client sent it
        check(raw, request.headers.get("content-type", ""))
    if not raw.strip():
        items: dict[str, Any] = {}
    else:
        items = _decode(raw, request.headers.get("content-type", ""), spec)
    return to_body(spec, items, model_name_key)


async def read_bodies(
    request: Request, spec: ModelSpec, model_name_key: str | None, most: int
) -> Body | list[Body]:
    """As :func:`read_body`, but a JSON array (of at most `most` objects) gives one Body per
    item; the faults of every item are gathered, each named `[i].field`."""
    raw = await _read_limited(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = media == "application/json" or media.endswith("+json")
    if not (is_json and raw.lstrip().startswith(b"[")):
        request._body = raw  # read_body reads it again from the cache
        return await read_body(request, spec, model_name_key)
    return _array_bodies(raw, spec, model_name_key, most)


def _array_bodies(
    raw: bytes, spec: ModelSpec, model_name_key: str | None, most: int
) -> list[Body]:
    try:
        values = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ProblemError(
            400, f"invalid JSON body: {exc}", [{"field": "body", "message": "invalid JSON"}]
        ) from None
    if not isinstance(values, list) or not values:
        raise ProblemError(
            400,
            "the JSON body must be an object, or an array of at least one object",
            [{"field": "body", "message": "expected an object or a non-empty array"}],
        )
    if len(values) > most:
        raise ProblemError(413, f"at most {most} documents in one request, got {len(values)}")
    bodies: list[Body] = []
    errors: list[dict[str, str]] = []
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            errors.append({"field": f"[{i}]", "message": "expected an object"})
            continue
        try:
            bodies.append(to_body(spec, value, model_name_key))
        except ProblemError as exc:
            errors += [{**e, "field": f"[{i}].{e['field']}"} for e in exc.errors]
    if errors:
        raise unprocessable(errors)
    return bodies


def to_body(spec: ModelSpec, items: Mapping[str, Any], model_name_key: str | None) -> Body:
    """Decoded key/value pairs → a checked Body (unknown fields and bad links → 422)."""
    items = dict(items)
    ignored = READ_ONLY | ({model_name_key} if model_name_key else set())
    has_id = "_id" in items
    ident = items.pop("_id", None)
    data = build_data(spec, {k: v for k, v in items.items() if k not in ignored})
    return Body(data, ident, has_id)


async def _read_limited(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ProblemError:
    return ProblemError(413, f"request body larger than {MAX_BODY} bytes")


def _decode(raw: bytes, content_type: str, spec: ModelSpec) -> dict[str, Any]:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return _json_object(raw)
    if media == "application/x-www-form-urlencoded":
        return _form(raw, spec)
    raise ProblemError(
        415,
        "send application/json or application/x-www-form-urlencoded",
        headers={"Accept-Post": "application/json, application/x-www-form-urlencoded"},
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ProblemError(
            400, f"invalid JSON body: {exc}", [{"field": "body", "message": "invalid JSON"}]
        ) from None
    if not isinstance(value, dict):
        raise ProblemError(
            400,
            "the JSON body must be an object",
            [{"field": "body", "message": "expected an object"}],
        )
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _form(raw: bytes, spec: ModelSpec) -> dict[str, Any]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ProblemError(400, "the form body is not UTF-8") from None
    items: dict[str, Any] = {}
    errors = []
    for key, value in pairs:
        fld = spec.resolve(key)
        try:
            items[key] = coerce_text(fld, value) if fld and _coercible(fld) else value
        except CoercionError as exc:
            errors.append({"field": key, "message": str(exc)})
    if errors:
        raise unprocessable(errors)
    return items


def _coercible(fld: FieldSpec | None) -> bool:
    # Links are turned into DBRefs by build_data; lists and open fields keep the text.
    return fld is not None and fld.link is None and not fld.is_list and not fld.open


def build_data(spec: ModelSpec, items: Mapping[str, Any]) -> dict[str, Any]:
    """Dot paths and nested objects → one nested dict; unknown fields and bad links → 422."""
    data: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for key, value in items.items():
        fld = spec.resolve(key) if key else None
        if fld is None or fld.key == "_id":
            errors.append({"field": key, "message": "unknown field"})
            continue
        try:
            value = _checked_value(fld, value, key, errors)
        except CoercionError as exc:
            errors.append({"field": key, "message": str(exc)})
            continue
        _set_path(data, key.split("."), value)
    if errors:
        raise unprocessable(errors)
    return data


def _checked_value(fld: FieldSpec, value: Any, path: str, errors: list[dict[str, str]]) -> Any:
    _check_storable_tree(value)
    if fld.link is not None:
        if fld.link.many and isinstance(value, list):
            return [link_ref(fld, v) for v in value]
        return None if value is None else link_ref(fld, value)
    if fld.children is not None:
        items = value if fld.is_list and isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                prefix = f"{path}.{i}" if fld.is_list else path
                _check_keys(fld.children, item, prefix, errors)
    return value


def _check_storable_tree(value: Any, depth: int = 1) -> None:
    # Keys are checked here too: `$` or `.` in a stored key breaks queries on it later.
    if depth > MAX_DEPTH:
        raise CoercionError(f"nested deeper than {MAX_DEPTH} levels, which MongoDB refuses")
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key:
                raise CoercionError(f"key {key!r}: keys may not start with $ or contain a dot")
            check_storable(key)
            _check_storable_tree(sub, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable_tree(item, depth + 1)
    else:
        check_storable(value)


def _check_keys(
    fields: Mapping[str, FieldSpec],
    value: Mapping[str, Any],
    path: str,
    errors: list[dict[str, str]],
) -> None:
    for key, sub in value.items():
        fld = fields.get(key)
        if fld is None or fld.hidden:
            errors.append({"field": f"{path}.{key}", "message": "unknown field"})
        elif fld.children is not None:
            _checked_value(fld, sub, f"{path}.{key}", errors)


def _set_path(data: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = data.get(part)
        if not isinstance(node, dict):
            node = data[part] = {}
        data = node
    last = parts[-1]
    if isinstance(value, dict) and isinstance(data.get(last), dict):
        data[last].update(value)
    else:
        data[last] = value
