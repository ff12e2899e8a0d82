"""Load the targets of link fields: one `{"_id": {"$in": [...]}}` query per link path.

Never `$lookup` or `fetch_links`: a real server answers `$in` on `_id` from its primary
index, and mongomock (the test stand-in) cannot run `$lookup` at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from beanie import Document

from autoapi.introspect import ModelSpec

Raw = Mapping[str, Any]
Loaded = dict[str, dict[Any, Raw]]  # link path → target `_id` → stored target document


async def load_links(
    specs: Mapping[type[Document], ModelSpec],
    spec: ModelSpec,
    raws: Sequence[Raw],
    paths: Sequence[str],
    max_time_ms: int | None = None,
) -> Loaded:
    """Fetch every document the `paths` reach from `raws`; parents come before children."""
    loaded: Loaded = {}
    for path in paths:
        parent, _, key = path.rpartition(".")
        parent_spec = _spec_at(specs, spec, parent)
        parents: Iterable[Raw] = loaded[parent].values() if parent else raws
        target = parent_spec.links[key].target
        ids = _ids(parents, key)
        loaded[path] = await _fetch(target, ids, max_time_ms) if ids else {}
    return loaded


def _spec_at(specs: Mapping[type[Document], ModelSpec], spec: ModelSpec, path: str) -> ModelSpec:
    for key in path.split(".") if path else ():
        spec = specs[spec.links[key].target]
    return spec


def _ids(parents: Iterable[Raw], key: str) -> list[Any]:
    seen: dict[Any, None] = {}
    for doc in parents:
        value = doc.get(key)
        for ref in value if isinstance(value, list) else [value]:
            ident = getattr(ref, "id", None)
            if ident is not None:
                seen.setdefault(ident, None)
    return list(seen)


async def _fetch(model: type[Document], ids: list[Any], max_time_ms: int | None) -> dict[Any, Raw]:
    kwargs = {"max_time_ms": max_time_ms} if max_time_ms else {}
    cursor = model.get_motor_collection().find({"_id": {"$in": ids}}, **kwargs)
    return {doc["_id"]: doc async for doc in cursor}
