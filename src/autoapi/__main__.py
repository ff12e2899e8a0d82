"""Command line: `python -m autoapi openapi module:attr` and `... schemas module:attr --out DIR`.

`module:attr` names an `AutoAPI`, or a Starlette/FastAPI app with one mounted (its mount
path becomes the document's server URL).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from starlette.routing import Mount

from autoapi.api import AutoAPI
from autoapi.modelschema import route_defaults
from autoapi.openapi import openapi_document
from autoapi.routes import ROUTES


class CliError(Exception):
    """A fault the command reports in one line, exiting with status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        api, mount = find_api(args.target)
        if args.command == "openapi":
            root = args.root_path if args.root_path is not None else mount
            print(json.dumps(openapi_document(api, root), indent=2))
        else:
            for path in write_entries(api, Path(args.out), args.force):
                print(path)
    except CliError as exc:
        print(f"python -m autoapi: {exc}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autoapi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    doc = sub.add_parser("openapi", help="print the OpenAPI 3.1 document")
    doc.add_argument("target", help="module:attr of an AutoAPI or of an app mounting one")
    doc.add_argument("--root-path", help="the server URL (default: where the app mounts it)")
    entries = sub.add_parser("schemas", help="write a default schema entry per model")
    entries.add_argument("target", help="module:attr of an AutoAPI or of an app mounting one")
    entries.add_argument("--out", required=True, help="the folder to write <collection>.json to")
    entries.add_argument("--force", action="store_true", help="overwrite existing files")
    return parser


def find_api(target: str) -> tuple[AutoAPI, str]:
    """The `AutoAPI` named by `module:attr`, and the path it is mounted at."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise CliError(f"expected module:attr, got {target!r}")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise CliError(f"cannot load {target!r}: {exc}") from None
    found = list(_mounted(obj, ""))
    if len(found) != 1:
        where = ", ".join(p or "/" for _, p in found) or "none"
        raise CliError(f"{target!r} must be or mount exactly one AutoAPI (found: {where})")
    return found[0]


def _mounted(obj: Any, prefix: str) -> Iterator[tuple[AutoAPI, str]]:
    if isinstance(obj, AutoAPI):
        yield obj, prefix
        return
    for route in getattr(obj, "routes", None) or []:
        if isinstance(route, Mount):
            yield from _mounted(route.app, prefix + route.path)


def default_entry(api: AutoAPI, collection: str) -> dict[str, Any]:
    """An entry with the defaults of every generated route of one collection."""
    spec = api.resources[collection].spec
    entry: dict[str, Any] = {"name": collection}
    for route in ROUTES:
        if route.key is not None and route.method in api.methods:
            entry[route.key] = route_defaults(route.key, spec, api.specs, api.schema_options)
    return entry


def write_entries(api: AutoAPI, out: Path, force: bool = False) -> list[Path]:
    """Write `<collection>.json` per model; refuse to overwrite unless `force`."""
    paths = {c: out / f"{c}.json" for c in api.resources}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise CliError(f"would overwrite {', '.join(existing)} (use --force)")
    out.mkdir(parents=True, exist_ok=True)
    for collection, path in paths.items():
        text = json.dumps(default_entry(api, collection), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    return list(paths.values())


if __name__ == "__main__":
    sys.exit(main())
