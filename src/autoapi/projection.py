"""`fields` projections: the ones MongoDB would refuse, and one applied to a rendered dict. Pure.

`fields=biography,biography.born` names `biography.born` twice (once through its parent);
the server answers that with a path-collision error, so it is refused while parsing, as a
400 naming `fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autoapi.errors import ProblemError, bad_request, echo


def overlapping(paths: list[str]) -> tuple[str, str] | None:
    """The first pair (parent, child) where one path lies inside the other, or None."""
    named = set(paths)
    for child in paths:
        parts = child.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in named:
                return parent, child
    return None


def check_projection(projection: Mapping[str, int] | None) -> None:
    """400 for a projection naming a path and a path inside it."""
    if not projection:
        return
    pair = overlapping([path for path in projection if path != "_id"])
    if pair is not None:
        raise overlap_error(*pair)


def overlap_error(parent: str, child: str) -> ProblemError:
    return bad_request(
        "fields", f"{echo(child)} lies inside {echo(parent)}: name one of them, not both"
    )


def project_output(doc: dict[str, Any], projection: Mapping[str, int]) -> dict[str, Any]:
    """Apply a MongoDB-style projection to an already rendered dict (for custom api_values)."""
    include = any(projection.values())  # MongoDB: any 1 (even `_id: 1` alone) includes
    if include:
        out: dict[str, Any] = {}
        keep = [k for k, v in projection.items() if v]
        keep += ["_id"] if projection.get("_id", 1) else []
        for path in keep:
            _copy_path(doc, out, path.split("."))
        return out
    out = dict(doc)
    for path, v in projection.items():
        if not v:
            _drop_path(out, path.split("."))
    return out


def _copy_path(src: Mapping[str, Any], dst: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in src:
        return
    if not rest:
        dst[head] = src[head]
    elif isinstance(src[head], Mapping):
        _copy_path(src[head], dst.setdefault(head, {}), rest)


def _drop_path(doc: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        doc.pop(head, None)
    elif isinstance(doc.get(head), Mapping):
        doc[head] = dict(doc[head])
        _drop_path(doc[head], rest)
