"""Query string → a sanitized list query (filter, sort, projection, page). Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autoapi.coerce import PLAIN_INT, CoercionError, coerce_text
from autoapi.errors import bad_request, echo
from autoapi.introspect import ModelSpec
from autoapi.limits import QueryBudget
from autoapi.paths import check_segments, field_path, shown
from autoapi.patterns import parse_match
from autoapi.where import parse_where, search_clause

MAX_POPULATE_DEPTH = 3
MAX_OFFSET = 2**53  # the largest integer a JavaScript client can send exactly
MAX_DIGITS = 18
BEYOND = int("1" + "0" * MAX_DIGITS)  # beyond every bound a query integer has

SpecLookup = Callable[[type], ModelSpec]


@dataclass(frozen=True)
class ListQuery:
    """Everything a list route needs from the query string."""

    filter: dict[str, Any] = field(default_factory=dict)
    sort: list[tuple[str, int]] = field(default_factory=list)
    projection: dict[str, int] | None = None
    skip: int = 0
    limit: int = 100
    populate: tuple[str, ...] = ()
    search: str | None = None


def parse_list_query(
    spec: ModelSpec,
    params: Mapping[str, Sequence[str]],
    lookup: SpecLookup,
    default_limit: int = 100,
    max_limit: int = 1000,
) -> ListQuery:
    """Parse every list option; a bad value raises a 400 naming the parameter.

    All `filter`, `where` and `match` values share one budget of operators and bytes.
    """
    spec = spec.for_options
    budget = QueryBudget()
    clauses = [parse_filter(spec, v, budget) for v in params.get("filter", [])]
    clauses += [parse_where(spec, v, budget) for v in params.get("where", [])]
    clauses += parse_match(spec, list(params.get("match", [])), budget)
    search = _last(params, "search")
    if search is not None:
        clauses.append(search_clause(search))
    return ListQuery(
        filter=and_filters(clauses),
        sort=parse_sort(spec, _joined(params, "sort")),
        projection=parse_fields(spec, _joined(params, "fields")),
        skip=_int(params, "offset", 0, 0, MAX_OFFSET),
        limit=_int(params, "limit", default_limit, 1, max_limit),
        populate=parse_populate(spec, params, lookup),
        search=search,
    )


def and_filters(clauses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """AND clauses together; `$text` stays at the top level where MongoDB wants it.

    It is written last: a stand-in that cannot search then still answers a query that
    its other clauses already rule out (an empty reverse route).
    """
    text: dict[str, Any] = {}
    rest: list[Mapping[str, Any]] = []
    for clause in clauses:
        if "$text" in clause:
            text["$text"] = clause["$text"]
            clause = {k: v for k, v in clause.items() if k != "$text"}
        if clause:
            rest.append(clause)
    if len(rest) == 1:
        return {**rest[0], **text}
    return {"$and": [dict(c) for c in rest], **text} if rest else text


def parse_filter(spec: ModelSpec, raw: str, budget: QueryBudget | None = None) -> dict[str, Any]:
    """`field=value` (split at the first `=`; no `=` means true) → an equality clause.

    `null` for a link field matches documents where the link is unset. The clause counts as
    one operator against `budget`.
    """
    budget = budget if budget is not None else QueryBudget()
    budget.spend_bytes("filter", raw)
    name, sep, value = raw.partition("=")
    name = name.strip()
    fld = field_path(spec, "filter", name)
    budget.spend_operator("filter")
    if not sep:
        value = "true"
    if fld.link is not None and value == "null":
        return {name: None}
    try:
        return {name: coerce_text(fld, value)}
    except CoercionError as exc:
        raise bad_request("filter", f"{name}: {exc}") from None


def parse_sort(spec: ModelSpec, raw: str | None) -> list[tuple[str, int]]:
    """`created`, `-created`, several joined by `,` or space."""
    out: list[tuple[str, int]] = []
    for part in _split(raw):
        direction = -1 if part.startswith("-") else 1
        name = part.lstrip("+-")
        field_path(spec, "sort", name)
        out.append((name, direction))
    return out


def parse_fields(spec: ModelSpec, raw: str | None) -> dict[str, int] | None:
    """`a,b` (include) or `-a,-b` (exclude) → a MongoDB projection; `_id` kept unless `-_id`."""
    parts = _split(raw)
    if not parts:
        return None
    projection: dict[str, int] = {}
    for part in parts:
        name = part.lstrip("+-")
        field_path(spec, "fields", name)
        projection[name] = 0 if part.startswith("-") else 1
    modes = {v for k, v in projection.items() if k != "_id"}
    if len(modes) > 1:
        raise bad_request("fields", "cannot mix included and excluded fields")
    if projection.get("_id") == 1 and modes == {0}:
        del projection["_id"]
    return projection


def parse_populate(
    spec: ModelSpec, params: Mapping[str, Sequence[str]], lookup: SpecLookup
) -> tuple[str, ...]:
    """Every spelling of `populate` → validated link paths, parents before children."""
    paths: list[str] = []
    for key in ("populate", "populate[]"):
        for value in params.get(key, []):
            paths += _split(value)
    seen: dict[str, None] = {}
    for path in paths:
        _check_link_path(spec, path, lookup)
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            seen.setdefault(".".join(parts[:i]), None)
    return tuple(seen)


def _check_link_path(spec: ModelSpec, path: str, lookup: SpecLookup) -> None:
    check_segments("populate", path)
    parts = path.split(".")
    if len(parts) > MAX_POPULATE_DEPTH:
        raise bad_request("populate", f"{shown(path)} is deeper than {MAX_POPULATE_DEPTH} levels")
    current = spec
    for part in parts:
        fld = current.resolve(part)
        if fld is None or fld.link is None:
            raise bad_request("populate", f"{shown(path)} is not a link field")
        current = lookup(fld.link.target)


def _split(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [p for p in raw.replace(",", " ").split() if p]


def _last(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _joined(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    # `sort=a&sort=-b` is `sort=a,-b`: generated clients repeat list parameters
    values = params.get(name)
    return ",".join(values) if values else None


def _int(
    params: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int | None
) -> int:
    raw = _last(params, name)
    if raw is None or raw == "":
        return default
    if not PLAIN_INT.fullmatch(raw):
        raise bad_request(name, f"expected a whole number (digits 0-9), got {echo(raw)}")
    value = _plain_int(raw)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(name, f"must be {bound}, got {echo(raw)}")
    return value


def _plain_int(raw: str) -> int:
    """ASCII digits → int; more digits than any bound has read as a value beyond it (and
    never reach `int()`'s limit on long strings)."""
    if len(raw.lstrip("-")) > MAX_DIGITS:
        return -BEYOND if raw.startswith("-") else BEYOND
    return int(raw)
