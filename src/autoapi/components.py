"""The components of the OpenAPI document: one per model and role, hoisted `$defs`, refs.

`Components` names every component before any is written, so a hoisted `$defs` entry never
takes the name of a model's component, and points every `$ref` into the document.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from autoapi.formschema import form_schema
from autoapi.introspect import LinkSpec, ModelSpec
from autoapi.modelschema import (
    body_schema,
    document_schema,
    field_paths,
    id_schema,
    link_output,
    link_paths,
)
from autoapi.openapi_params import array_parameter, path_id, shared_parameters
from autoapi.openapi_parts import (
    BATCH_CONFLICT,
    COUNT_MODE,
    DELETED,
    DELETED_MANY,
    PATCHED_MANY,
    PROBLEM,
    SCHEMAS,
    UPSERT_MODE,
    batch_schema,
    page_schema,
    strip_keys,
)
from autoapi.schemautil import rewrite_refs

if TYPE_CHECKING:
    from autoapi.api import AutoAPI

Schema = dict[str, Any]
COMPONENTS = SCHEMAS
NO_DEFAULT = frozenset({"default"})
ROLES = ("Create", "Update", "Form", "Page", "Items", "SortKey", "FieldKey", "LinkPath")
FIXED: dict[str, Schema] = {
    "Problem": PROBLEM,
    "Deleted": DELETED,
    "CountMode": COUNT_MODE,
    "BatchConflict": BATCH_CONFLICT,
    "PatchedMany": PATCHED_MANY,
    "DeletedMany": DELETED_MANY,
    "UpsertMode": UPSERT_MODE,
}


class Components:
    """`components/schemas` and `components/parameters`, filled model by model."""

    def __init__(self, api: AutoAPI) -> None:
        self.api = api
        self.model_names = _unique_names(api.specs.values())
        self.ref_names = _unique_names(api.schema_set.refs, set(self.model_names.values()))
        # names taken before any `$defs` is hoisted, so a definition never takes one of them
        taken = [*self.model_names.values(), *self.ref_names.values(), *FIXED]
        taken += [f"{name}{role}" for name in self.model_names.values() for role in ROLES]
        self.schemas: dict[str, Schema] = {name: {} for name in taken}
        self.schemas.update(copy.deepcopy(FIXED))
        self.parameters: dict[str, Schema] = shared_parameters(api.schema_options)
        self.origins: dict[str, str] = {}  # component name → the raw definition it came from

    def fill(self) -> None:
        """Describe every model and every `ref` schema of the entries."""
        for spec in self.api.specs.values():
            self._model_components(spec)
        for ident, schema in self.api.schema_set.refs.items():
            self._ref_component(ident, schema)

    def written(self) -> Schema:
        """The `schemas` written so far, by name (placeholders of unused roles left out)."""
        return {k: v for k, v in sorted(self.schemas.items()) if v != {}}

    def name(self, spec: ModelSpec) -> str:
        return self.model_names[spec.model]

    def _model_components(self, spec: ModelSpec) -> None:
        name = self.model_names[spec.model]

        def link(ln: LinkSpec) -> Schema:
            target = self.api.specs[ln.target]
            return link_output(ln, id_schema(target), self.model_ref(target))

        doc = document_schema(spec, self.api.schema_options, link)
        doc = strip_keys(doc, NO_DEFAULT)  # generators would take a default for "always sent"
        doc["required"] = ["_id", *([self.api.model_name_key] if self.api.model_name_key else [])]
        self.schemas[name] = self.hoist(doc, "")
        self.schemas[f"{name}Page"] = page_schema(self.model_ref(spec))
        self.schemas[f"{name}Items"] = batch_schema(self.model_ref(spec))
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
        self.schemas[f"{name}Create"] = {**create, "description": text}
        update = strip_keys(body_schema(spec, id_of, create=False), NO_DEFAULT)
        update["$defs"] = strip_keys(update.get("$defs", {}), frozenset({"required"}))
        self.schemas[f"{name}Update"] = {**self.hoist(update, "Update"), "description": text}
        form = form_schema(spec, id_of)
        form["description"] = "The form encoding: scalar fields and dot paths, no null."
        self.schemas[f"{name}Form"] = form

    def _key_components(self, spec: ModelSpec, name: str) -> None:
        fields = field_paths(spec)
        signed = [*fields, *(f"-{f}" for f in fields)]
        self.schemas[f"{name}SortKey"] = _enum(signed, "A field; `-` first sorts descending.")
        # `-_id` works but is not offered: every `<Model>` answer declares `_id` as required
        kept = [key for key in signed if key != "-_id"]
        self.schemas[f"{name}FieldKey"] = _enum(kept, "A field to keep, or `-field` to drop.")
        paths = link_paths(spec, self.api.specs)
        if paths:
            self.schemas[f"{name}LinkPath"] = _enum(paths, "A link path to expand.")
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
        self.schemas[self.ref_names[ident]] = self._rewrite(body, ident, local)

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
            self.schemas[names[name]] = self._rewrite(untitled, "", None, names)
        body = {k: v for k, v in schema.items() if k != "$defs"}
        return self._rewrite(body, "", None, names)

    def _def_name(self, name: str, raw: Any, suffix: str) -> str:
        origin = json.dumps(raw, sort_keys=True, default=str)
        for candidate in _candidates(_safe(name), suffix):
            if self.origins.get(candidate, origin) == origin and (
                candidate not in self.schemas or candidate in self.origins
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


def _enum(values: list[str], description: str) -> Schema:
    return {"type": "string", "enum": values, "description": description}


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
