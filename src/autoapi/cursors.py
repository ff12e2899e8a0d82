"""Keyset cursor tokens: what a `next`/`prev` token holds, and reading one back. Pure.

A token is stateless and unsigned: base64url (no padding) of a small BSON document naming
the route, the sort, a digest of the client's filter options, the direction and the sort
values of the document it starts from. Any app instance accepts any other's token. Nothing
in a token is trusted: it must have been made for the same route, sort and filter, and each
value must be a scalar of the sort field's type before it is put into a query.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import enum
import hashlib
import re
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import bson
from bson import Decimal128, ObjectId
from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions

from autoapi.coerce import CoercionError, coerce_json
from autoapi.errors import echo
from autoapi.introspect import FieldSpec, ModelSpec

Direction = Literal["next", "prev"]
SortSpec = tuple[tuple[str, int], ...]

VERSION: Final = 1
MAX_TOKEN: Final = 32 * 1024  # characters; a token only grows with long string sort values
_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]*")
# Naive UTC datetimes, as pymongo and mongomock hand out stored dates.
_CODEC: Final[CodecOptions[Any]] = CodecOptions(
    tz_aware=False, uuid_representation=UuidRepresentation.STANDARD
)


class CursorError(ValueError):
    """A token that cannot be used here; the message is written for the client."""


@dataclass(frozen=True)
class Scope:
    """What a token is bound to: the route, the effective sort and the filter digest."""

    route: str
    sort: SortSpec
    digest: str


@dataclass(frozen=True)
class Cursor:
    """A decoded token: the page strictly after (`next`) or before (`prev`) `values`.

    `inclusive` also takes the document at `values` itself (the way back from an empty
    page, whose boundary document the client has not seen on this page)."""

    scope: Scope
    direction: Direction
    values: tuple[Any, ...]
    inclusive: bool = False


def effective_sort(sort: Sequence[tuple[str, int]]) -> SortSpec:
    """The sort as run: repeated paths dropped, ending with `_id` (which breaks ties)."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for path, order in sort:
        if path in seen:
            continue
        seen.add(path)
        out.append((path, 1 if order >= 0 else -1))
        if path == "_id":  # the id is unique: nothing after it can change the order
            return tuple(out)
    return (*out, ("_id", 1))


def filter_digest(options: Mapping[str, Any]) -> str:
    """A short stable digest of the parsed `filter`/`where`/`match` options."""
    raw = bson.encode({"f": dict(options)}, codec_options=_CODEC)
    return _b64(hashlib.sha256(raw).digest()[:12])


def boundary(doc: Mapping[str, Any], sort: SortSpec) -> tuple[Any, ...]:
    """The sort values of a stored document; a missing value is None (they sort alike)."""
    return tuple(_get(doc, path) for path, _ in sort)


def encode_cursor(cursor: Cursor) -> str:
    """The opaque token for `cursor`."""
    payload: dict[str, Any] = {
        "v": VERSION,
        "r": cursor.scope.route,
        "s": [[path, order] for path, order in cursor.scope.sort],
        "f": cursor.scope.digest,
        "d": "n" if cursor.direction == "next" else "p",
        "b": list(cursor.values),
    }
    if cursor.inclusive:
        payload["i"] = True
    return _b64(bson.encode(payload, codec_options=_CODEC))


def decode_cursor(token: str, scope: Scope, spec: ModelSpec) -> Cursor:
    """Read a token sent back by a client for a request with `scope` on `spec`'s model.

    Raises CursorError (a ValueError) saying why the token cannot be used."""
    payload = _load(token)
    if payload.get("v") != VERSION or not isinstance(payload.get("b"), list):
        raise CursorError("the token is malformed")
    if payload.get("r") != scope.route:
        raise CursorError("the token was made for another route")
    if _sort_of(payload.get("s")) != scope.sort:
        raise CursorError("the token was made for another sort")
    if payload.get("f") != scope.digest:
        raise CursorError("the token was made for another filter")
    direction = {"n": "next", "p": "prev"}.get(payload.get("d"))  # type: ignore[arg-type]
    values: list[Any] = payload["b"]
    if direction is None or len(values) != len(scope.sort):
        raise CursorError("the token is malformed")
    for (path, _), value in zip(scope.sort, values, strict=True):
        check_value(spec, path, value)
    inclusive = payload.get("i", False) is True
    return Cursor(scope, typing.cast(Direction, direction), tuple(values), inclusive)


def sort_problem(spec: ModelSpec, sort: SortSpec) -> str | None:
    """Why `sort` cannot be walked with cursors (a list, object or link field), or None."""
    for path, _ in sort:
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            field = spec.for_options.resolve(".".join(parts[:depth]))
            if field is None:
                return f"cannot sort on the unknown field {echo(path)}"
            last = depth == len(parts)
            if field.is_list or field.open or field.link is not None:
                return f"cursors need a single-valued sort field, and {echo(path)} is not one"
            if last and field.children is not None:
                return f"cursors need a scalar sort field, and {echo(path)} is an embedded document"
    return None


def check_value(spec: ModelSpec, path: str, value: Any) -> None:
    """Refuse a boundary value that is not null or a scalar of the field's type; a number
    for an `int` or `float` field is checked as a `where` value is."""
    field = spec.for_options.resolve(path)
    kind = _kind(value)
    if field is None or kind is None:
        raise CursorError(f"the token holds an invalid value for {path}")
    if kind == "null":
        return
    expected = expected_kinds(field)
    if expected is not None and kind not in expected:
        raise CursorError(f"the token holds a {kind} for {path}, which is not of that type")
    if kind == "number" and field.annotation in (int, float):
        _check_number(field, path, value)


def _check_number(field: FieldSpec, path: str, value: Any) -> None:
    # The kind alone lets 1.5 into an int field and infinity into a float field.
    # Membership (an enum, a Literal) is not checked: stored data may lag the model.
    number = value.to_decimal() if isinstance(value, Decimal128) else value
    try:
        coerce_json(field, number)
    except CoercionError as exc:
        raise CursorError(f"the token holds an invalid value for {path}: {exc}") from None


def expected_kinds(field: FieldSpec) -> frozenset[str] | None:
    """The BSON kinds a field's values are stored as; None when the annotation says nothing."""
    return _kinds_of(field.annotation)


def _kinds_of(annotation: Any) -> frozenset[str] | None:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        kinds = {_kind(arg) for arg in typing.get_args(annotation)}
        return None if None in kinds else frozenset(k for k in kinds if k)
    if origin is not None and typing.get_args(annotation):  # a Union: any of its members
        members = [_kinds_of(a) for a in typing.get_args(annotation) if a is not type(None)]
        if any(m is None for m in members):
            return None
        return frozenset().union(*typing.cast(list[frozenset[str]], members))
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, enum.Enum):
        return frozenset(k for k in (_kind(m.value) for m in annotation) if k)
    for base, kind in _ANNOTATION_KINDS:
        if issubclass(annotation, base):
            return frozenset({kind})
    return None


_ANNOTATION_KINDS: Final[tuple[tuple[type, str], ...]] = (
    (bool, "bool"),  # before int: bool is an int in Python, not in BSON
    (int, "number"),
    (float, "number"),
    (decimal.Decimal, "number"),
    (str, "string"),
    (datetime.date, "date"),  # datetime too: a date is stored as a datetime
    (ObjectId, "objectId"),
    (uuid.UUID, "binary"),
    (bytes, "binary"),
)


def _kind(value: Any) -> str | None:
    """The comparison class MongoDB puts a scalar in; None for anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal128)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.datetime):
        return "date"
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, (Binary, uuid.UUID)):
        return "binary"
    return None


def _get(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _sort_of(raw: Any) -> SortSpec | None:
    if not isinstance(raw, list):
        return None
    pairs = [tuple(item) for item in raw if isinstance(item, list) and len(item) == 2]
    return tuple(pairs) if len(pairs) == len(raw) else None  # type: ignore[arg-type]


def _load(token: str) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN or not _ALPHABET.fullmatch(token):
        raise CursorError("the token is malformed")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return bson.decode(raw, codec_options=_CODEC)
    except (binascii.Error, ValueError, bson.errors.BSONError):
        raise CursorError("the token is malformed") from None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
