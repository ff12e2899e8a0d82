"""Messages a person can read, for the faults that pydantic and jsonschema report.

Their own texts name Python types, quote reprs and link documentation; a client gets these
instead, built from the kind of fault and the expected type or bound, never the value's repr.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, Final

from pydantic_core import core_schema

PYDANTIC: Final[Mapping[str, str]] = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this model",
    "string_type": "must be a string",
    "string_too_short": "is too short (at least {min_length} characters)",
    "string_too_long": "is too long (at most {max_length} characters)",
    "string_pattern_mismatch": "does not have the expected form",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "datetime_type": "must be a date and time (ISO 8601)",
    "datetime_parsing": "must be a date and time (ISO 8601)",
    "datetime_from_date_parsing": "must be a date and time (ISO 8601)",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date without a time",
    "uuid_type": "must be a UUID",
    "uuid_parsing": "must be a UUID",
    "enum": "must be one of: {expected}",
    "literal_error": "must be one of: {expected}",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "too_short": "has too few items (at least {min_length})",
    "too_long": "has too many items (at most {max_length})",
    "url_parsing": "must be a URL",
    "url_type": "must be a URL",
}

# A model's own validators raise ValueError (or a PydanticCustomError of a type of its own)
# with a text its author wrote for people.
AUTHORED: Final = frozenset({"value_error", "assertion_error"})
BUILT_IN: Final = frozenset(typing.get_args(core_schema.ErrorType))
MAX_AUTHORED = 200

MAX_CONTEXT = 64


def pydantic_message(error: Mapping[str, Any]) -> str:
    """The message for one entry of `ValidationError.errors()`."""
    kind = str(error.get("type", ""))
    if kind in AUTHORED:
        text = str((error.get("ctx") or {}).get("error", "")) or "is not valid"
        return text[:MAX_AUTHORED]
    if kind not in BUILT_IN:
        return str(error.get("msg") or "is not valid")[:MAX_AUTHORED]
    template = PYDANTIC.get(kind, "is not valid")
    context = {k: _short(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template.split(" (")[0] if "{" in template else template


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_CONTEXT else text[:MAX_CONTEXT] + "…"
