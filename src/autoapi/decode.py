"""Request bodies, bytes → Python values: the one strict decoder every body goes through.

JSON is decoded once, refusing what `json` would let through quietly (duplicate keys, NaN,
numbers no field can hold); forms must be UTF-8 all the way down, percent escapes included.
Every refusal is a 400 whose text was written here, never the decoder's own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from autoapi.errors import ProblemError, echo

JSON: Final = "json"
FORM: Final = "form"
MAX_INT_DIGITS: Final = 19  # 2^63 has 19 digits: longer ones cannot be stored as BSON ints


@dataclass(frozen=True)
class OutOfRange:
    """A JSON number no field can hold (1e400, a 30-digit integer), kept as its text.

    It is refused later, by the field it was sent for, so the 422 can name that field.
    """

    text: str


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def media_kind(content_type: str) -> str | None:
    """`json`, `form`, or None for a media type autoapi does not read."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return JSON
    if media == "application/x-www-form-urlencoded":
        return FORM
    return None


def json_object(raw: bytes) -> dict[str, Any]:
    """A JSON body that must be an object; a fault → 400 `invalid_json`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("the body is not valid UTF-8") from None
    value = json_value(text, "body")
    if not isinstance(value, dict):
        raise _invalid("the JSON body must be an object")
    return value


def json_value(text: str, where: str) -> Any:
    """Strict JSON; errors name `where` (`body`)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_float,
            parse_int=_int,
        )
    except _Duplicate as exc:
        raise _invalid(f"duplicate key {echo(exc.key)}", where) from None
    except json.JSONDecodeError as exc:
        raise _invalid(f"invalid JSON at line {exc.lineno}, column {exc.colno}", where) from None
    except RecursionError:
        raise ProblemError(
            400,
            f"{where}: nested too deeply",
            [{"field": where, "message": "nested too deeply"}],
            code="limit_exceeded",
        ) from None
    except ValueError:  # NaN and Infinity, refused by _no_constant
        raise _invalid("NaN and Infinity are not JSON numbers", where) from None


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A URL-encoded form; not UTF-8 (before or after unescaping) → 400."""
    try:
        return parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=None,
        )
    except UnicodeDecodeError:
        raise ProblemError(
            400,
            "the form body is not valid UTF-8",
            [{"field": "body", "message": "is not valid UTF-8"}],
            code="invalid_encoding",
        ) from None


def multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs → every value of each name, in order."""
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _float(text: str) -> float | OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else OutOfRange(text)


def _int(text: str) -> int | OutOfRange:
    # int() of a long text is slow (and capped by the interpreter): refuse it unread.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return OutOfRange(text)
    return int(text)


def _invalid(message: str, where: str = "body") -> ProblemError:
    return ProblemError(
        400, f"{where}: {message}", [{"field": where, "message": message}], code="invalid_json"
    )
