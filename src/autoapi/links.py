"""Link existence: a write may not store a link to a document that does not exist.

One `$in` query per link path of the body (its ids only), run together, never one per value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bson import DBRef

from autoapi import store
from autoapi.errors import ProblemError, echo, unprocessable
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


async def check_links(
    spec: ModelSpec, data: Mapping[str, Any], validate: Callable[[], object] | None = None
) -> None:
    """422 naming each link field of `data` whose target does not exist, and beside them
    the faults `validate` finds in the body (when the write validates only after this
    check, a client would otherwise learn of them one 422 at a time)."""
    try:
        await check_batch_links(spec, [data], numbered=False)
    except ProblemError as missing:
        if validate is not None and missing.status == 422:  # not a 503 from the database
            try:
                validate()
            except ProblemError as invalid:
                if invalid.status == 422:
                    raise unprocessable([*invalid.errors, *missing.errors]) from None
        raise


async def check_batch_links(
    spec: ModelSpec, items: Sequence[Mapping[str, Any]], *, numbered: bool = True
) -> None:
    """422 naming each link field (`[i].field` when `numbered`) whose target does not exist:
    one query per link path over all the items together."""
    targets = [link_targets(spec, item) for item in items]
    wanted: dict[str, list[Any]] = {}
    for target in targets:
        for key, ids in target.items():
            wanted.setdefault(key, []).extend(ids)
    if not wanted:
        return
    found = await together(
        [store.existing_ids(spec.links[key].target, ids) for key, ids in wanted.items()]
    )
    present = dict(zip(wanted, found, strict=True))
    errors = []
    for i, target in enumerate(targets):
        for key, ids in target.items():
            missing = [ident for ident in ids if ident not in present[key]]
            if missing:
                field = f"[{i}].{key}" if numbered else key
                errors.append(_missing(field, spec.links[key], missing))
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
