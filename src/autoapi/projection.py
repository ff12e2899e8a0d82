"""A `fields` projection that MongoDB would refuse: one path inside another. Pure.

`fields=biography,biography.born` names `biography.born` twice (once through its parent);
the server answers that with a path-collision error, so it is refused while parsing, as a
400 naming `fields`.
"""

from __future__ import annotations

from collections.abc import Mapping

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
