"""`where`, `match` and `search` → sanitized MongoDB clauses. Pure.

The grammar of `where` is the :data:`OPERATORS` table: each allowed operator and the kind of
argument it takes. Everything a client sends is walked once against that table and the
model's :class:`~autoapi.introspect.ModelSpec`; the result is rebuilt from scratch, so nothing
the walk did not look at can reach the database.

Positions:

* a *filter* object (the top level, and each item of `$and`/`$or`/`$nor`) holds field
  names and the logical operators;
* a *condition* (the value of a field) is either a value compared for equality or an object
  whose keys are all comparison operators (`{"$gt": 1, "$lt": 9}`).

Safe choices where MongoDB would be lenient:

* Field names must resolve on the model (hidden fields answer exactly like unknown ones)
  and may not contain `$`, a NUL or an empty dot segment.
* An object compared with an embedded-document field is refused: compare its leaves
  through dot paths (`bio.born`). Only open fields (`dict`, `Any`) take object values,
  and no key inside may contain `$`.
* An array value is refused for a single-valued field (use `$in`).
* `$options` needs `$regex` next to it; the pattern is compiled with those flags, must fit
  the regex budget and may only be matched against a text field.
* Every value is checked against the field's type, under comparison operators too.
* `$not` with a pattern string becomes `{"$not": {"$regex": pattern}}`.
* Duplicate keys, NaN/Infinity, numbers BSON cannot store and lone surrogates are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from autoapi.coerce import CoercionError, coerce_json
from autoapi.errors import bad_request
from autoapi.introspect import FieldSpec, ModelSpec
from autoapi.limits import (
    LIMITS,
    MAX_DEPTH,
    MAX_OPERATORS,
    MAX_PATTERN,
    MAX_SEARCH,
    MAX_VALUES,
    MAX_WHERE_BYTES,
    QueryBudget,
)
from autoapi.paths import check_text, field_path, shown
from autoapi.patterns import REGEX_FLAGS, check_pattern, parse_match
from autoapi.wherejson import INT64_MAX, INT64_MIN, load_where
from autoapi.wherejson import where_problem as _where

__all__ = [
    "LIMITS",
    "MAX_DEPTH",
    "MAX_OPERATORS",
    "MAX_PATTERN",
    "MAX_SEARCH",
    "MAX_VALUES",
    "MAX_WHERE_BYTES",
    "OPERATORS",
    "Kind",
    "parse_match",
    "parse_where",
    "search_clause",
]


class Kind(StrEnum):
    """What an operator takes; the value is the wording used in error messages."""

    LOGICAL = "a non-empty array of filter objects"
    VALUE = "a value of the field's type"
    VALUES = "an array of values of the field's type"
    EXISTS = "true or false"
    REGEX = "a pattern string"
    OPTIONS = "a string of the letters i, m, s, x"
    NOT = "an operator object or a pattern string"


OPERATORS: Final[Mapping[str, Kind]] = MappingProxyType(
    {
        "$eq": Kind.VALUE,
        "$ne": Kind.VALUE,
        "$gt": Kind.VALUE,
        "$gte": Kind.VALUE,
        "$lt": Kind.VALUE,
        "$lte": Kind.VALUE,
        "$in": Kind.VALUES,
        "$nin": Kind.VALUES,
        "$exists": Kind.EXISTS,
        "$regex": Kind.REGEX,
        "$options": Kind.OPTIONS,
        "$not": Kind.NOT,
        "$and": Kind.LOGICAL,
        "$or": Kind.LOGICAL,
        "$nor": Kind.LOGICAL,
    }
)

# --- public API -------------------------------------------------------------------------


def parse_where(spec: ModelSpec, raw: str, budget: QueryBudget | None = None) -> dict[str, Any]:
    """The `where` query parameter → a sanitized MongoDB filter; a 400 names what is refused.

    `budget` is shared by all `where`, `filter` and `match` values of one request.
    """
    budget = budget if budget is not None else QueryBudget()
    budget.spend_bytes("where", raw)
    data = load_where(raw)
    if not isinstance(data, dict):
        raise _where(f"must be a JSON object, got {_json_type(data)}")
    return _filter(spec, data, budget)


def search_clause(raw: str) -> dict[str, Any]:
    """The `search` text → a `$text` clause."""
    if not raw.strip():
        raise bad_request("search", "the search text is empty")
    if len(raw) > MAX_SEARCH:
        raise bad_request("search", f"the search text is longer than {MAX_SEARCH} characters")
    check_text("search", raw)
    return {"$text": {"$search": raw}}


# --- walking the filter -----------------------------------------------------------------


def _spend(budget: QueryBudget, op: str) -> Kind:
    kind = OPERATORS.get(op)
    if kind is None:
        raise _where(f"operator {shown(op)} is not allowed")
    budget.spend_operator("where")
    return kind


def _filter(spec: ModelSpec, obj: dict[str, Any], budget: QueryBudget) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key.startswith("$"):
            out[key] = _logical(spec, key, value, budget)
        else:
            out[key] = _condition(key, field_path(spec, "where", key), value, budget)
    return out


def _logical(spec: ModelSpec, op: str, value: Any, budget: QueryBudget) -> list[dict[str, Any]]:
    kind = _spend(budget, op)
    if kind is not Kind.LOGICAL:
        raise _where(f'{op} must be applied to a field, as in {{"<field>": {{"{op}": ...}}}}')
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise _where(f"{op} takes {kind}")
    return [_filter(spec, item, budget) for item in value]


def _condition(path: str, field: FieldSpec, value: Any, budget: QueryBudget) -> Any:
    if isinstance(value, dict) and any(key.startswith("$") for key in value):
        return _operators(path, field, value, budget)
    return _value(path, field, value)


def _operators(path: str, field: FieldSpec, obj: dict[str, Any], budget: QueryBudget) -> Any:
    plain = [key for key in obj if not key.startswith("$")]
    if plain:
        raise _where(f"{path}: operators cannot be mixed with field names ({shown(plain[0])})")
    out: dict[str, Any] = {}
    for op, arg in obj.items():
        kind = _spend(budget, op)
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise _where(f"{op} belongs next to field names, not inside the condition on {path}")
        out[op] = handler(path, field, arg, budget)
    if "$options" in out and "$regex" not in out:
        raise _where(f"{path}: $options needs $regex next to it")
    if "$regex" in out:
        check_pattern("where", path, field, out["$regex"], out.get("$options", ""))
    return out


# --- operator arguments (one handler per Kind) ------------------------------------------


def _one_value(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> Any:
    if isinstance(arg, dict) and any(key.startswith("$") for key in arg):
        raise _where(f"{path}: an operator object cannot be a value ({shown(next(iter(arg)))})")
    return _value(path, field, arg)


def _many_values(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> list[Any]:
    if not isinstance(arg, list):
        raise _where(f"{path}: $in and $nin take {Kind.VALUES}")
    if len(arg) > MAX_VALUES:
        raise _where(f"{path}: more than the limit of {MAX_VALUES} values in $in / $nin")
    return [_one_value(path, field, item, budget) for item in arg]


def _exists(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> bool:
    if not isinstance(arg, bool):
        raise _where(f"{path}: $exists takes {Kind.EXISTS}")
    return arg


def _regex(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> str:
    if not isinstance(arg, str):
        raise _where(f"{path}: $regex takes {Kind.REGEX}")
    return arg


def _options(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> str:
    if not isinstance(arg, str) or not set(arg) <= set(REGEX_FLAGS):
        raise _where(f"{path}: $options takes {Kind.OPTIONS}")
    return arg


def _not(path: str, field: FieldSpec, arg: Any, budget: QueryBudget) -> dict[str, Any]:
    if isinstance(arg, str):
        check_pattern("where", path, field, arg, "")
        return {"$regex": arg}
    if isinstance(arg, dict) and arg and all(key.startswith("$") for key in arg):
        result: dict[str, Any] = _operators(path, field, arg, budget)
        return result
    raise _where(f"{path}: $not takes {Kind.NOT}")


Handler = Callable[[str, FieldSpec, Any, QueryBudget], Any]

_HANDLERS: Final[Mapping[Kind, Handler]] = MappingProxyType(
    {
        Kind.VALUE: _one_value,
        Kind.VALUES: _many_values,
        Kind.EXISTS: _exists,
        Kind.REGEX: _regex,
        Kind.OPTIONS: _options,
        Kind.NOT: _not,
    }
)


# --- values -----------------------------------------------------------------------------


def _value(path: str, field: FieldSpec, value: Any) -> Any:
    """A value compared with `field`: coerced to its type, or checked for an open field."""
    if field.open:
        return _literal(path, value)
    if not isinstance(value, list):
        return _item(path, field, value)
    if not field.is_list:
        raise _where(f"{path} holds a single value: compare it with several through $in")
    if len(value) > MAX_VALUES:
        raise _where(f"{path}: more than the limit of {MAX_VALUES} values in an array")
    return [_item(path, field, item) for item in value]


def _item(path: str, field: FieldSpec, value: Any) -> Any:
    if isinstance(value, list):
        raise _where(f"{path}: nested arrays cannot be compared with this field")
    if isinstance(value, dict) and field.link is None:
        raise _where(
            f"{path}: an object cannot be compared with this field; "
            "compare embedded fields through dot paths (field.subfield)"
        )
    try:
        coerced = coerce_json(field, value)
    except CoercionError as exc:
        raise _where(f"{path}: {exc}") from None
    if isinstance(coerced, int) and not INT64_MIN <= coerced <= INT64_MAX:
        raise _where(f"{path}: the number does not fit in a 64-bit integer")
    return coerced


def _literal(path: str, value: Any) -> Any:
    """A JSON value for an open (`dict` / `Any`) field: kept as is once no key holds `$`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if "$" in key:
                raise _where(f"{path}: keys inside a value cannot contain '$': {shown(key)}")
            _literal(path, inner)
    elif isinstance(value, list):
        if len(value) > MAX_VALUES:
            raise _where(f"{path}: more than the limit of {MAX_VALUES} values in an array")
        for inner in value:
            _literal(path, inner)
    return value


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
