"""A decoded body's keys and values → the nested dict a write stores, checked (pure).

Key paths are checked before anything is looked up: empty, `$`-led and NUL-bearing segments
are refused (422), at any depth, dict fields included, as are numbers no field can hold.
Unknown keys are refused at once; a value no field can take is returned as a fault, which
the caller answers once the document it would change has been found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autoapi.coerce import (
    INT64,
    CoercionError,
    check_number_text,
    check_storable,
    link_ref,
    out_of_range,
)
from autoapi.decode import OutOfRange
from autoapi.errors import echo, unprocessable
from autoapi.introspect import FieldSpec, ModelSpec

Faults = list[dict[str, str]]
MAX_DEPTH = 90  # MongoDB refuses documents nested deeper than 100; leave room for the path


def build_data(spec: ModelSpec, items: Mapping[str, Any]) -> tuple[dict[str, Any], Faults]:
    """Dot paths and nested objects → one nested dict; unknown fields → 422. The values no
    field can take are returned as faults (their keys kept in the dict, as sent)."""
    data: dict[str, Any] = {}
    errors: Faults = []
    faults: Faults = []
    for key, value in items.items():
        fault = path_fault(key)
        if fault is not None:
            errors.append({"field": key, "message": fault})
            continue
        fld = spec.resolve(key)
        if fld is None or fld.key == "_id":
            errors.append({"field": key, "message": "unknown field", "code": "unknown_field"})
            continue
        try:
            value = _checked_value(fld, value, key, errors, faults)
        except CoercionError as exc:
            _fault(exc, key, errors, faults)
        _set_path(data, key.split("."), value)
    if errors:
        raise unprocessable(errors)
    return data, faults


def _checked_value(fld: FieldSpec, value: Any, path: str, errors: Faults, faults: Faults) -> Any:
    _check_storable_tree(value)
    if fld.link is not None:
        if fld.link.many and isinstance(value, list):
            return [link_ref(fld, v) for v in value]
        return None if value is None else link_ref(fld, value)
    items = value if fld.is_list and isinstance(value, list) else [value]
    if fld.children is None:
        for item in items:
            check_number_text(fld, item)
        return value
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            prefix = f"{path}.{i}" if fld.is_list else path
            _check_keys(fld.children, item, prefix, errors, faults)
    return value


def _check_storable_tree(value: Any, depth: int = 1) -> None:
    # Keys are checked here too: `$` or `.` in a stored key breaks queries on it later.
    if depth > MAX_DEPTH:
        raise _TooDeep(f"nested deeper than {MAX_DEPTH} levels, which MongoDB refuses")
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if not isinstance(key, str) or _segment_fault(key) or "." in key:
                raise CoercionError(
                    f"key {echo(key)}: keys may not be empty, start with $, "
                    "or hold a dot or a NUL character"
                )
            check_storable(key)
            _check_storable_tree(sub, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable_tree(item, depth + 1)
    elif isinstance(value, OutOfRange):
        raise CoercionError(out_of_range(value.text))
    elif isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise CoercionError(out_of_range(str(value)))
    else:
        check_storable(value)


class _TooDeep(CoercionError):
    """A value nested past the depth MongoDB stores."""


def _fault(exc: CoercionError, path: str, errors: Faults, faults: Faults) -> None:
    """A value too deep to check any further is refused now; any other waits (see Body)."""
    too_deep = isinstance(exc, _TooDeep)
    entry = {
        "field": path,
        "message": str(exc),
        "code": "limit_exceeded" if too_deep else "invalid_value",
    }
    (errors if too_deep else faults).append(entry)


def path_fault(path: str) -> str | None:
    """Why a body key (a dot path) cannot name a field, or None when its form is fine."""
    if any(_segment_fault(part) for part in path.split(".")):
        return "a key path may not have empty, $-led or NUL-bearing parts"
    return None


def _segment_fault(part: str) -> bool:
    return not part or part.startswith("$") or "\x00" in part


def _check_keys(
    fields: Mapping[str, FieldSpec],
    value: Mapping[str, Any],
    path: str,
    errors: Faults,
    faults: Faults,
) -> None:
    for key, sub in value.items():
        fld = fields.get(key)
        if fld is None or fld.hidden:
            errors.append(
                {"field": f"{path}.{key}", "message": "unknown field", "code": "unknown_field"}
            )
        elif fld.link is None:
            try:
                _checked_value(fld, sub, f"{path}.{key}", errors, faults)
            except CoercionError as exc:
                _fault(exc, f"{path}.{key}", errors, faults)


def _set_path(data: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = data.get(part)
        if not isinstance(node, dict):
            node = data[part] = {}
        data = node
    last = parts[-1]
    if isinstance(value, dict) and isinstance(data.get(last), dict):
        data[last].update(value)
    else:
        data[last] = value
