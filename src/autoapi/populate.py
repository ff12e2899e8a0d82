"""Load the targets of link fields with batched `{"_id": {"$in": [...]}}` queries.

Never `$lookup` or `fetch_links`: a real server answers `$in` on `_id` from its primary
index, and mongomock (the test stand-in) cannot run `$lookup` at all.

Cost: at most one query per link path per response, whatever the page size. Paths of the
same depth that point at the same model share one query (`author,coauthor` → one query on
`authors`), so a page costs one query per (depth, target model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from beanie import Document
from bson import DBRef

from autoapi import store
from autoapi.introspect import ModelSpec
from autoapi.roundtrips import note_populated
from autoapi.together import together

Raw = Mapping[str, Any]
Loaded = dict[str, dict[Any, Raw]]  # link path → target `_id` → stored target document
Specs = Mapping[type[Document], ModelSpec]


async def load_links(
    specs: Specs,
    spec: ModelSpec,
    raws: Sequence[Raw],
    paths: Sequence[str],
) -> Loaded:
    """Fetch every document the `paths` reach from `raws`, one depth level at a time."""
    loaded: Loaded = {}
    for level in _levels(paths):
        wanted = {path: _wanted(specs, spec, raws, loaded, path) for path in level}
        fetched = await _fetch_grouped(wanted.values())
        for path, (target, ids) in wanted.items():
            found = fetched.get(target, {})
            loaded[path] = {ident: found[ident] for ident in ids if ident in found}
    return loaded


def ref_id(value: Any) -> Any:
    """The target `_id` a stored link value names (a DBRef, or a bare id); None when unset."""
    if isinstance(value, DBRef):
        return value.id
    if isinstance(value, Mapping):
        return value.get("$id", value.get("_id"))
    return value


def link_ids(value: Any) -> list[Any]:
    """The target ids of a stored link or list of links, in stored order (unset ones left out)."""
    refs = value if isinstance(value, list) else [value]
    return [ident for ident in map(ref_id, refs) if ident is not None]


def target_spec(specs: Specs, spec: ModelSpec, path: str) -> ModelSpec:
    """The spec of the model a dotted link path (`author.publisher`) leads to."""
    for key in path.split(".") if path else ():
        spec = specs[spec.links[key].target]
    return spec


def _levels(paths: Sequence[str]) -> list[list[str]]:
    by_depth: dict[int, list[str]] = {}
    for path in paths:
        by_depth.setdefault(path.count("."), []).append(path)
    return [by_depth[depth] for depth in sorted(by_depth)]


def _wanted(
    specs: Specs, spec: ModelSpec, raws: Sequence[Raw], loaded: Loaded, path: str
) -> tuple[type[Document], list[Any]]:
    parent, _, key = path.rpartition(".")
    parents: Iterable[Raw] = loaded.get(parent, {}).values() if parent else raws
    target = target_spec(specs, spec, parent).links[key].target
    return target, _unique_ids(parents, key)


def _unique_ids(parents: Iterable[Raw], key: str) -> list[Any]:
    seen: dict[Any, None] = {}  # a key set again keeps its first place
    for doc in parents:
        for ident in link_ids(doc.get(key)):
            try:  # one hash per id, not a `hashable` check and then the insert
                seen[ident] = None
            except TypeError:  # a list or dict stored where an id belongs
                continue
    return list(seen)


async def _fetch_grouped(
    wanted: Iterable[tuple[type[Document], list[Any]]],
) -> dict[type[Document], dict[Any, Raw]]:
    """One query per target model, for the union of the ids every path wants from it."""
    ids_by_model: dict[type[Document], dict[Any, None]] = {}
    for model, ids in wanted:
        if ids:
            ids_by_model.setdefault(model, {}).update(dict.fromkeys(ids))
    models = list(ids_by_model)
    found = await together(
        [store.fetch_by_ids(model, list(ids_by_model[model])) for model in models]
    )
    note_populated(sum(map(len, found)))
    return dict(zip(models, found, strict=True))


def hashable(value: Any) -> bool:
    """Whether a stored value can serve as an id (a list or dict stored by mistake cannot)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True
