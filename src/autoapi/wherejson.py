"""The JSON of a `where` parameter, loaded strictly. Pure.

Refused with a 400 naming `where`: nesting deeper than the limit (found before parsing),
duplicate keys, NaN and Infinity, integers BSON cannot store (64 bits), floats out of
range, NUL characters in keys, and lone surrogates anywhere.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from autoapi.errors import ProblemError, bad_request
from autoapi.limits import MAX_DEPTH
from autoapi.paths import check_text, shown

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


def where_problem(message: str) -> ProblemError:
    """The 400 naming the `where` parameter."""
    return bad_request("where", message)


def load_where(raw: str) -> Any:
    """The JSON text of a `where` → its value, refusing what a MongoDB filter must not hold."""
    if _nesting(raw) > MAX_DEPTH:
        raise where_problem(f"nested deeper than the limit of {MAX_DEPTH} levels")
    try:
        return json.loads(
            raw,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_object,
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise where_problem(f"invalid JSON: {exc}") from None


def _nesting(raw: str) -> int:
    """How deeply objects and arrays nest in `raw`, found without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def _parse_int(text: str) -> int:
    value = int(text) if len(text) <= 20 else INT64_MAX + 1
    if not INT64_MIN <= value <= INT64_MAX:
        raise where_problem(f"the number {text[:24]} does not fit in a 64-bit integer")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise where_problem(f"the number {text[:24]} is out of range")
    return value


def _parse_constant(text: str) -> Any:
    raise where_problem(f"{text} is not a valid JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        check_text("where", key)
        if "\x00" in key:
            raise where_problem("a key contains a NUL character")
        if key in out:
            raise where_problem(f"duplicate key {shown(key)}")
        _check_strings(value)
        out[key] = value
    return out


def _check_strings(value: Any) -> None:
    """Strings directly in a value or its arrays (objects were checked by their own hook)."""
    if isinstance(value, str):
        check_text("where", value)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)
