"""Pages of a list route: keyset ranges, `next`/`prev` tokens, the `Link` header and the
count modes. Pure: the database module runs the queries these functions describe.

A page reached by cursor is one range query: the effective filter AND
:func:`keyset_filter`, sorted by :func:`run_sort`, limited to `limit + 1` (the extra document
only says whether there is more), never a `skip`. Null and missing sort values are equal
and sort lowest, as MongoDB sorts them; the id ends every sort, so no two documents tie.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from autoapi.coerce import to_storage
from autoapi.cursors import (
    Cursor,
    CursorError,
    Direction,
    Scope,
    SortSpec,
    boundary,
    decode_cursor,
    encode_cursor,
    sort_problem,
)
from autoapi.errors import bad_request, echo
from autoapi.introspect import ModelSpec

CountMode = Literal["exact", "estimated", "none"]
COUNT_MODES: Final[tuple[CountMode, ...]] = ("exact", "estimated", "none")
_DROPPED_PARAMS: Final = frozenset({"cursor", "offset"})
_NOTHING: Final[dict[str, Any]] = {"_id": {"$in": []}}


@dataclass(frozen=True)
class Page:
    """The documents of one page, in display order, and the tokens around them."""

    docs: list[dict[str, Any]]
    next: str | None
    prev: str | None


# --- the range query --------------------------------------------------------------------


def keyset_filter(
    sort: SortSpec, values: Sequence[Any], direction: Direction, inclusive: bool = False
) -> dict[str, Any]:
    """The filter selecting documents strictly after (`next`) or before (`prev`) the
    position `values` in `sort`; `inclusive` takes the document at that position too.

    One branch per sort key: the keys before it equal, that key beyond. Equality with
    None matches null and missing alike, which is how MongoDB's sort groups them.
    """
    branches: list[dict[str, Any]] = []
    equal: dict[str, Any] = {}
    last = len(sort) - 1
    for i, ((path, order), value) in enumerate(zip(sort, values, strict=True)):
        ahead = order if direction == "next" else -order
        step = _beyond(path, value, ahead, inclusive and i == last)
        if step is not None:
            branches.append({**equal, **step})
        equal[path] = value
    if not branches:
        return dict(_NOTHING)
    return branches[0] if len(branches) == 1 else {"$or": branches}


def _beyond(path: str, value: Any, ahead: int, inclusive: bool) -> dict[str, Any] | None:
    """Values of `path` past `value` upwards (`ahead` 1) or downwards (-1); None if none."""
    if ahead > 0:
        if value is None:
            # Everything is at or above null; `$gt: null` would match nothing at all.
            return {} if inclusive else {path: {"$ne": None}}
        return {path: {"$gte" if inclusive else "$gt": value}}
    if value is None:
        return {path: None} if inclusive else None
    below = {path: {"$lte" if inclusive else "$lt": value}}
    if path == "_id":  # every stored document has an id, so nothing lies below it
        return below
    # Comparison operators never match null or missing, which sort below every value.
    return {"$or": [below, {path: None}]}


def run_sort(sort: SortSpec, direction: Direction) -> list[tuple[str, int]]:
    """The sort to run: the page's own for `next`, reversed for `prev` (the page is then
    put back in order by :func:`cursor_page`)."""
    if direction == "next":
        return list(sort)
    return [(path, -order) for path, order in sort]


def read_cursor(
    token: str, scope: Scope, spec: ModelSpec, *, offset_given: bool, search: str | None
) -> Cursor:
    """The `cursor` parameter of a request, checked against everything else it asked for;
    each fault is a 400 on `cursor`."""
    if offset_given:
        raise bad_request("cursor", "cannot be combined with offset")
    if search is not None:
        raise bad_request("cursor", "cannot be combined with search, whose order has no keys")
    problem = sort_problem(spec, scope.sort)
    if problem is not None:
        raise bad_request("cursor", problem)
    try:
        return decode_cursor(token, scope, spec)
    except CursorError as exc:
        raise bad_request("cursor", str(exc)) from None


def cursor_query(cursor: Cursor) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """The keyset filter (to AND with the effective filter) and the sort for a cursor page.

    The token's values are put in their stored form, as `where` values are: a UUID read
    back from a token is sent as the binary it is stored as."""
    values = [to_storage(value) for value in cursor.values]
    keyset = keyset_filter(cursor.scope.sort, values, cursor.direction, cursor.inclusive)
    return keyset, run_sort(cursor.scope.sort, cursor.direction)


# --- tokens for a page ------------------------------------------------------------------


def offset_page(raw: Sequence[Mapping[str, Any]], limit: int, offset: int, scope: Scope) -> Page:
    """A page reached by `offset` (the first page too); `raw` holds up to `limit + 1` docs."""
    docs = _owned(raw[:limit])
    more = len(raw) > limit
    following = _token(scope, "next", docs[-1]) if more and docs else None
    preceding = _token(scope, "prev", docs[0]) if offset > 0 and docs else None
    return Page(docs, following, preceding)


def cursor_page(raw: Sequence[Mapping[str, Any]], limit: int, cursor: Cursor) -> Page:
    """A page reached by `cursor`; `raw` is what :func:`cursor_query` returned (up to
    `limit + 1` docs, in the run sort's order)."""
    docs = _owned(raw[:limit])
    more = len(raw) > limit
    scope = cursor.scope
    if cursor.direction == "prev":
        docs.reverse()
    if not docs:
        # Nothing here any more: the way back re-opens the page the client came from.
        back: Direction = "prev" if cursor.direction == "next" else "next"
        token = encode_cursor(Cursor(scope, back, cursor.values, inclusive=True))
        return Page([], token if back == "next" else None, token if back == "prev" else None)
    # Going forward, there is more ahead only if the extra document came back; behind lies
    # at least the document the token started from. Going back, the other way round.
    forward = cursor.direction == "next"
    following = _token(scope, "next", docs[-1]) if more or not forward else None
    preceding = _token(scope, "prev", docs[0]) if more or forward else None
    return Page(docs, following, preceding)


def _owned(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The page's documents: the driver's own dicts as they are (a copy of each would be
    one more object per document for the garbage collector to walk), other mappings copied."""
    return [doc if type(doc) is dict else dict(doc) for doc in raw]


def _token(scope: Scope, direction: Direction, doc: Mapping[str, Any]) -> str:
    return encode_cursor(Cursor(scope, direction, boundary(doc, scope.sort)))


# --- the Link header --------------------------------------------------------------------


def link_header(url: str, next_token: str | None, prev_token: str | None) -> str | None:
    """RFC 8288 links to the next and previous pages: the request URL with its other query
    parameters kept, `offset` and the old `cursor` dropped; None when there is neither."""
    parts = urlsplit(url)
    kept = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in _DROPPED_PARAMS
    ]
    links = []
    for rel, token in (("next", next_token), ("prev", prev_token)):
        if token is not None:
            query = urlencode([*kept, ("cursor", token)])
            links.append(f'<{urlunsplit(parts._replace(query=query))}>; rel="{rel}"')
    return ", ".join(links) or None


# --- counting ---------------------------------------------------------------------------


def parse_count(value: str | None, default: CountMode = "exact") -> CountMode:
    """The `count` query parameter; anything but the three modes is a 400 on `count`."""
    if value is None or value == "":
        return default
    for mode in COUNT_MODES:
        if value == mode:
            return mode
    raise bad_request("count", f"expected one of exact, estimated, none, got {echo(value)}")


def count_mode(requested: CountMode, effective_filter: Mapping[str, Any]) -> CountMode:
    """An estimate only counts a whole collection: with any filter (the client's, the
    route's, a hook's or the policy's) the count is exact."""
    if requested == "estimated" and effective_filter:
        return "exact"
    return requested


def count_limit(max_count: int | None) -> int | None:
    """The `limit` to give `count_documents`: one past `max_count`, to see it was reached."""
    return None if max_count is None else max_count + 1


def total_fields(mode: CountMode, counted: int | None, max_count: int | None) -> dict[str, Any]:
    """`total` and its flags for the list answer, from what the database counted."""
    if mode == "none" or counted is None:
        return {"total": None}
    if mode == "estimated":
        return {"total": counted, "total_estimated": True}
    if max_count is not None and counted > max_count:
        return {"total": max_count, "total_truncated": True}
    return {"total": counted}
