"""Messages a person can read, for the faults that pydantic and jsonschema report.

Their own texts name Python types, quote reprs and link documentation; a client gets these
instead, built from the kind of fault and the expected type or bound, never the value's repr.
"""

from __future__ import annotations

import json
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


# -- jsonschema ------------------------------------------------------------------------

TYPES: Final[Mapping[str, str]] = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
FORMATS: Final[Mapping[str, str]] = {
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time (ISO 8601)",
    "time": "a time (HH:MM:SS)",
    "email": "an email address",
    "idn-email": "an email address",
    "uri": "a URI",
    "uri-reference": "a URI reference",
    "uuid": "a UUID",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "hostname": "a host name",
    "duration": "an ISO 8601 duration",
    "regex": "a regular expression",
}
SCHEMA: Final[Mapping[str, str]] = {
    "required": "is required",
    "minLength": "is too short (at least {} characters)",
    "maxLength": "is too long (at most {} characters)",
    "pattern": "does not have the expected form",
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}",
    "exclusiveMaximum": "must be less than {}",
    "multipleOf": "must be a multiple of {}",
    "minItems": "has too few items (at least {})",
    "maxItems": "has too many items (at most {})",
    "uniqueItems": "must not repeat an item",
    "minProperties": "has too few keys (at least {})",
    "maxProperties": "has too many keys (at most {})",
    "additionalProperties": "is not allowed",
    "unevaluatedProperties": "is not allowed",
    "propertyNames": "has a key that is not allowed",
    "not": "is not allowed",
    "contains": "has no item of the expected kind",
    "dependentRequired": "needs other fields that are missing",
}
MAX_CHOICES = 10


def schema_message(keyword: str, expected: Any) -> str:
    """The message for a JSON Schema keyword that failed, with the keyword's own value.

    The failing value is never quoted (jsonschema's texts are its repr), nor a `pattern`.
    """
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else list(expected or [])
        return "must be " + " or ".join(TYPES.get(str(n), str(n)) for n in names)
    if keyword == "format":
        return "must be " + FORMATS.get(str(expected), f"of the form {_short(expected)}")
    if keyword == "enum" and isinstance(expected, list):
        shown = ", ".join(_choice(v) for v in expected[:MAX_CHOICES])
        return f"must be one of: {shown}" + (", …" if len(expected) > MAX_CHOICES else "")
    if keyword == "const":
        return f"must be {_choice(expected)}"
    if keyword == "false":
        return "is not allowed"
    if keyword == "minLength" and expected == 1:
        return "must not be empty"
    template = SCHEMA.get(keyword)
    if template is None:
        return "is not valid"
    return template.format(_short(expected)) if "{}" in template else template


def _choice(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False, default=str))
