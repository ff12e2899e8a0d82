"""Request bodies: read within the size limit, decoded by media type (JSON, a form, or a
JSON array of documents), and turned into a `Body` (see `bodydata` for the checks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from autoapi.bodydata import Faults, build_data, path_fault
from autoapi.coerce import CoercionError, check_number_text, coerce_text
from autoapi.decode import (
    FORM,
    JSON,
    form_pairs,
    json_object,
    json_value,
    media_kind,
    multi,
)
from autoapi.errors import ProblemError, bad_request, unprocessable
from autoapi.introspect import FieldSpec, ModelSpec
from autoapi.messages import pydantic_message

CHECK_BODY = "autoapi.check_body"  # scope key: read_body calls it with the decoded body

MAX_BODY = 1024 * 1024
READ_ONLY = frozenset({"revision_id"})


@dataclass(frozen=True)
class Body:
    """A parsed write body: the field values (nested, by stored key) and the `_id` if given.

    `faults` are the values no field can take (a malformed link id, a number out of range):
    their 422 waits until the document and its `If-Match` are checked, as validation does.
    """

    data: dict[str, Any]
    id: Any = None
    has_id: bool = False
    faults: tuple[dict[str, str], ...] = ()


def raise_faults(*bodies: Body) -> None:
    """The 422 naming the values no field can take, of all these bodies together."""
    faults = [fault for body in bodies for fault in body.faults]
    if faults:
        raise unprocessable(faults)


async def read_body(request: Request, spec: ModelSpec, model_name_key: str | None) -> Body:
    """Read, decode (once) and check a write body; any fault raises a 4xx ProblemError."""
    return _decoded_body(request, await _read_limited(request), spec, model_name_key)


async def read_bodies(
    request: Request, spec: ModelSpec, model_name_key: str | None, most: int
) -> Body | list[Body]:
    """As :func:`read_body`, but a JSON array (of at most `most` objects) gives one Body per
    item; the faults of every item are gathered, each named `[i].field`."""
    raw = await _read_limited(request)
    is_json = media_kind(request.headers.get("content-type", "")) == JSON
    if not (is_json and raw.lstrip().startswith(b"[")):
        return _decoded_body(request, raw, spec, model_name_key)
    return _array_bodies(raw, spec, model_name_key, most, request.scope.get(CHECK_BODY))


def _decoded_body(
    request: Request, raw: bytes, spec: ModelSpec, model_name_key: str | None
) -> Body:
    kind = media_kind(request.headers.get("content-type", ""))
    sent: Mapping[str, Any] = {}
    items: dict[str, Any] = {}
    form_faults: Faults = []
    if kind is None and (raw.strip() or request.headers.get("content-type")):
        raise _unsupported()  # an empty body too, when it names a type that is not served
    if kind == FORM:
        pairs = form_pairs(raw)
        sent = multi(pairs)  # strings, typed later by the schema's own declarations
        items, form_faults = _form(pairs, spec)
    elif raw.strip():
        items = json_object(raw)
        sent = items
    body = to_body(spec, items, model_name_key)
    if form_faults:
        body = replace(body, faults=(*form_faults, *body.faults))
    check = request.scope.get(CHECK_BODY)
    if check is not None:  # the route's JSON Schema sees the values as decoded above
        check(sent, _scalars(items) if kind == FORM else None)
    return body


def _array_bodies(
    raw: bytes, spec: ModelSpec, model_name_key: str | None, most: int, check: Any = None
) -> list[Body]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(400, "the body is not valid UTF-8", code="invalid_json") from None
    values = json_value(text, "body")
    if not isinstance(values, list) or not values:
        raise ProblemError(
            400,
            "the JSON body must be an object, or an array of at least one object",
            [{"field": "body", "message": "expected an object or a non-empty array"}],
            code="invalid_json",
        )
    if len(values) > most:
        raise ProblemError(
            413, f"at most {most} documents in one request, got {len(values)}", code="too_large"
        )
    bodies: list[Body] = []
    errors: list[dict[str, str]] = []
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            errors.append({"field": f"[{i}]", "message": "expected an object"})
            continue
        try:
            body = to_body(spec, value, model_name_key)
            faults = tuple({**f, "field": f"[{i}].{f['field']}"} for f in body.faults)
            bodies.append(replace(body, faults=faults))
            if check is not None:  # the route's JSON Schema entry, item by item
                check(value, None)
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
    ident = items.get("_id")
    data, faults = build_data(spec, {k: v for k, v in items.items() if k not in ignored | {"_id"}})
    return Body(data, ident, has_id, tuple(faults))


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


def _unsupported() -> ProblemError:
    return ProblemError(
        415,
        "send application/json or application/x-www-form-urlencoded",
        headers={"Accept-Post": "application/json, application/x-www-form-urlencoded"},
    )


def _form(pairs: list[tuple[str, str]], spec: ModelSpec) -> tuple[dict[str, Any], Faults]:
    """The form's values typed by their fields, and the faults of those no field can take."""
    items: dict[str, Any] = {}
    faults: Faults = []
    for key, values in multi(pairs).items():
        fld = spec.resolve(key) if path_fault(key) is None else None
        if fld is not None and fld.is_list:  # `tags=a&tags=b`: every value, in order
            items[key] = values
            continue
        if len(values) > 1:  # as a JSON body's duplicate key
            raise bad_request(key, "given more than once; only list fields take several values")
        value = values[0]
        try:
            items[key] = _form_value(fld, value) if fld and _coercible(fld) else value
        except CoercionError as exc:
            faults.append({"field": key, "message": str(exc)})
    return items, faults


def _form_value(fld: FieldSpec, value: str) -> Any:
    check_number_text(fld, value)
    try:
        return coerce_text(fld, value)
    except CoercionError:
        raise CoercionError(_form_message(fld, value)) from None


def _scalars(items: Mapping[str, Any]) -> dict[str, Any]:
    """The form values the model's field types made numbers or booleans, as JSON has them."""
    return {k: v for k, v in items.items() if type(v) in (int, float, bool)}


def _form_message(fld: FieldSpec, value: str) -> str:
    # coerce_text's own text quotes pydantic; say it as every other 422 does
    try:
        fld.adapter.validate_python(value)
    except ValidationError as exc:
        return pydantic_message(exc.errors(include_url=False)[0])
    except Exception:  # a custom validator's own error: its text is not for clients
        pass
    return "is not valid"


def _coercible(fld: FieldSpec | None) -> bool:
    # Links are turned into DBRefs by build_data; lists and open fields keep the text.
    return fld is not None and fld.link is None and not fld.is_list and not fld.open
