"""Request validation and response shaping with a route's JSON Schemas (SPEC §8).

Query strings and path parameters are strings: before validation each value is converted
to the type its property declares (integer, number, boolean, array), as Fastify's Ajv does.
Responses go through :mod:`autoapi.whitelist`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from autoapi.errors import ProblemError, unprocessable
from autoapi.schemas import RouteSchemas, validator_class
from autoapi.schemautil import Pair, flatten, item_pairs, property_pairs, resource, types_of
from autoapi.whitelist import Whitelist

Handler = Callable[[Request], Awaitable[Response]]

CHECK_BODY = "autoapi.check_body"  # scope key: read_body calls it with the raw body
INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
FORMATS = FormatChecker()


class RouteValidator:
    """The compiled schemas of one route."""

    def __init__(self, route: RouteSchemas, registry: Registry[Any], model_name: str) -> None:
        self.route = route
        self.registry = registry
        self.model_name = model_name
        self.query = _compile(route.querystring, registry)
        self.params = _compile(route.params, registry)
        self.body = _compile(route.body, registry)
        self.whitelist = Whitelist()

    def check_params(self, params: Mapping[str, str]) -> None:
        """A path parameter its schema refuses names no document: 404."""
        if self.params is None:
            return
        errors = _problems(self.params, self._coerced(self.params, _single(params)), "params")
        if errors:
            raise ProblemError(404, f"no {self.model_name} with this id", errors)

    def check_query(self, request: Request) -> None:
        """400 naming each query parameter the querystring schema refuses."""
        if self.query is None:
            return
        values: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            values.setdefault(key, []).append(value)
        errors = _problems(self.query, self._coerced(self.query, values), "querystring")
        if errors:
            names = ", ".join(dict.fromkeys(e["field"] for e in errors))
            raise ProblemError(400, f"invalid query parameters: {names}", errors)

    def check_body(self, raw: bytes, content_type: str) -> None:
        """422 naming each field the body schema refuses; other faults are left to read_body."""
        if self.body is None:
            return
        value = _decoded(raw, content_type)
        if isinstance(value, dict) and _is_form(content_type):
            value = self._coerced(self.body, value)
        if value is not None:
            errors = _problems(self.body, value, "body")
            if errors:
                raise unprocessable(errors)

    def shape(self, status: int, payload: Any) -> Any:
        """The payload as the response schema for `status` allows, or as is without one."""
        schema = self.route.response_for(status)
        if schema is None:
            return payload
        return self.whitelist.shape(payload, flatten(schema, self._root(schema)))

    def _coerced(self, validator: Any, values: Mapping[str, list[str]]) -> dict[str, Any]:
        return coerce_strings(flatten(validator.schema, self._root(validator.schema)), values)

    def _root(self, schema: Any) -> Any:
        return self.registry.resolver_with_root(resource(schema))


def guard(handler: Handler, route: RouteValidator) -> Handler:
    """Wrap a route handler: check params and query, hand the body check on, shape the answer."""

    async def guarded(request: Request) -> Response:
        route.check_params(request.path_params)
        route.check_query(request)
        if route.body is not None:
            request.scope[CHECK_BODY] = route.check_body
        response = await handler(request)
        return _shaped(response, route)

    return guarded


def _shaped(response: Response, route: RouteValidator) -> Response:
    status = response.status_code
    if not 200 <= status < 300 or response.media_type != "application/json":
        return response
    if route.route.response_for(status) is None:
        return response
    payload = route.shape(status, json.loads(bytes(response.body)))
    new = JSONResponse(payload, status_code=status, background=response.background)
    kept = [
        (k, v)
        for k, v in response.raw_headers
        if k.lower() not in (b"content-length", b"content-type")
    ]
    new.raw_headers = kept + new.raw_headers
    return new


# -- schemas -------------------------------------------------------------------------


def _compile(schema: Any, registry: Registry[Any]) -> Any:
    if schema is None:
        return None
    return validator_class(schema)(schema, registry=registry, format_checker=FORMATS)


# -- strings → typed values ----------------------------------------------------------


def coerce_strings(pairs: list[Pair], values: Mapping[str, list[str]]) -> dict[str, Any]:
    """Query or form values → the types their properties declare (the last one wins)."""
    out: dict[str, Any] = {}
    for name, texts in values.items():
        prop = property_pairs(pairs, name)
        types = types_of(prop)
        if "array" in types:
            item_types = types_of(item_pairs(prop))
            out[name] = [_scalar(t, item_types) for t in texts]
        elif not types and len(texts) > 1:
            out[name] = list(texts)
        else:
            out[name] = _scalar(texts[-1], types)
    return out


def _scalar(text: str, types: set[str]) -> Any:
    if "integer" in types and INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _single(params: Mapping[str, Any]) -> dict[str, list[str]]:
    return {k: [str(v)] for k, v in params.items()}


def _is_form(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def _decoded(raw: bytes, content_type: str) -> Any:
    """The body as sent: JSON as is, a form as lists of strings; None when undecodable."""
    if not raw.strip():
        return {}
    media = content_type.split(";")[0].strip().lower()
    try:
        if _is_form(content_type):
            form: dict[str, list[str]] = {}
            for key, value in parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
                form.setdefault(key, []).append(value)
            return form
        if media == "application/json" or media.endswith("+json"):
            value = json.loads(raw)
            return value if isinstance(value, dict) else None
    except (ValueError, RecursionError):
        pass  # read_body answers this with its own 400
    return None


# -- errors --------------------------------------------------------------------------


def _problems(validator: Any, instance: Any, root: str) -> list[dict[str, str]]:
    """Every validation error as `{"field", "message"}`, one per field, in path order."""
    out: dict[str, str] = {}
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    except RecursionError:  # a recursive schema meeting a deeply nested value
        return [{"field": root, "message": "nested too deeply to validate"}]
    for error in errors:
        for name, message in _describe(error):
            out.setdefault(name or root, message)
    return [{"field": f, "message": m} for f, m in out.items()]


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    path = [str(p) for p in error.absolute_path]
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        wanted: Any = error.validator_value
        missing = [n for n in wanted if n not in instance]
        return [(_join(path, n), "is required") for n in missing]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        extra = _additional(error.schema, instance)
        return [(_join(path, n), "is not allowed") for n in extra] or [(_join(path), error.message)]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _describe(_closest(error.context))
    return [(_join(path), error.message)]


def _closest(errors: list[ValidationError]) -> ValidationError:
    # The branch whose type matched failed for the reason worth telling.
    typed = [e for e in errors if e.validator != "type"]
    return (typed or errors)[0]


def _additional(schema: Any, instance: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, dict) else {}
    return [k for k in instance if k not in props and not any(re.search(p, k) for p in patterns)]


def _join(path: list[str], name: str | None = None) -> str:
    return ".".join([*path, name] if name is not None else path)
