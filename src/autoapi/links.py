"""Link existence: a write may not store a link to a document that does not exist.

One `$in` query per link path of the body (its ids only), run together, never one per value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import DBRef

from autoapi import store
from autoapi.errors import echo, unprocessable
from autoapi.introspect import LinkSpec, ModelSpec
from autoapi.together import together


def link_targets(spec: ModelSpec, data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The ids each link field of `data` points at, by field key, in body order."""
    out: dict[str, list[Any]] = {}
    for key in spec.links:
        value = data.get(key)
        refs = value if isinstance(value, list) else [value]
        ids = [ref.id for ref in refs if isinstance(ref, DBRef)]
        if ids:
            out[key] = list(dict.fromkeys(ids))
    return out


async def check_links(spec: ModelSpec, data: Mapping[str, Any]) -> None:
    """422 naming each link field of `data` whose target does not exist."""
    wanted = link_targets(spec, data)
    if not wanted:
        return
    found = await together(
        [store.existing_ids(spec.links[key].target, ids) for key, ids in wanted.items()]
    )
    errors = []
    for (key, ids), present in zip(wanted.items(), found, strict=True):
        missing = [ident for ident in ids if ident not in present]
        if missing:
            errors.append(_missing(key, spec.links[key], missing))
    if errors:
        raise unprocessable(errors)


def _missing(key: str, link: LinkSpec, missing: list[Any]) -> dict[str, str]:
    name = link.target.__name__
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    return {
        "field": key,
        "message": f"no {name} with id {echo(str(missing[0]))}{more}",
        "code": "missing_link",
    }
