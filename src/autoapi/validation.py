"""Request validation and response shaping with a route's JSON Schemas.

Nothing here parses a request again: the route's handler parses the query string and decodes
the body once, then hands the values to the checks below (the query string with the list
options typed as autoapi's own parser read them; a form with each value converted to the
type its property declares, as Fastify's Ajv does). Responses are shaped before they are
encoded, with the whitelist of :mod:`autoapi.whitelist` compiled once per status.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from starlette.requests import Request
from starlette.responses import Response

from autoapi.bodies import CHECK_BODY
from autoapi.errors import ProblemError, clip, not_found, unprocessable
from autoapi.messages import schema_message
from autoapi.schemachecks import validator_class
from autoapi.schemas import RouteSchemas
from autoapi.schemautil import Pair, flatten, item_pairs, property_pairs, resource, types_of
from autoapi.whitelist import Whitelist, apply

Handler = Callable[[Request], Awaitable[Response]]

CHECK_QUERY = "autoapi.check_query"  # scope key: the handler calls it after its own parse
SHAPE = "autoapi.shape"  # scope key: the handler shapes its payload with it
INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
FORMATS = FormatChecker()
_UNSET = object()


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
        self._shapes: dict[int, Any] = {}

    def check_params(self, params: Mapping[str, str]) -> None:
        """A path parameter its schema refuses names no document: the route's usual 404."""
        if self.params is None:
            return
        values = self._coerced(self.params, {k: [str(v)] for k, v in params.items()})
        if _problems(self.params, values, "params"):
            raise not_found(self.model_name)

    def check_query(self, values: Mapping[str, list[str]], typed: Mapping[str, Any]) -> None:
        """400 naming each query parameter the querystring schema refuses.

        `typed` holds the values autoapi's own parser read (`limit` as an int): a value reads
        the same to both, so the parser's answer and the schema's never disagree.
        """
        if self.query is None:
            return
        instance = {**self._coerced(self.query, values), **typed}
        errors = _problems(self.query, instance, "querystring")
        if len(errors) == 1:
            raise ProblemError(400, f"{clip(errors[0]['field'])}: {errors[0]['message']}", errors)
        if errors:
            names = ", ".join(dict.fromkeys(clip(e["field"]) for e in errors))
            raise ProblemError(400, f"invalid query parameters: {names}", errors)

    def check_body(self, sent: Mapping[str, Any], form: Mapping[str, Any] | None) -> None:
        """422 naming each field the body schema refuses.

        For a form, `sent` holds its strings and `form` the values the model's field types
        made numbers or booleans: a property the schema gives no type gets those.
        """
        if self.body is None:
            return
        value: Mapping[str, Any] = sent
        if form is not None:
            value = self._coerced(self.body, sent)
            value = {k: form.get(k, v) if isinstance(v, str) else v for k, v in value.items()}
        errors = _problems(self.body, value, "body")
        if errors:
            raise unprocessable(errors)

    def shape(self, status: int, payload: Any) -> Any:
        """The payload as the response schema for `status` allows, or as is without one."""
        node = self._shapes.get(status, _UNSET)
        if node is _UNSET:
            schema = self.route.response_for(status)
            pairs = None if schema is None else flatten(schema, self._root(schema))
            node = self._shapes[status] = self.whitelist.compile(pairs or [])
        return payload if node is None else apply(node, payload)

    def _coerced(self, validator: Any, values: Mapping[str, list[str]]) -> dict[str, Any]:
        return coerce_strings(flatten(validator.schema, self._root(validator.schema)), values)

    def _root(self, schema: Any) -> Any:
        return self.registry.resolver_with_root(resource(schema))


def guard(handler: Handler, route: RouteValidator) -> Handler:
    """Wrap a route handler: check the path, hand the other checks and the shaping on."""

    async def guarded(request: Request) -> Response:
        route.check_params(request.path_params)
        request.scope[CHECK_QUERY] = route.check_query
        if route.body is not None:
            request.scope[CHECK_BODY] = route.check_body
        if route.route.response:
            request.scope[SHAPE] = route.shape
        return await handler(request)

    return guarded


def check_query(request: Request, typed: Mapping[str, Any] | None = None) -> None:
    """Run the route's querystring schema, if any, once the handler has parsed the options."""
    check = request.scope.get(CHECK_QUERY)
    if check is not None:
        values: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            values.setdefault(key, []).append(value)
        check(values, typed or {})


def shaped(request: Request, status: int, payload: Any) -> Any:
    """`payload` as the route's response schema for `status` allows it."""
    shape = request.scope.get(SHAPE)
    return payload if shape is None or not 200 <= status < 300 else shape(status, payload)


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
    # Array indexes are left out, as in pydantic's messages: `tags`, not `tags.3`.
    path = [str(p) for p in error.absolute_path if not isinstance(p, int)]
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        wanted: Any = error.validator_value
        missing = [n for n in wanted if n not in instance]
        return [(_join(path, n), "is required") for n in missing]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        extra = _additional(error.schema, instance)
        return [(_join(path, n), "is not allowed") for n in extra] or [(_join(path), _text(error))]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _describe(_closest(error.context))
    return [(_join(path), _text(error))]


def _text(error: ValidationError) -> str:
    keyword = "false" if error.validator is None else str(error.validator)
    return schema_message(keyword, error.validator_value)


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
