"""List options parsed without a database: a table of cases per option."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bson import DBRef, ObjectId

from autoapi.errors import ProblemError
from autoapi.introspect import ModelSpec, inspect_model
from autoapi.query import and_filters, parse_list_query
from tests.models import ALL_MODELS, Author, Book

SPECS = {m: inspect_model(m, {x.__name__: x for x in ALL_MODELS}) for m in ALL_MODELS}
BOOK = SPECS[Book]
HEX = "5d2620aff4df8b3c4f4f03d6"


def parse(spec: ModelSpec, **params: Any) -> Any:
    multi = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return parse_list_query(spec, multi, SPECS.__getitem__, 100, 1000)


def assert_refused(spec: ModelSpec, param: str, **params: Any) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        parse(spec, **params)
    assert info.value.status == 400
    assert info.value.errors[0]["field"] == param
    assert info.value.detail.startswith(param)
    return info.value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("isbn=123", {"isbn": "123"}),
        ("title=a=b", {"title": "a=b"}),  # split at the first `=`
        ("isGood", {"isGood": True}),  # no `=` means true
        ("isGood=0", {"isGood": False}),
        ("isGood=1", {"isGood": True}),
        ("isGood=yes", {"isGood": True}),
        ("isGood=No", {"isGood": False}),
        ("isGood=false", {"isGood": False}),
        ("pages=12", {"pages": 12}),
        ("price=1.5", {"price": 1.5}),
        ("tags=sf", {"tags": "sf"}),  # array field: element equality
        (f"_id={HEX}", {"_id": ObjectId(HEX)}),
        (f"author={HEX}", {"author": DBRef("authors", ObjectId(HEX))}),
        ("created=2020-01-02", {"created": datetime.datetime(2020, 1, 2)}),
        ("title=", {"title": ""}),
    ],
)
def test_filter_coerces_to_the_field_type(raw: str, expected: dict[str, Any]) -> None:
    assert parse(BOOK, filter=raw).filter == expected


def test_filters_repeat_and_are_anded() -> None:
    q = parse(BOOK, filter=["isbn=1", "pages=2"])
    assert q.filter == {"$and": [{"isbn": "1"}, {"pages": 2}]}


def test_filter_dot_path_into_embedded_model() -> None:
    q = parse(SPECS[Author], filter="biography.born=1961")
    assert q.filter == {"biography.born": 1961}


def test_filter_date_field_stored_as_midnight_datetime() -> None:
    q = parse(SPECS[Author], filter="birthday=1969-07-06")
    assert q.filter == {"birthday": datetime.datetime(1969, 7, 6)}


def test_filter_into_open_dict_keeps_text() -> None:
    assert parse(SPECS[Author], filter="meta.color=red").filter == {"meta.color": "red"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("nope=1", "unknown field"),
        ("secret=hidden", "unknown field"),  # Field(exclude=True) is no oracle
        ("=1", "unknown field"),
        ("isGood=maybe", "boolean"),
        ("pages=twelve", "pages"),
        ("price=cheap", "price"),
        ("author=zz", "not a valid Author id"),
        ("_id=123", "ObjectId"),
        ("created=yesterday", "created"),
        ("biography.nope=1", "unknown field"),
    ],
)
def test_filter_refusals(raw: str, reason: str) -> None:
    assert reason in assert_refused(BOOK if "bio" not in raw else SPECS[Author], "filter",
                             filter=raw).detail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("title", [("title", 1)]),
        ("-created", [("created", -1)]),
        ("-created,title", [("created", -1), ("title", 1)]),
        ("pages title", [("pages", 1), ("title", 1)]),
        ("+pages", [("pages", 1)]),
        ("_id", [("_id", 1)]),
        ("", []),
    ],
)
def test_sort(raw: str, expected: list[tuple[str, int]]) -> None:
    assert parse(BOOK, sort=raw).sort == expected


@pytest.mark.parametrize("raw", ["nope", "-secret", "title,-bogus"])
def test_sort_unknown_field(raw: str) -> None:
    assert "unknown field" in assert_refused(SPECS[Author] if "secret" in raw else BOOK, "sort",
                                      sort=raw).detail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("title,isbn", {"title": 1, "isbn": 1}),
        ("-isbn,-pages", {"isbn": 0, "pages": 0}),
        ("title,-_id", {"title": 1, "_id": 0}),
        ("-_id", {"_id": 0}),
        ("-isbn,_id", {"isbn": 0}),  # `_id` is kept anyway when excluding
    ],
)
def test_fields_projection(raw: str, expected: dict[str, int]) -> None:
    assert parse(BOOK, fields=raw).projection == expected


@pytest.mark.parametrize(("raw", "reason"), [("title,-isbn", "mix"), ("nope", "unknown")])
def test_fields_refusals(raw: str, reason: str) -> None:
    assert reason in assert_refused(BOOK, "fields", fields=raw).detail


def test_hidden_field_cannot_be_projected() -> None:
    assert_refused(SPECS[Author], "fields", fields="secret")


@pytest.mark.parametrize(
    ("params", "skip", "limit"),
    [({}, 0, 100), ({"offset": "5"}, 5, 100), ({"limit": "1"}, 0, 1),
     ({"limit": "1000"}, 0, 1000), ({"offset": "0", "limit": ""}, 0, 100)],
)
def test_paging(params: dict[str, str], skip: int, limit: int) -> None:
    q = parse(BOOK, **params)
    assert (q.skip, q.limit) == (skip, limit)


@pytest.mark.parametrize(
    ("param", "value"),
    [("offset", "-1"), ("offset", "x"), ("limit", "0"), ("limit", "1001"), ("limit", "1.5"),
     ("offset", "9" * 30)],
)
def test_paging_refusals(param: str, value: str) -> None:
    assert_refused(BOOK, param, **{param: value})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"populate": "author"}, ("author",)),
        ({"populate": "author,coauthor"}, ("author", "coauthor")),
        ({"populate[]": ["author", "coauthor"]}, ("author", "coauthor")),
        ({"populate": ["author", "coauthor"]}, ("author", "coauthor")),
        ({"populate": "author.publisher"}, ("author", "author.publisher")),
        ({"populate": "author.inspired.author"},
         ("author", "author.inspired", "author.inspired.author")),
    ],
)
def test_populate_spellings(params: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert parse(BOOK, **params).populate == expected


@pytest.mark.parametrize(
    "raw", ["title", "nope", "author.firstName", "author.inspired.author.publisher"]
)
def test_populate_refusals(raw: str) -> None:
    assert_refused(BOOK, "populate", populate=raw)


def test_and_filters_keeps_text_at_top_level() -> None:
    text = {"$text": {"$search": "x"}}
    assert and_filters([text, {"a": 1}]) == {"$text": {"$search": "x"}, "a": 1}
    assert and_filters([{"a": 1}, {"a": 2}]) == {"$and": [{"a": 1}, {"a": 2}]}
    assert and_filters([]) == {}
