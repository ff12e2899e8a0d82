"""The checks every schema entry passes when `AutoAPI` is built: each schema valid for its
dialect, each `$ref` resolvable; and `SchemaError`, naming the entry's source."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema import exceptions as js_exceptions
from jsonschema.validators import validator_for
from referencing import Registry
from referencing.exceptions import Unresolvable

from autoapi.schemautil import DATA_KEYWORDS, resource

if TYPE_CHECKING:
    from autoapi.schemas import RouteSchemas


class SchemaError(ValueError):
    """A broken schema entry; `source` is the file (or `schemas[i]`), `reason` the fault."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def check_schema(schema: Any, where: str, source: str) -> None:
    """The schema is valid for its dialect (2020-12 unless `$schema` says otherwise)."""
    if not isinstance(schema, (dict, bool)):
        raise SchemaError(source, f"{where}: a schema must be an object or a boolean")
    cls: Any = validator_for(schema, default=_DEFAULT)
    try:
        cls.check_schema(schema)
    except js_exceptions.SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        raise SchemaError(source, f"{where}: invalid schema at '/{path}': {exc.message}") from None


def check_route(route: RouteSchemas, registry: Registry[Any]) -> None:
    """Every `$ref` of the route resolves, against its own schema or a registered `ref`."""
    parts = {
        "querystring": route.querystring,
        "params": route.params,
        "body": route.body,
        **{f"response.{s}": schema for s, schema in route.response.items()},
    }
    for where, schema in parts.items():
        if schema is not None:
            check_refs(schema, registry, where, route.source)


def check_refs(schema: Any, registry: Registry[Any], where: str, source: str) -> None:
    """Raise a SchemaError for the first `$ref` in `schema` that does not resolve."""
    root = registry.resolver_with_root(resource(schema))
    for ref, resolver in _refs_with_resolvers(schema, root):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise SchemaError(source, f"{where}: unknown $ref {ref!r}") from None


def _refs_with_resolvers(node: Any, resolver: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _refs_with_resolvers(item, resolver)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("$id"), str):  # a nested `$id` moves the base URI
        resolver = resolver.in_subresource(resource(node))
    if isinstance(node.get("$ref"), str):
        yield node["$ref"], resolver
    for key, value in node.items():
        if key not in DATA_KEYWORDS:
            yield from _refs_with_resolvers(value, resolver)


def validator_class(schema: Any) -> Any:
    """The jsonschema validator class for a schema's dialect."""
    return validator_for(schema, default=_DEFAULT)


_DEFAULT: Any = Draft202012Validator
