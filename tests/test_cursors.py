"""Cursor tokens without a database: the sort they bind to, round trips, refusals."""

from __future__ import annotations

import base64
import datetime
import enum
import uuid
from typing import Any, Literal

import bson
import pytest
from beanie import Document, PydanticObjectId
from bson import Decimal128, ObjectId
from pydantic import BaseModel

from autoapi.cursors import (
    Cursor,
    CursorError,
    Scope,
    boundary,
    decode_cursor,
    effective_sort,
    encode_cursor,
    filter_digest,
    sort_problem,
)
from autoapi.errors import ProblemError
from autoapi.introspect import inspect_model
from autoapi.pages import read_cursor


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    born: int | None = None


class Item(Document):
    n: int | None = None
    f: float = 0.0
    s: str = ""
    b: bool = False
    t: datetime.datetime | None = None
    d: datetime.date | None = None
    ref: PydanticObjectId | None = None
    u: uuid.UUID | None = None
    colour: Colour = Colour.RED
    size: Literal["S", "M"] = "S"
    inner: Inner = Inner()
    tags: list[str] = []
    meta: dict[str, Any] = {}

    class Settings:
        name = "items"


MODEL_SPEC = inspect_model(Item)
HEX = "5d2620aff4df8b3c4f4f03d6"
WHEN = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)


def scope(*sort: tuple[str, int], route: str = "items", flt: Any = None) -> Scope:
    return Scope(route, effective_sort(sort), filter_digest(flt or {}))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], (("_id", 1),)),
        ([("n", 1)], (("n", 1), ("_id", 1))),
        ([("n", -1), ("s", 1)], (("n", -1), ("s", 1), ("_id", 1))),
        ([("_id", -1)], (("_id", -1),)),
        ([("n", 1), ("_id", -1), ("s", 1)], (("n", 1), ("_id", -1))),  # nothing after the id
        ([("n", 1), ("n", -1)], (("n", 1), ("_id", 1))),  # the first mention wins
    ],
)
def test_effective_sort_always_ends_with_the_id(given: Any, expected: Any) -> None:
    assert effective_sort(given) == expected


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("n", 5),
        ("n", 2**62),
        ("n", None),
        ("f", 1.5),
        ("f", 3),  # an int stored in a float field is still a number
        ("f", Decimal128("1.25")),
        ("s", "été ✓"),
        ("s", ""),
        ("b", True),
        ("t", WHEN),
        ("d", datetime.datetime(2024, 1, 2)),
        ("ref", ObjectId(HEX)),
        ("u", uuid.UUID(int=7)),
        ("colour", "blue"),
        ("size", "M"),
        ("inner.born", 1961),
        ("_id", ObjectId(HEX)),
    ],
)
def test_values_round_trip_with_their_type(path: str, value: Any) -> None:
    sc = scope((path, -1))
    values = (value, ObjectId(HEX))[: len(sc.sort)]
    token = encode_cursor(Cursor(sc, "prev", values))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    cursor = decode_cursor(token, sc, MODEL_SPEC)
    assert cursor.direction == "prev"
    assert cursor.values == values
    assert all(isinstance(v, type(w)) for v, w in zip(cursor.values, values, strict=True))
    assert not cursor.inclusive


def test_inclusive_survives_the_round_trip() -> None:
    sc = scope(("n", 1))
    token = encode_cursor(Cursor(sc, "next", (1, ObjectId(HEX)), inclusive=True))
    assert decode_cursor(token, sc, MODEL_SPEC).inclusive


def test_boundary_reads_dot_paths_and_missing_values_as_null() -> None:
    sort = effective_sort([("inner.born", 1), ("s", -1), ("n", 1)])
    doc = {"_id": 1, "inner": {"born": 3}, "n": None}
    assert boundary(doc, sort) == (3, None, None, 1)
    assert boundary({"_id": 2, "inner": "odd"}, sort) == (None, None, None, 2)


def good_token(sc: Scope) -> str:
    return encode_cursor(Cursor(sc, "next", (1, ObjectId(HEX))))


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("not base64!", "malformed"),
        ("AAAA", "malformed"),
        ("A", "malformed"),
        ("x" * 40000, "malformed"),
        (base64.urlsafe_b64encode(b"\x05\x00\x00\x00\x00").decode().rstrip("="), "malformed"),
        (good_token(scope(("n", 1)))[:-3], "malformed"),
        (good_token(scope(("n", 1), route="authors/{id}/items:1")), "another route"),
        (good_token(scope(("n", -1))), "another sort"),
        (good_token(scope(("s", 1))), "another sort"),
        (good_token(scope(("n", 1), flt={"s": "x"})), "another filter"),
    ],
)
def test_refused_tokens_say_why(token: str, reason: str) -> None:
    with pytest.raises(CursorError, match=reason):
        decode_cursor(token, scope(("n", 1)), MODEL_SPEC)


def forged(sc: Scope, **changes: Any) -> str:
    payload: dict[str, Any] = {
        "v": 1,
        "r": sc.route,
        "s": [list(p) for p in sc.sort],
        "f": sc.digest,
        "d": "n",
        "b": [1, ObjectId(HEX)],
    }
    payload.update(changes)
    return base64.urlsafe_b64encode(bson.encode(payload)).decode().rstrip("=")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"v": 2}, "malformed"),
        ({"d": "sideways"}, "malformed"),
        ({"b": [1]}, "malformed"),
        ({"b": "1"}, "malformed"),
        ({"b": ["1", ObjectId(HEX)]}, "a string for n"),
        ({"b": [True, ObjectId(HEX)]}, "a bool for n"),
        ({"b": [2.0, ObjectId(HEX)]}, None),  # a whole number: MongoDB compares it with ints
        ({"b": [1.5, ObjectId(HEX)]}, "whole number"),  # refused as `where` refuses it
        ({"b": [{"$gt": 1}, ObjectId(HEX)]}, "invalid value for n"),  # no operator injection
        ({"b": [[1], ObjectId(HEX)]}, "invalid value for n"),
        ({"b": [bson.Regex("."), ObjectId(HEX)]}, "invalid value for n"),
        ({"b": [1, HEX]}, "a string for _id"),
        ({"s": "n"}, "another sort"),
    ],
)
def test_forged_values_are_type_checked(changes: dict[str, Any], reason: str | None) -> None:
    sc = scope(("n", 1))
    token = forged(sc, **changes)
    if reason is None:
        assert decode_cursor(token, sc, MODEL_SPEC).values[0] == 2.0
        return
    with pytest.raises(CursorError, match=reason):
        decode_cursor(token, sc, MODEL_SPEC)


@pytest.mark.parametrize(
    ("path", "value", "ok"),
    [
        ("colour", "green", True),  # the kind is checked, not membership: stored data may lag
        ("colour", 3, False),
        ("size", 1, False),
        ("t", "2024-01-01", False),
        ("d", 20240101, False),
        ("ref", HEX, False),
        ("u", "x", False),
        ("s", WHEN, False),
    ],
)
def test_values_of_another_kind_are_refused(path: str, value: Any, ok: bool) -> None:
    sc = scope((path, 1))
    token = encode_cursor(Cursor(sc, "next", (value, ObjectId(HEX))))
    if ok:
        assert decode_cursor(token, sc, MODEL_SPEC).values[0] == value
    else:
        with pytest.raises(CursorError, match=f"for {path}"):
            decode_cursor(token, sc, MODEL_SPEC)


@pytest.mark.parametrize(
    ("sort", "problem"),
    [
        ([("n", 1), ("inner.born", -1)], None),
        ([("_id", -1)], None),
        ([("tags", 1)], "single-valued"),
        ([("meta.x", 1)], "single-valued"),
        ([("meta", 1)], "single-valued"),
        ([("inner", 1)], "embedded document"),
    ],
)
def test_sort_fields_a_cursor_can_walk(sort: Any, problem: str | None) -> None:
    found = sort_problem(MODEL_SPEC, effective_sort(sort))
    assert found is None if problem is None else problem in (found or "")


def test_filter_digest_is_stable_and_tells_filters_apart() -> None:
    one = {"$and": [{"s": "x"}, {"n": {"$gt": 1}}]}
    assert filter_digest(one) == filter_digest({"$and": [{"s": "x"}, {"n": {"$gt": 1}}]})
    assert filter_digest(one) != filter_digest({"$and": [{"s": "x"}, {"n": {"$gt": 2}}]})
    assert filter_digest({}) != filter_digest({"s": ""})
    assert len(filter_digest(one)) == 16


@pytest.mark.parametrize(
    ("kwargs", "sort", "reason"),
    [
        ({"offset_given": True, "search": None}, [("n", 1)], "offset"),
        ({"offset_given": False, "search": "tolkien"}, [("n", 1)], "search"),
        ({"offset_given": False, "search": None}, [("tags", 1)], "single-valued"),
    ],
)
def test_read_cursor_refuses_what_cannot_go_with_it(
    kwargs: dict[str, Any], sort: Any, reason: str
) -> None:
    sc = scope(*sort)
    with pytest.raises(ProblemError) as info:
        read_cursor(good_token(sc), sc, MODEL_SPEC, **kwargs)
    assert (info.value.status, info.value.errors[0]["field"]) == (400, "cursor")
    assert reason in info.value.detail


def test_read_cursor_answers_a_bad_token_with_a_400_on_cursor() -> None:
    with pytest.raises(ProblemError) as info:
        read_cursor("zzz", scope(("n", 1)), MODEL_SPEC, offset_given=False, search=None)
    assert info.value.detail == "cursor: the token is malformed"
    sc = scope(("n", 1))
    cursor = read_cursor(good_token(sc), sc, MODEL_SPEC, offset_given=False, search=None)
    assert cursor.values == (1, ObjectId(HEX))
