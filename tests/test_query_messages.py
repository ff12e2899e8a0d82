"""Integers in the query string are plain ASCII digits, and every message about a value is
written for people: no pydantic text, no Python reprs, the value cut to 64 characters."""

from __future__ import annotations

from typing import Any

import pytest

from autoapi.errors import ProblemError
from autoapi.introspect import inspect_model
from autoapi.query import parse_list_query
from tests.models import ALL_MODELS, Book

SPECS = {m: inspect_model(m, {x.__name__: x for x in ALL_MODELS}) for m in ALL_MODELS}
BOOK = SPECS[Book]
LONG = "7" * 200
PYTHON_TEXT = ("Input should", "pydantic", "ValidationError", "int()", "base 10", "\\u")


def parse(**params: Any) -> Any:
    multi = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return parse_list_query(BOOK, multi, SPECS.__getitem__, 100, 1000)


def refused(param: str, **params: Any) -> str:
    """The message of the 400 naming `param`, checked for what a person must never see."""
    with pytest.raises(ProblemError) as info:
        parse(**params)
    problem = info.value
    assert problem.status == 400 and problem.errors[0]["field"] == param
    message = problem.errors[0]["message"]
    assert not any(text in message for text in PYTHON_TEXT), message
    assert len(message) < 160, message  # the echoed value is cut
    return message


@pytest.mark.parametrize(
    ("param", "raw", "value"),
    [
        ("limit", "10", 10),
        ("limit", "0010", 10),
        ("offset", "0", 0),
        ("offset", "123", 123),
        ("offset", "", 0),  # empty: the default
    ],
)
def test_plain_integers_are_read(param: str, raw: str, value: int) -> None:
    query = parse(**{param: raw})
    assert (query.skip if param == "offset" else query.limit) == value


@pytest.mark.parametrize(
    ("param", "raw", "says"),
    [
        ("limit", "1_0", "expected a whole number (digits 0-9), got '1_0'"),
        ("limit", " 3", "expected a whole number (digits 0-9), got ' 3'"),
        ("limit", "3 ", "expected a whole number (digits 0-9), got '3 '"),
        ("limit", "+3", "expected a whole number (digits 0-9), got '+3'"),
        ("limit", "\u0663", "expected a whole number (digits 0-9), got '\u0663'"),  # Arabic 3
        ("offset", "\uff11", "expected a whole number (digits 0-9), got '\uff11'"),  # fullwidth 1
        ("offset", "1e3", "expected a whole number (digits 0-9), got '1e3'"),
        ("offset", "1.0", "expected a whole number (digits 0-9), got '1.0'"),
        ("offset", "--1", "expected a whole number (digits 0-9), got '--1'"),
        ("offset", "-1", "must be between 0 and 9007199254740992, got '-1'"),
        ("limit", "0", "must be between 1 and 1000, got '0'"),
        ("limit", "1001", "must be between 1 and 1000, got '1001'"),
        ("offset", LONG, f"must be between 0 and 9007199254740992, got '{'7' * 64}…'"),
        ("limit", "x" * 200, f"expected a whole number (digits 0-9), got '{'x' * 64}…'"),
    ],
)
def test_other_integers_are_refused_in_plain_words(param: str, raw: str, says: str) -> None:
    assert refused(param, **{param: raw}) == says


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("pages=1_0", "expected a whole number (digits 0-9), got '1_0'"),
        ("pages= 3", "expected a whole number (digits 0-9), got ' 3'"),
        ("pages=\u0663", "expected a whole number (digits 0-9), got '\u0663'"),
        ("pages=3.5", "expected a whole number (digits 0-9), got '3.5'"),
        ("pages=" + LONG, "integer out of the 64-bit range MongoDB stores"),
        ("price=1_0.5", "expected a number such as 1.5 or -2, got '1_0.5'"),
        ("price=abc", "expected a number such as 1.5 or -2, got 'abc'"),
        ("price=nan", "expected a number such as 1.5 or -2, got 'nan'"),
        ("isGood=maybe", "expected a boolean (1/0/true/false/yes/no), got 'maybe'"),
        ("author=nope", "not a valid Author id: 'nope'"),
        ("author=" + "z" * 100, f"not a valid Author id: '{'z' * 64}…'"),
        ("_id=123", "not a valid ObjectId: '123'"),
        ("created=yesterday", "expected an ISO 8601 date such as 2020-01-31, got 'yesterday'"),
    ],
)
def test_filter_values_are_refused_in_plain_words(raw: str, says: str) -> None:
    assert says in refused("filter", filter=raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("pages=-3", -3), ("pages=007", 7), ("price=-2", -2.0), ("price=.5", 0.5), ("price=1e3", 1e3)],
)
def test_plain_numbers_in_filters_are_read(raw: str, expected: float) -> None:
    field = raw.split("=")[0]
    assert parse(filter=raw).filter == {field: expected}


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ('{"pages": "1_0"}', "expected a whole number (digits 0-9), got '1_0'"),
        ('{"pages": {"$gt": "x"}}', "expected a whole number (digits 0-9), got 'x'"),
        ('{"pages": 1.5}', "must be a whole number, got '1.5'"),
        ('{"pages": [1]}', "pages"),
    ],
)
def test_where_values_are_refused_in_plain_words(where: str, says: str) -> None:
    assert says in refused("where", where=where)
