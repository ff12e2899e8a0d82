"""Typed values, checked field paths, the shared budget and the regex budget: a table of
parsed cases (no database), then the named examples over HTTP."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from autoapi.limits import MAX_OPERATORS, MAX_WHERE_BYTES
from tests.conftest import assert_problem
from tests.models import Author, Book
from tests.test_query_parse import BOOK, HEX, SPECS, assert_refused, parse

AUTHOR = SPECS[Author]


def many_operators(count: int) -> str:
    """A `where` holding exactly `count` operators (one `$and` and its `$gt`s)."""
    return json.dumps({"$and": [{"pages": {"$gt": i}} for i in range(count - 1)]})


# --- parsed, no database ------------------------------------------------------------------

REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    # (id, params, parameter named, fragment of the detail)
    ("number for a date", {"where": '{"created": {"$gt": 1}}'}, "where", "ISO 8601"),
    ("number string for a date", {"where": '{"created": "1"}'}, "where", "ISO 8601"),
    ("number in $in of dates", {"where": '{"created": {"$in": [1.5]}}'}, "where", "ISO 8601"),
    ("number for a bool", {"where": '{"isGood": 1}'}, "where", "true or false"),
    ("string for a number", {"where": '{"pages": {"$lte": "many"}}'}, "where", "pages"),
    ("number for a string", {"where": '{"title": {"$ne": 5}}'}, "where", "title"),
    ("timestamp filter on a date", {"filter": "created=1600000000"}, "filter", "ISO 8601"),
    ("$regex on a link", {"where": '{"author": {"$regex": "a"}}'}, "where", "text fields"),
    ("$regex on a date", {"where": '{"created": {"$regex": "2020"}}'}, "where", "text fields"),
    ("$regex on _id", {"where": '{"_id": {"$regex": "^5"}}'}, "where", "text fields"),
    ("$regex on a number", {"where": '{"pages": {"$regex": "1"}}'}, "where", "text fields"),
    ("$regex on a bool", {"where": '{"isGood": {"$regex": "t"}}'}, "where", "text fields"),
    ("$not pattern on a number", {"where": '{"pages": {"$not": "1"}}'}, "where", "text fields"),
    ("match on a link", {"match": "author=5"}, "match", "text fields"),
    ("match on a number", {"match": "pages=1"}, "match", "text fields"),
    ("empty segment in filter", {"filter": "isbn..x=1"}, "filter", "empty part"),
    ("NUL in filter", {"filter": "ti\x00tle=a"}, "filter", "NUL"),
    ("NUL in sort", {"sort": "title\x00"}, "sort", "NUL"),
    ("NUL in fields", {"fields": "title,\x00"}, "fields", "NUL"),
    ("NUL in match", {"match": "tit\x00le=a"}, "match", "NUL"),
    ("NUL in populate", {"populate": "author\x00"}, "populate", "NUL"),
    ("$ in sort", {"sort": "$natural"}, "sort", "'$'"),
    ("$ in fields", {"fields": "$where"}, "fields", "'$'"),
    ("$ in filter", {"filter": "tags.$=x"}, "filter", "'$'"),
    ("$ in populate", {"populate": "$author"}, "populate", "'$'"),
    ("empty segment in sort", {"sort": "author..x"}, "sort", "empty part"),
    ("empty segment in populate", {"populate": "author..publisher"}, "populate", "empty part"),
    ("where operators beyond the limit", {"where": [many_operators(MAX_OPERATORS)] * 2},
     "where", f"limit of {MAX_OPERATORS} operators"),
    ("filters count as operators", {"filter": ["isGood"] * (MAX_OPERATORS + 1)},
     "filter", f"limit of {MAX_OPERATORS} operators"),
    ("a match counts as an operator",
     {"where": many_operators(MAX_OPERATORS), "match": "title=a"},
     "match", f"limit of {MAX_OPERATORS} operators"),
    ("bytes add up over where values",
     {"where": [json.dumps({"title": "a" * (MAX_WHERE_BYTES // 2)})] * 2},
     "where", f"limit of {MAX_WHERE_BYTES} bytes"),
    ("bytes add up over filter and match",
     {"filter": "title=" + "a" * (MAX_WHERE_BYTES // 2), "match": "isbn=" + "b" * 9000},
     "match", f"limit of {MAX_WHERE_BYTES} bytes"),
    ("match outside the regex budget", {"match": "title=^(a+)+$"}, "match", "pattern refused"),
    ("$regex outside the regex budget", {"where": '{"title": {"$regex": "(a|a)*b"}}'},
     "where", "pattern refused"),
    ("$not outside the regex budget", {"where": '{"title": {"$not": "(x+x+)+y"}}'},
     "where", "pattern refused"),
    ("backreference in match", {"match": "title=(a)\\1"}, "match", "backreferences"),
    ("lookahead in $regex", {"where": '{"isbn": {"$regex": "(?=1)", "$options": "i"}}'},
     "where", "lookahead"),
    ("search too long", {"search": "a" * 513}, "search", "512"),
]


@pytest.mark.parametrize(("params", "param", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused(params: dict[str, Any], param: str, fragment: str) -> None:
    error = assert_refused(BOOK, param, **params)
    assert fragment in error.detail


def test_refusals_name_the_field() -> None:
    assert "created" in assert_refused(BOOK, "where", where='{"created": {"$gt": 1}}').detail
    assert "title" in assert_refused(BOOK, "match", match="title=(a+)+").detail
    assert "author" in assert_refused(BOOK, "where", where='{"author": {"$regex": "a"}}').detail


ACCEPTED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("ISO date under $gt", {"where": '{"created": {"$gt": "2020-01-01"}}'},
     {"created": {"$gt": datetime.datetime(2020, 1, 1)}}),
    ("bool under $ne", {"where": '{"isGood": {"$ne": true}}'}, {"isGood": {"$ne": True}}),
    ("$regex on a list of strings", {"where": '{"tags": {"$regex": "^s"}}'},
     {"tags": {"$regex": "^s"}}),
    ("match on a dict field", {"match": "meta.note=x"}, {"meta.note": {"$regex": "x"}}),
    ("unset link by filter", {"filter": "coauthor=null"}, {"coauthor": None}),
    ("link id by filter", {"filter": f"coauthor={HEX}"}, {"coauthor": {"$ref": "authors"}}),
    ("exactly the operator limit",
     {"where": many_operators(MAX_OPERATORS - 1), "filter": "isGood"},
     {"$and": [{"isGood": True}, json.loads(many_operators(MAX_OPERATORS - 1))]}),
]


@pytest.mark.parametrize(("params", "expected"), [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepted(params: dict[str, Any], expected: dict[str, Any]) -> None:
    spec = AUTHOR if "meta.note" in str(params) else BOOK
    found = parse(spec, **params).filter
    if "coauthor" in expected and expected["coauthor"] is not None:
        assert found["coauthor"].collection == "authors"
        assert str(found["coauthor"].id) == HEX
    else:
        assert found == expected


# --- the named examples over HTTP ---------------------------------------------------------


async def books(client: httpx.AsyncClient, **params: str | list[str]) -> httpx.Response:
    return await client.get("/api/books", params=params)


async def test_where_gt_number_on_a_date_is_400(client: httpx.AsyncClient) -> None:
    body = assert_problem(await books(client, where='{"created": {"$gt": 1}}'), 400, "where")
    assert "created" in body["detail"]


@pytest.mark.parametrize("field", ["author", "created", "_id"])
async def test_regex_on_a_link_a_date_or_id_is_400(client: httpx.AsyncClient, field: str) -> None:
    where = json.dumps({field: {"$regex": "^5"}})
    body = assert_problem(await books(client, where=where), 400, "where")
    assert field in body["detail"]


async def test_match_on_a_link_is_400(client: httpx.AsyncClient) -> None:
    assert_problem(await books(client, match="author=^5"), 400, "match")


async def test_filter_link_null_matches_unset(client: httpx.AsyncClient) -> None:
    writer = Author(firstName="Kurt", lastName="Vonnegut")
    await writer.insert()
    await Book(title="alone", author=writer).insert()
    await Book(title="shared", author=writer, coauthor=writer).insert()
    response = await books(client, filter="coauthor=null")
    assert response.status_code == 200, response.text
    assert [item["title"] for item in response.json()["items"]] == ["alone"]
    where = await books(client, where='{"coauthor": null}')
    assert [item["title"] for item in where.json()["items"]] == ["alone"]


async def test_filter_with_an_empty_segment_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/authors", params={"filter": "meta..x=1"})
    assert_problem(response, 400, "filter")


@pytest.mark.parametrize(("param", "value"), [
    ("sort", "title\x00"), ("fields", "ti\x00tle"), ("filter", "tit\x00le=a"),
    ("match", "ti\x00tle=a"),
])
async def test_nul_in_a_path_is_400(client: httpx.AsyncClient, param: str, value: str) -> None:
    body = assert_problem(await books(client, **{param: value}), 400, param)
    assert "\x00" not in body["detail"]


async def test_twenty_wheres_of_100_operators_are_400(client: httpx.AsyncClient) -> None:
    # The most compact 100 operators, so that twenty of them fit in a URL.
    one = json.dumps({"$or": [{"$or": [{}]}] * (MAX_OPERATORS - 1)}, separators=(",", ":"))
    assert (await books(client, where=one)).status_code == 200
    query = "&".join(["where=" + quote(one, safe="$:,[]")] * 20)  # under httpx's URL limit
    body = assert_problem(await client.get(f"/api/books?{query}"), 400, "where")
    assert f"limit of {MAX_OPERATORS} operators" in body["detail"]


@pytest.mark.parametrize("pattern", ["^(a+)+$", "(a+)+$"])
async def test_catastrophic_match_is_400_fast(client: httpx.AsyncClient, pattern: str) -> None:
    await Book(title="a" * 39 + "!").insert()  # what (a+)+$ needs exponential time to refuse
    await books(client, match="title=^a")  # warm up the route
    started = time.perf_counter()
    response = await books(client, match=f"title={pattern}")
    elapsed = time.perf_counter() - started
    body = assert_problem(response, 400, "match")
    assert "title" in body["detail"]
    assert elapsed < 0.05, f"{elapsed * 1000:.0f} ms"
