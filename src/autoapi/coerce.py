"""Values from a query string, a form or a `where` object → what MongoDB stores. Pure."""

from __future__ import annotations

import datetime
import decimal
import enum
import math
import re
import uuid
from typing import Any

from bson import DBRef, Decimal128, ObjectId
from bson.binary import Binary, UuidRepresentation

from autoapi.errors import echo
from autoapi.introspect import FieldSpec, id_annotation, parse_id
from autoapi.messages import pydantic_message

INT64 = range(-(2**63), 2**63)
TRUE = frozenset({"1", "true", "yes"})
FALSE = frozenset({"0", "false", "no"})
# A date is written as ISO 8601; without this, pydantic would read "1" as a Unix timestamp.
ISO_DATE = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Numbers in text are written plainly: ASCII digits, an optional minus; no `1_0`, no spaces,
# no other scripts' digits (all of which Python and pydantic would read).
PLAIN_INT = re.compile(r"-?[0-9]+")
PLAIN_FLOAT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


class CoercionError(ValueError):
    """A value that cannot be turned into the field's type; the message says why."""


def coerce_text(field: FieldSpec, raw: str) -> Any:
    """A string (query string or form value) → the stored form for `field`."""
    if field.link is not None:
        return link_ref(field, raw)
    if field.open:
        return raw
    if field.annotation is bool:
        lowered = raw.strip().lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise CoercionError(f"expected a boolean (1/0/true/false/yes/no), got {echo(raw)}")
    if field.children is not None:
        raise CoercionError("an embedded document cannot be compared to a string")
    if _is_date(field) and not ISO_DATE.match(raw):
        raise CoercionError(f"expected an ISO 8601 date such as 2020-01-31, got {echo(raw)}")
    _check_plain_number(field, raw)
    return _validated(field, raw)


def _check_plain_number(field: FieldSpec, raw: str) -> None:
    kind = field.annotation
    if kind is int and not PLAIN_INT.fullmatch(raw):
        raise CoercionError(f"expected a whole number (digits 0-9), got {echo(raw)}")
    if kind is float and not PLAIN_FLOAT.fullmatch(raw):
        raise CoercionError(f"expected a number such as 1.5 or -2, got {echo(raw)}")


def coerce_json(field: FieldSpec, value: Any) -> Any:
    """A JSON scalar (from `where` or a JSON body) → the stored form for `field`."""
    if value is None or field.open:
        return value
    if field.link is not None:
        return link_ref(field, value)
    if isinstance(value, str):
        return coerce_text(field, value)
    if isinstance(value, bool) and field.annotation is not bool:
        raise CoercionError(f"expected {_type_name(field)}, got a boolean")
    if field.children is not None:
        raise CoercionError("an embedded document cannot be compared to a scalar")
    if field.annotation is bool and not isinstance(value, bool):
        raise CoercionError("expected true or false")
    if _is_date(field):
        raise CoercionError("expected an ISO 8601 date string such as 2020-01-31")
    return _validated(field, value)


def link_ref(field: FieldSpec, value: Any) -> DBRef:
    """A target id (or a document holding `_id`) → the DBRef Beanie stores for a link."""
    assert field.link is not None
    target = field.link.target
    if isinstance(value, dict) and "_id" in value:
        value = value["_id"]
    elif isinstance(value, dict) and "id" in value:
        value = value["id"]
    if isinstance(value, DBRef):
        return value
    try:
        ident = parse_id(id_annotation(target), value)
    except ValueError:
        raise CoercionError(f"not a valid {target.__name__} id: {_echo(value)}") from None
    return DBRef(field.link.collection, ident)


def to_storage(value: Any) -> Any:
    """What pymongo needs for a Python value produced by pydantic."""
    if isinstance(value, enum.Enum):
        return to_storage(value.value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    if isinstance(value, uuid.UUID):
        return Binary.from_uuid(value, UuidRepresentation.STANDARD)
    if isinstance(value, (set, frozenset, tuple)):
        return [to_storage(v) for v in value]
    return value


def _validated(field: FieldSpec, value: Any) -> Any:
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, ObjectId):
        if isinstance(value, str) and ObjectId.is_valid(value):
            return ObjectId(value)
        raise CoercionError(f"not a valid ObjectId: {_echo(value)}")
    try:
        result = to_storage(field.adapter.validate_python(value))
    except Exception as exc:  # pydantic's ValidationError or a custom validator's error
        raise CoercionError(_first_message(exc, field, value)) from None
    check_storable(result)
    _check_finite(result, value)
    return result


def _check_finite(result: Any, value: Any) -> None:
    # pydantic reads "1e400" as infinity; a query must not match (or a token start from) it.
    if not isinstance(result, float) or math.isfinite(result):
        return
    if isinstance(value, str) and PLAIN_FLOAT.fullmatch(value):
        raise CoercionError(out_of_range(value))
    raise CoercionError("must be a finite number")


def check_storable(value: Any) -> None:
    """Refuse what BSON cannot hold: integers beyond 64 bits, strings that are not UTF-8."""
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise CoercionError("integer out of the 64-bit range MongoDB stores")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which JSON's \ud800 escapes allow
            raise CoercionError("text with an unpaired surrogate is not valid UTF-8") from None


def check_number_text(field: FieldSpec, value: Any) -> None:
    """Refuse text that a number field reads as a number BSON cannot hold.

    pydantic reads "1e400" as inf and "2" * 30 as a 30-digit int, which MongoDB refuses (or
    stores as infinity); such text is refused as the same number written in JSON is.
    """
    if field.annotation not in (int, float) or not isinstance(value, str):
        return
    try:
        number = field.adapter.validate_python(value)
    except Exception:  # not a number: the model's own validation says so later
        return
    if number in INT64 if isinstance(number, int) else math.isfinite(number):
        return
    if PLAIN_FLOAT.fullmatch(value.strip()):
        raise CoercionError(out_of_range(value))
    raise CoercionError("must be a finite number")


def out_of_range(text: str) -> str:
    """The message for a number too large for its field, quoting the text sent."""
    return f"the number {echo(text)} is out of range for this field"


def _first_message(exc: Exception, field: FieldSpec, value: Any) -> str:
    """What was wrong, in the words of the message table, never pydantic's own text."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return f"{pydantic_message(errors()[0])}, got {_echo(value)}"
        except (IndexError, KeyError, TypeError):
            pass
    return f"expected {_type_name(field)}, got {_echo(value)}"


def _is_date(field: FieldSpec) -> bool:
    annotation = field.annotation
    return isinstance(annotation, type) and issubclass(annotation, datetime.date)


def _echo(value: Any) -> str:
    """A value a client sent, as a message shows it: text and numbers quoted and cut, JSON's
    literals as JSON writes them, anything else not at all."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, str | int | float):
        return echo(value if isinstance(value, str) else str(value))
    return "a value"


def _type_name(field: FieldSpec) -> str:
    return getattr(field.annotation, "__name__", str(field.annotation))
