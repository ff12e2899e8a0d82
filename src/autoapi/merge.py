"""`merge_openapi`: autoapi's operations in a host FastAPI app's own `/openapi.json` and `/docs`.

FastAPI builds its document once, in `app.openapi()`, and serves it at `/openapi.json`
(which its `/docs` page reads). Replacing that method is FastAPI's documented way to extend
the document; the merged one is cached where FastAPI caches its own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from autoapi.api import AutoAPI
from autoapi.openapi_parts import PARAMETERS, SCHEMAS
from autoapi.schemautil import rewrite_refs

Schema = dict[str, Any]
SECTIONS = {"schemas": SCHEMAS, "parameters": PARAMETERS, "securitySchemes": None}


def merge_openapi(app: Any, api: AutoAPI, prefix: str = "/api") -> None:
    """Add `api`'s paths (under `prefix`, where the app mounts it) and components to `app`.

    `app` is a FastAPI app; call this once, after `app.mount(prefix, api)`. A component of
    autoapi whose name the host already uses for something else is renamed (`Book_autoapi`).
    """
    host_openapi: Callable[[], Schema] = app.openapi

    def openapi() -> Schema:
        if not app.openapi_schema:
            app.openapi_schema = merge_documents(host_openapi(), api.openapi(), prefix)
        return app.openapi_schema  # type: ignore[no-any-return]

    app.openapi = openapi


def merge_documents(host: Mapping[str, Any], ours: Mapping[str, Any], prefix: str) -> Schema:
    """`host` with `ours`' paths prefixed, its components, tags and security added."""
    out = copy.deepcopy(dict(host))
    ours = _renamed(ours, out.get("components", {}))
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    paths = out.setdefault("paths", {})
    for path, item in ours.get("paths", {}).items():
        if ours.get("security"):  # on each operation: the host's own routes keep theirs
            for operation in item.values():
                operation.setdefault("security", copy.deepcopy(ours["security"]))
        paths[prefix + path] = item
    components = out.setdefault("components", {})
    for section in SECTIONS:
        if ours.get("components", {}).get(section):
            components.setdefault(section, {}).update(ours["components"][section])
    known = {t.get("name") for t in out.get("tags", [])}
    out["tags"] = out.get("tags", []) + [t for t in ours.get("tags", []) if t["name"] not in known]
    if not out["tags"]:
        del out["tags"]
    return out


def _renamed(ours: Mapping[str, Any], host_components: Mapping[str, Any]) -> Schema:
    """`ours` with each component whose name the host uses differently renamed."""
    renames: dict[str, str] = {}
    for section, pointer in SECTIONS.items():
        mine, theirs = ours.get("components", {}).get(section, {}), host_components.get(section, {})
        for name, value in mine.items():
            if name in theirs and not _same(theirs[name], value) and pointer is not None:
                renames[pointer + name] = pointer + _free(name, theirs, mine)
    if not renames:
        return dict(ours)

    def fix(ref: str) -> str:
        return renames.get(ref, ref)

    out: Schema = rewrite_refs(dict(ours), fix)
    for old, new in renames.items():
        section = "schemas" if old.startswith(SCHEMAS) else "parameters"
        table = out["components"][section]
        table[new.rsplit("/", 1)[-1]] = table.pop(old.rsplit("/", 1)[-1])
    return out


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _free(name: str, *tables: Mapping[str, Any]) -> str:
    candidate, n = f"{name}_autoapi", 2
    while any(candidate in t for t in tables):
        candidate, n = f"{name}_autoapi{n}", n + 1
    return candidate
