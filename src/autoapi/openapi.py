"""The OpenAPI 3.1 document of an `AutoAPI`, written for client generators.

Each model has one component per role, `$ref`'d from every route: `<Model>` (what GET
renders), `<Model>Create`, `<Model>Update`, `<Model>Form` (the form encoding) and
`<Model>Page` (a list answer). A schema entry's part replaces the derived one; a response
the entry narrows is `allOf` the model and the entry. `$defs` of route schemas and `ref`
schemas are hoisted into `components/schemas` so every `$ref` points into the document.
Schemas are JSON Schema 2020-12, which OpenAPI 3.1 uses as is.
"""

from __future__ import annotations

import copy
import json
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from autoapi.introspect import ForwardRef, LinkSpec, ModelSpec, Resource, ReverseRef
from autoapi.modelschema import (
    body_schema,
    document_schema,
    field_paths,
    form_schema,
    id_schema,
    link_output,
    link_paths,
)
from autoapi.openapi_parts import (
    COUNT_MODE,
    DELETED,
    JSON,
    LIST_PARAMETERS,
    PROBLEM,
    SCHEMAS,
    array_parameter,
    error_responses,
    json_response,
    links_schema,
    page_schema,
    param_ref,
    path_id,
    phrase,
    shared_parameters,
    snake,
    strip_keys,
    wrap_ref_siblings,
)
from autoapi.routes import RouteKind, Shape, of_shape
from autoapi.schemas import RouteSchemas
from autoapi.schemautil import rewrite_refs

if TYPE_CHECKING:
    from autoapi.api import AutoAPI

Schema = dict[str, Any]
COMPONENTS = SCHEMAS
NO_DEFAULT = frozenset({"default"})
WRITE_HEADERS = {
    "get": "If-None-Match",
    "put": "If-Match",
    "patch": "If-Match",
    "delete": "If-Match",
}


@dataclass(frozen=True)
class OpenAPIInfo:
    """The `AutoAPI` options that only the document reads."""

    title: str = "autoapi"
    version: str | None = None  # None: the package version
    security: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def openapi_document(api: AutoAPI, root_path: str = "", fresh: bool = True) -> Schema:
    """The document for an `AutoAPI` mounted at `root_path` (`/api`).

    It is built once per `AutoAPI`. A fresh copy is yours to change; `fresh=False` shares the
    cached parts, for a caller that only serializes the result.
    """
    cached = _CACHE.get(api)
    if cached is None:
        cached = _CACHE[api] = Builder(api).build()
    doc = copy.deepcopy(cached) if fresh else dict(cached)
    doc["servers"] = [{"url": root_path or "/"}]
    return doc


_CACHE: weakref.WeakKeyDictionary[AutoAPI, Schema] = weakref.WeakKeyDictionary()


class Builder:
    """Builds the document; `components` fills up as models and paths are described."""

    def __init__(self, api: AutoAPI) -> None:
        self.api = api
        self.model_names = _unique_names(api.specs.values())
        self.ref_names = _unique_names(api.schema_set.refs, set(self.model_names.values()))
        roles = ("Create", "Update", "Form", "Page", "SortKey", "FieldKey", "LinkPath")
        # names taken before any `$defs` is hoisted, so a definition never takes one of them
        taken = [
            *self.model_names.values(),
            *self.ref_names.values(),
            "Problem",
            "Deleted",
            "CountMode",
        ]
        taken += [f"{name}{role}" for name in self.model_names.values() for role in roles]
        self.components: dict[str, Schema] = {name: {} for name in taken}
        self.components["Problem"] = copy.deepcopy(PROBLEM)
        self.components["Deleted"] = copy.deepcopy(DELETED)
        self.components["CountMode"] = copy.deepcopy(COUNT_MODE)
        self.parameters: dict[str, Schema] = shared_parameters(api.schema_options)
        self.origins: dict[str, str] = {}  # component name → the raw definition it came from

    def build(self) -> Schema:
        """The whole document, without `servers` (they depend on where it is mounted)."""
        for spec in self.api.specs.values():
            self._model_components(spec)
        for ident, schema in self.api.schema_set.refs.items():
            self._ref_component(ident, schema)
        paths: dict[str, Any] = {}
        for resource in self.api.resources.values():
            paths.update(self._resource_paths(resource))
        components: Schema = {
            "schemas": {k: v for k, v in sorted(self.components.items()) if v != {}},
            "parameters": self.parameters,
        }
        doc: Schema = {"openapi": "3.1.0", "info": self._info(), "tags": self._tags()}
        security = self.api.info.security
        if security:
            components["securitySchemes"] = copy.deepcopy(dict(security))
            doc["security"] = [{name: []} for name in security]
        doc.update(paths=paths, components=components)
        return wrap_ref_siblings(doc)  # type: ignore[no-any-return]

    def _info(self) -> Schema:
        return {
            "title": self.api.info.title,
            "version": self.api.info.version or _version(),
            "description": "REST API generated by autoapi from Beanie models. Every path also "
            "answers OPTIONS (204 with `Allow`), and HEAD wherever it answers GET; neither "
            "is listed as an operation.",
        }

    def _tags(self) -> list[Schema]:
        return [
            {"name": c, "description": f"The {r.spec.name} documents"}
            for c, r in self.api.resources.items()
        ]

    # -- components --------------------------------------------------------------

    def _model_components(self, spec: ModelSpec) -> None:
        name = self.model_names[spec.model]

        def link(ln: LinkSpec) -> Schema:
            target = self.api.specs[ln.target]
            return link_output(ln, id_schema(target), self.model_ref(target))

        doc = document_schema(spec, self.api.schema_options, link)
        doc = strip_keys(doc, NO_DEFAULT)  # generators would take a default for "always sent"
        doc["required"] = ["_id", *([self.api.model_name_key] if self.api.model_name_key else [])]
        self.components[name] = self.hoist(doc, "")
        self.components[f"{name}Page"] = page_schema(self.model_ref(spec))
        self._body_components(spec, name)
        self._key_components(spec, name)

    def _body_components(self, spec: ModelSpec, name: str) -> None:
        specs = self.api.specs

        def id_of(ln: LinkSpec) -> Schema:
            return id_schema(specs[ln.target])

        text = (
            "Field names, or dot paths into embedded documents "
            '(`"biography.born": 1961`); a link takes the target id.'
        )
        # no defaults: a generated client would send them (and overwrite what is stored), and
        # TypeScript types make a field with a default required
        create = self.hoist(strip_keys(body_schema(spec, id_of, True), NO_DEFAULT), "Input")
        self.components[f"{name}Create"] = {**create, "description": text}
        update = strip_keys(body_schema(spec, id_of, create=False), NO_DEFAULT)
        update["$defs"] = strip_keys(update.get("$defs", {}), frozenset({"required"}))
        self.components[f"{name}Update"] = {**self.hoist(update, "Update"), "description": text}
        form = form_schema(spec, id_of)
        form["description"] = "The form encoding: scalar fields and dot paths, no null."
        self.components[f"{name}Form"] = form

    def _key_components(self, spec: ModelSpec, name: str) -> None:
        fields = field_paths(spec)
        signed = [*fields, *(f"-{f}" for f in fields)]
        self.components[f"{name}SortKey"] = _enum(signed, "A field; `-` first sorts descending.")
        self.components[f"{name}FieldKey"] = _enum(signed, "A field to keep, or `-field` to drop.")
        paths = link_paths(spec, self.api.specs)
        if paths:
            self.components[f"{name}LinkPath"] = _enum(paths, "A link path to expand.")
        self.parameters[f"{name}.id"] = path_id(id_schema(spec))
        self.parameters[f"{name}.sort"] = array_parameter(
            "sort", "Sort keys, comma-joined or repeated; the id breaks ties.", f"{name}SortKey"
        )
        self.parameters[f"{name}.fields"] = array_parameter(
            "fields", "Fields to return (`a,b`) or to leave out (`-a,-b`).", f"{name}FieldKey"
        )
        if paths:
            self.parameters[f"{name}.populate"] = array_parameter(
                "populate",
                "Link fields to expand, comma-joined or repeated (`populate[]=` works too).",
                f"{name}LinkPath",
            )

    def _ref_component(self, ident: str, schema: Schema) -> None:
        body = {k: v for k, v in schema.items() if k not in ("$id", "$schema")}
        local = COMPONENTS + self.ref_names[ident]
        self.components[self.ref_names[ident]] = self._rewrite(body, ident, local)

    def model_ref(self, spec: ModelSpec, role: str = "") -> Schema:
        return {"$ref": COMPONENTS + self.model_names[spec.model] + role}

    def hoist(self, schema: Any, suffix: str) -> Any:
        """Move the schema's `$defs` into components; refs to them follow."""
        if not isinstance(schema, dict) or not isinstance(schema.get("$defs"), dict):
            return self._rewrite(schema, "", None)
        names = {name: self._def_name(name, raw, suffix) for name, raw in schema["$defs"].items()}
        for name, raw in schema["$defs"].items():
            # generators name classes by `title`: the component's name must win
            untitled = (
                {k: v for k, v in raw.items() if k != "title"} if isinstance(raw, dict) else raw
            )
            self.components[names[name]] = self._rewrite(untitled, "", None, names)
        body = {k: v for k, v in schema.items() if k != "$defs"}
        return self._rewrite(body, "", None, names)

    def _def_name(self, name: str, raw: Any, suffix: str) -> str:
        origin = json.dumps(raw, sort_keys=True, default=str)
        for candidate in _candidates(_safe(name), suffix):
            if self.origins.get(candidate, origin) == origin and (
                candidate not in self.components or candidate in self.origins
            ):
                self.origins[candidate] = origin
                return candidate
        raise AssertionError("unreachable")  # _candidates never ends

    def _rewrite(
        self, node: Any, base: str, local: str | None, defs: Mapping[str, str] | None = None
    ) -> Any:
        """Point every `$ref` of `node` (read with base URI `base`) into the document."""

        def fix(ref: str) -> str:
            target, _, fragment = ref.partition("#")
            if fragment and not fragment.startswith("/"):
                return ref  # a plain-name anchor has no place in the document's pointers
            if target:
                uri = urljoin(base, target)
                return COMPONENTS + self.ref_names[uri] + fragment if uri in self.ref_names else ref
            if defs and fragment.startswith("/$defs/"):
                name, _, rest = fragment[len("/$defs/") :].partition("/")
                if name in defs:
                    return COMPONENTS + defs[name] + (f"/{rest}" if rest else "")
            return local + fragment if local is not None else ref

        return rewrite_refs(node, fix)

    # -- paths -------------------------------------------------------------------

    def _resource_paths(self, resource: Resource) -> dict[str, Any]:
        path, methods = resource.path, self.api.methods
        paths: dict[str, Any] = {}
        shapes: tuple[tuple[Shape, str], ...] = (("collection", path), ("item", f"{path}/{{id}}"))
        for shape, url in shapes:
            ops = {
                k.http.lower(): self._operation(resource, k)
                for k in of_shape(shape)
                if k.method in methods
            }
            if ops:
                paths[url] = ops
        (fwd_kind,), (rev_kind,) = of_shape("forward"), of_shape("reverse")
        if fwd_kind.method in methods:
            for fwd in resource.forward:
                paths[f"{path}/{{id}}/{fwd.name}"] = {"get": self._forward(resource, fwd_kind, fwd)}
        if rev_kind.method in methods:
            for rev in resource.reverse:
                paths[f"{path}/{{id}}/{rev.name}"] = {"get": self._reverse(resource, rev_kind, rev)}
        return paths

    def _operation(self, resource: Resource, kind: RouteKind) -> Schema:
        spec = resource.spec
        route = self.api.schema_set.route(spec.collection, kind.key) if kind.key else None
        given = route.given if route else frozenset()
        noun = spec.collection if kind.method == "list" else snake(self.model_names[spec.model])
        op: Schema = {
            "operationId": f"{kind.verb}_{noun}",
            "tags": [spec.collection],
            "summary": kind.summary.format(model=spec.name),
            "description": _DESCRIPTIONS[kind.method].format(model=spec.name),
        }
        if route is not None:
            op.update(copy.deepcopy(dict(route.doc)))
        op["parameters"] = self._op_parameters(spec, kind, route, given)
        if kind.method in ("post", "put", "patch"):
            op["requestBody"] = self._request_body(spec, kind, route, given)
        op["responses"] = {
            **self._successes(spec, kind, route, given),
            **error_responses(kind, bool(self.api.info.security)),
        }
        return op

    def _op_parameters(
        self, spec: ModelSpec, kind: RouteKind, route: RouteSchemas | None, given: frozenset[str]
    ) -> list[Schema]:
        name = self.model_names[spec.model]
        out: list[Schema] = []
        if kind.shape == "item":
            params = route.params if route is not None and "params" in given else None
            out += (
                _parameters(self.hoist(params, ""), None) if params else [param_ref(f"{name}.id")]
            )
        if route is not None and "querystring" in given:
            out += _parameters(None, self.hoist(route.querystring, ""))
        elif kind.method == "list":
            out += self._list_parameters(spec)
        elif kind.method != "delete":
            out += self._populate(spec)
        if kind.method in WRITE_HEADERS:
            out.append(param_ref(WRITE_HEADERS[kind.method]))
        return out

    def _list_parameters(self, spec: ModelSpec) -> list[Schema]:
        name = self.model_names[spec.model]
        out = [param_ref(p) for p in LIST_PARAMETERS]
        out[2:2] = [param_ref(f"{name}.sort"), param_ref(f"{name}.fields")]
        return out + self._populate(spec)

    def _populate(self, spec: ModelSpec) -> list[Schema]:
        name = f"{self.model_names[spec.model]}.populate"
        return [param_ref(name)] if name in self.parameters else []

    def _request_body(
        self, spec: ModelSpec, kind: RouteKind, route: RouteSchemas | None, given: frozenset[str]
    ) -> Schema:
        if route is not None and "body" in given:
            schema = self.hoist(route.body, "Input")
            return {"required": True, "content": {JSON: {"schema": schema}}}
        role = "Create" if kind.method == "post" else "Update"
        # The form encoding is not listed: openapi-python-client 0.29 generates a client that
        # cannot be imported for a body with two encodings. `<Model>Form` describes it.
        content = {JSON: {"schema": self.model_ref(spec, role)}}
        return {"required": True, "content": content}

    def _successes(
        self, spec: ModelSpec, kind: RouteKind, route: RouteSchemas | None, given: frozenset[str]
    ) -> Schema:
        status, role, headers = _SUCCESS[kind.method]
        schema = {"$ref": COMPONENTS + "Deleted"} if role is None else self.model_ref(spec, role)
        out = {status: json_response(phrase(status), schema, headers)}
        if route is None:
            return out
        for code, entry in route.response.items():
            if f"response:{code}" not in given:
                continue
            hoisted = self.hoist(entry, "")
            narrows = code == status or (code.endswith("XX") and code[0] == status[0])
            body = {"allOf": [copy.deepcopy(schema), hoisted]} if narrows else hoisted
            out[code] = json_response(phrase(code), body, headers if narrows else ())
            if narrows and code != status:
                out.pop(status, None)
        return out

    def _forward(self, resource: Resource, kind: RouteKind, fwd: ForwardRef) -> Schema:
        spec, link = resource.spec, fwd.link
        target = self.api.specs[link.target]
        doc = self.model_ref(target)
        many = link.many
        schema = links_schema(doc) if many else {"anyOf": [doc, {"type": "null"}]}
        noun = snake(self.model_names[spec.model])
        return {
            "operationId": f"{kind.verb}_{noun}_{snake(fwd.name)}",
            "tags": [spec.collection],
            "summary": kind.summary.format(target=target.name, link=link.key, model=spec.name),
            "description": f"The {target.name} that `{link.key}` of this {spec.name} links to"
            + (" (all of them)." if many else ", or null when unset."),
            "parameters": [
                param_ref(f"{self.model_names[spec.model]}.id"),
                *self._populate(target),
            ],
            "responses": {
                "200": json_response("OK", schema, () if many else ("ETag",)),
                **error_responses(kind, bool(self.api.info.security)),
            },
        }

    def _reverse(self, resource: Resource, kind: RouteKind, rev: ReverseRef) -> Schema:
        spec = resource.spec
        child = self.api.specs[rev.child]
        noun = snake(self.model_names[spec.model])
        return {
            "operationId": f"{kind.verb}_{noun}_{snake(rev.name)}",
            "tags": [spec.collection],
            "summary": kind.summary.format(target=child.name, link=rev.link.key, model=spec.name),
            "description": f"A list route over the {child.name} documents that link to this "
            f"{spec.name}, with every list option.",
            "parameters": [
                param_ref(f"{self.model_names[spec.model]}.id"),
                *self._list_parameters(child),
            ],
            "responses": {
                "200": json_response("OK", self.model_ref(child, "Page"), ("Link",)),
                **error_responses(kind, bool(self.api.info.security)),
            },
        }


# method → (success status, the model's component role, headers); None: `Deleted`
_SUCCESS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "list": ("200", "Page", ("Link",)),
    "get": ("200", "", ("ETag",)),
    "post": ("201", "", ("Location", "ETag")),
    "put": ("200", "", ("ETag",)),
    "patch": ("200", "", ("ETag",)),
    "delete": ("200", None, ()),
}
_DESCRIPTIONS = {
    "list": "A page of {model} documents, filtered, sorted and projected by the list options.",
    "get": "One {model} by id; `If-None-Match` with its ETag answers 304.",
    "post": "Create a {model} from a JSON (or form) body; answers 201 with its `Location`.",
    "put": "Merge the given fields into the stored {model}; fields not given are kept.",
    "patch": "Merge the given fields into the stored {model}; fields not given are kept.",
    "delete": "Delete one {model}; `If-Match` makes it conditional.",
}


def _enum(values: list[str], description: str) -> Schema:
    return {"type": "string", "enum": values, "description": description}


def _parameters(params: Any, query: Any) -> list[Schema]:
    out = [_parameter(name, "path", schema, True) for name, schema in _properties(params).items()]
    required = query.get("required", []) if isinstance(query, dict) else []
    out += [
        _parameter(name, "query", schema, name in required)
        for name, schema in _properties(query).items()
    ]
    return out


def _parameter(name: str, where: str, schema: Any, required: bool) -> Schema:
    schema = copy.deepcopy(schema)
    out: Schema = {"name": name, "in": where, "required": required or where == "path"}
    if isinstance(schema, dict) and isinstance(schema.get("description"), str):
        out["description"] = schema.pop("description")
    out["schema"] = schema
    if isinstance(schema, dict) and schema.get("type") == "array":
        out.update(style="form", explode=True)
    return out


def _properties(schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return dict(props) if isinstance(props, dict) else {}


def _unique_names(items: Any, taken: set[str] | None = None) -> dict[Any, str]:
    """Component names for model specs (keyed by model) or `$id`s (keyed by themselves)."""
    out: dict[Any, str] = {}
    used = set(taken or ())
    for item in items:
        key, name = (item.model, item.name) if isinstance(item, ModelSpec) else (item, item)
        out[key] = next(n for n in _candidates(_safe(name), "") if n not in used)
        used.add(out[key])
    return out


def _candidates(name: str, suffix: str) -> Iterator[str]:
    yield name
    if suffix:
        yield name + suffix
    n = 2
    while True:
        yield f"{name}{suffix}{n}"
        n += 1


def _safe(name: str) -> str:
    """A component name OpenAPI accepts: letters, digits, `.`, `-`, `_`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def _version() -> str:
    from autoapi import __version__

    return __version__
