"""JSON Schema entries: load, check and merge them when `AutoAPI` is built.

An entry names a collection and holds `ref` schemas (registered by `$id`) and per-route
schemas (`routeGet`, `routeList`, `routePost`, `routePut`, `routePatch`, `routeDelete`).
A route key that is present gets the model's defaults; each part the entry gives replaces
the derived one. Every fault is a :class:`SchemaError` naming where the entry came from,
raised before any request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beanie import Document
from referencing import Registry

from autoapi.introspect import ModelSpec
from autoapi.modelschema import SchemaOptions, route_defaults
from autoapi.resources import Resource as ApiResource
from autoapi.routes import ROUTE_KEYS
from autoapi.schemachecks import SchemaError, check_refs, check_route, check_schema
from autoapi.schemautil import resource

Schema = dict[str, Any]
PARTS = ("querystring", "params", "body", "response")
DOC_KEYS = ("summary", "description", "tags")  # used by the OpenAPI document only
ENTRY_KEYS = ("name", "ref", *ROUTE_KEYS)
STATUS = re.compile(r"[1-5]([0-9][0-9]|XX)", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One raw entry and where it came from."""

    source: str
    data: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["name"])


@dataclass(frozen=True)
class RouteSchemas:
    """The merged schemas of one route; `response` is keyed by status (`"200"`, `"2XX"`)."""

    source: str
    querystring: Schema | None = None
    params: Schema | None = None
    body: Schema | None = None
    response: Mapping[str, Schema] = field(default_factory=dict)
    doc: Mapping[str, Any] = field(default_factory=dict)
    # what the entry itself wrote: `body`, `querystring`, `params`, `response:<status>`
    given: frozenset[str] = frozenset()

    def response_for(self, status: int) -> Schema | None:
        """The schema of a response with this status, exact code first."""
        for key in (str(status), f"{status // 100}XX"):
            if key in self.response:
                return self.response[key]
        return None


@dataclass(frozen=True)
class SchemaSet:
    """Every entry of one `AutoAPI`, checked: route schemas by collection, refs by `$id`."""

    routes: Mapping[str, Mapping[str, RouteSchemas]]
    refs: Mapping[str, Schema]
    registry: Registry[Any]

    def route(self, collection: str, key: str) -> RouteSchemas | None:
        """The schemas of a route, or None when its entry has no such key."""
        return self.routes.get(collection, {}).get(key)


def build_schema_set(
    resources: Mapping[str, ApiResource],
    specs: Mapping[type[Document], ModelSpec],
    schemas: Sequence[Mapping[str, Any]] = (),
    schema_dir: str | Path | None = None,
    options: SchemaOptions | None = None,
) -> SchemaSet:
    """Load, check and merge the entries of `schemas` and `schema_dir`."""
    options = options or SchemaOptions()
    entries, overridden = _winners(resources, _explicit(schemas), _from_dir(schema_dir))
    for collection, entry in overridden:  # not used, but a broken file is still an error
        _refs([entry])
        _routes(entry, resources[collection].spec, specs, options)
    found = _refs(entries.values())
    refs = {ident: schema for ident, (schema, _) in found.items()}
    registry = _registry(refs)
    for ident, (schema, source) in found.items():
        check_refs(schema, registry, f"ref {ident!r}", source)
    routes: dict[str, dict[str, RouteSchemas]] = {}
    for collection, entry in entries.items():
        spec = resources[collection].spec
        routes[collection] = _routes(entry, spec, specs, options)
        for route in routes[collection].values():
            check_route(route, registry)
    return SchemaSet(routes, refs, registry)


# -- loading -------------------------------------------------------------------------


def _explicit(schemas: Sequence[Mapping[str, Any]]) -> list[Entry]:
    if isinstance(schemas, Mapping):  # one entry given bare, as the original plugin allows
        schemas = [schemas]
    return [_entry(f"schemas[{i}]", data) for i, data in enumerate(schemas)]


def _from_dir(schema_dir: str | Path | None) -> list[Entry]:
    if schema_dir is None:
        return []
    root = Path(schema_dir)
    if not root.is_dir():
        raise SchemaError(str(root), "schema_dir is not a directory")
    entries: list[Entry] = []
    for path in sorted(root.rglob("*.json")):
        if path.is_file():
            entries += _file_entries(path)
    return entries


def _file_entries(path: Path) -> list[Entry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(str(path), f"cannot read the file: {exc}") from None
    except ValueError as exc:
        raise SchemaError(str(path), f"invalid JSON: {exc}") from None
    if isinstance(data, list):
        return [_entry(f"{path}[{i}]", item) for i, item in enumerate(data)]
    return [_entry(str(path), data)]


def _entry(source: str, data: Any) -> Entry:
    if not isinstance(data, Mapping):
        raise SchemaError(source, "an entry must be a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaError(source, 'an entry needs a "name": the collection it applies to')
    unknown = [str(k) for k in data if k not in ENTRY_KEYS]
    if unknown:
        raise SchemaError(source, f"unknown key(s) {unknown}; expected {list(ENTRY_KEYS)}")
    return Entry(source, data)


def _winners(
    resources: Mapping[str, ApiResource], explicit: list[Entry], files: list[Entry]
) -> tuple[dict[str, Entry], list[tuple[str, Entry]]]:
    """Entries by collection, and the files an explicit entry beats; two of a kind clash."""
    chosen: dict[str, Entry] = {}
    overridden: list[tuple[str, Entry]] = []
    for group in (explicit, files):
        seen: dict[str, Entry] = {}
        for entry in group:
            collection = _collection(resources, entry)
            if collection in seen:
                raise SchemaError(
                    entry.source,
                    f"a second entry for {collection!r} "
                    f"(the first is in {seen[collection].source})",
                )
            seen[collection] = entry
        for collection, entry in seen.items():
            if chosen.setdefault(collection, entry) is not entry:
                overridden.append((collection, entry))
    return chosen, overridden


def _collection(resources: Mapping[str, ApiResource], entry: Entry) -> str:
    if entry.name in resources:
        return entry.name
    found = [c for c in resources if c.lower() == entry.name.lower()]
    if len(found) != 1:
        why = "matches no model" if not found else f"matches several collections {found}"
        raise SchemaError(
            entry.source, f"name {entry.name!r} {why}; collections: {sorted(resources)}"
        )
    return found[0]


# -- refs ----------------------------------------------------------------------------


def _refs(entries: Iterable[Entry]) -> dict[str, tuple[Schema, str]]:
    """`$id` → (schema, source) of every `ref` schema."""
    refs: dict[str, tuple[Schema, str]] = {}
    for entry in entries:
        raw = entry.data.get("ref", [])
        for schema in raw if isinstance(raw, list) else [raw]:
            ident = schema.get("$id") if isinstance(schema, dict) else None
            if not isinstance(ident, str) or not ident:
                raise SchemaError(entry.source, 'every "ref" schema needs a string "$id"')
            if ident in refs:
                raise SchemaError(
                    entry.source, f"$id {ident!r} is also defined in {refs[ident][1]}"
                )
            check_schema(schema, f"ref {ident!r}", entry.source)
            refs[ident] = (schema, entry.source)
    return refs


def _registry(refs: Mapping[str, Schema]) -> Registry[Any]:
    resources = [(ident, resource(schema)) for ident, schema in refs.items()]
    return Registry().with_resources(resources).crawl()


# -- routes --------------------------------------------------------------------------


def _routes(
    entry: Entry,
    spec: ModelSpec,
    specs: Mapping[type[Document], ModelSpec],
    options: SchemaOptions,
) -> dict[str, RouteSchemas]:
    out: dict[str, RouteSchemas] = {}
    for key in ROUTE_KEYS:
        if key in entry.data:
            given = _route_parts(entry, key)
            _check_parts(entry.source, key, given)
            defaults = route_defaults(key, spec, specs, options)
            # a part the entry gives replaces the derived one: merging would mix two contracts
            merged = {**defaults, **{k: v for k, v in given.items() if k != "response"}}
            merged["response"] = _responses(defaults.get("response", {}), given.get("response", {}))
            parts = {p for p in PARTS if p in given and p != "response"}
            parts |= {f"response:{status}" for status in given.get("response", {})}
            out[key] = _route_schemas(entry.source, key, merged, frozenset(parts))
    return out


def _responses(defaults: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's schema replaces the default for its status, a range (`2XX`) for all in it.

    Merging would defeat the point: a response schema is a whitelist.
    """
    ranges = {status[0] for status in given if status.endswith("XX")}
    kept = {status: s for status, s in defaults.items() if status[0] not in ranges}
    return {**kept, **given}


def _route_parts(entry: Entry, key: str) -> dict[str, Any]:
    given = entry.data[key]
    if not isinstance(given, Mapping):
        raise SchemaError(entry.source, f"{key} must be an object")
    unknown = [str(k) for k in given if k not in (*PARTS, *DOC_KEYS)]
    if unknown:
        raise SchemaError(
            entry.source, f"{key}: unknown key(s) {unknown}; expected {list(PARTS + DOC_KEYS)}"
        )
    parts = dict(given)
    if "response" in parts:
        parts["response"] = _statuses(entry.source, key, parts["response"])
    return parts


def _statuses(source: str, key: str, response: Any) -> dict[str, Any]:
    if not isinstance(response, Mapping):
        raise SchemaError(source, f"{key}.response must be an object keyed by status")
    out = {str(status).upper(): schema for status, schema in response.items()}
    for status in out:
        if not STATUS.fullmatch(status):
            raise SchemaError(source, f"{key}.response: {status!r} is not an HTTP status")
    if key == "routePost" and "200" in out and "201" not in out:
        out["201"] = out.pop("200")  # written for the original, which answered 200
    return out


def _check_parts(source: str, key: str, given: Mapping[str, Any]) -> None:
    # Only what the entry wrote: the defaults are valid (tested), and a part the entry gives
    # replaces its default whole.
    for part in ("querystring", "params", "body"):
        if part in given:
            check_schema(given[part], f"{key}.{part}", source)
    for status, schema in given.get("response", {}).items():
        check_schema(schema, f"{key}.response.{status}", source)


def _route_schemas(
    source: str, key: str, merged: Mapping[str, Any], given: frozenset[str]
) -> RouteSchemas:
    return RouteSchemas(
        given=given,
        source=source,
        querystring=merged.get("querystring"),
        params=merged.get("params"),
        body=merged.get("body"),
        response=dict(merged.get("response", {})),
        doc={k: merged[k] for k in DOC_KEYS if k in merged},
    )
