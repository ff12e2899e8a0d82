"""Pages without a database: range filters, page tokens, the Link header, count modes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from autoapi.cursors import Cursor, Scope, _load, effective_sort, encode_cursor
from autoapi.errors import ProblemError
from autoapi.pages import (
    count_limit,
    count_mode,
    cursor_page,
    cursor_query,
    keyset_filter,
    link_header,
    offset_page,
    parse_count,
    run_sort,
    total_fields,
)

NOTHING = {"_id": {"$in": []}}
A_SORT = (("a", 1), ("_id", 1))
MIXED = (("a", -1), ("b", 1), ("_id", 1))


@pytest.mark.parametrize(
    ("sort", "values", "direction", "expected"),
    [
        ((("_id", 1),), (5,), "next", {"_id": {"$gt": 5}}),
        ((("_id", 1),), (5,), "prev", {"_id": {"$lt": 5}}),
        ((("_id", -1),), (5,), "next", {"_id": {"$lt": 5}}),
        (
            A_SORT,
            (3, 9),
            "next",
            {"$or": [{"a": {"$gt": 3}}, {"a": 3, "_id": {"$gt": 9}}]},
        ),
        (
            A_SORT,
            (3, 9),
            "prev",  # below 3 lies null and missing too
            {"$or": [{"$or": [{"a": {"$lt": 3}}, {"a": None}]}, {"a": 3, "_id": {"$lt": 9}}]},
        ),
        (
            A_SORT,
            (None, 9),
            "next",  # everything that is not null lies above null
            {"$or": [{"a": {"$ne": None}}, {"a": None, "_id": {"$gt": 9}}]},
        ),
        (A_SORT, (None, 9), "prev", {"a": None, "_id": {"$lt": 9}}),  # nothing below null
        (
            MIXED,
            ("x", None, 9),
            "next",
            {
                "$or": [
                    {"$or": [{"a": {"$lt": "x"}}, {"a": None}]},
                    {"a": "x", "b": {"$ne": None}},
                    {"a": "x", "b": None, "_id": {"$gt": 9}},
                ]
            },
        ),
        (
            MIXED,
            (None, 2, 9),
            "prev",
            {
                "$or": [
                    {"a": {"$ne": None}},
                    {"a": None, "$or": [{"b": {"$lt": 2}}, {"b": None}]},
                    {"a": None, "b": 2, "_id": {"$lt": 9}},
                ]
            },
        ),
    ],
)
def test_keyset_filter(sort: Any, values: Any, direction: Any, expected: Any) -> None:
    assert keyset_filter(sort, values, direction) == expected


@pytest.mark.parametrize(
    ("values", "direction", "expected"),
    [
        ((3, 9), "next", {"$or": [{"a": {"$gt": 3}}, {"a": 3, "_id": {"$gte": 9}}]}),
        (
            (3, 9),
            "prev",
            {"$or": [{"$or": [{"a": {"$lt": 3}}, {"a": None}]}, {"a": 3, "_id": {"$lte": 9}}]},
        ),
    ],
)
def test_inclusive_keyset_takes_the_boundary_document(
    values: Any, direction: Any, expected: Any
) -> None:
    assert keyset_filter(A_SORT, values, direction, inclusive=True) == expected


def test_a_position_with_nothing_beyond_selects_nothing() -> None:
    assert keyset_filter((("a", 1),), (None,), "prev") == NOTHING
    assert keyset_filter((("a", -1),), (None,), "next") == NOTHING


def test_prev_runs_the_sort_reversed() -> None:
    assert run_sort(MIXED, "next") == list(MIXED)
    assert run_sort(MIXED, "prev") == [("a", 1), ("b", -1), ("_id", -1)]


SCOPE = Scope("items", effective_sort([("n", 1)]), "digest")


def docs(*ids: int) -> list[dict[str, Any]]:
    return [{"_id": i, "n": i * 10} for i in ids]


def position(token: str | None) -> tuple[str, tuple[Any, ...]] | None:
    """Which way a token walks and from where (read back without the type checks)."""
    if token is None:
        return None
    payload = _load(token)
    return payload["d"], tuple(payload["b"])


@pytest.mark.parametrize(
    ("raw", "offset", "ids", "next_at", "prev_at"),
    [
        (docs(), 0, [], None, None),
        (docs(1, 2), 0, [1, 2], None, None),
        (docs(1, 2, 3), 0, [1, 2], ("n", (20, 2)), None),  # the extra document: more ahead
        (docs(3, 4, 5), 2, [3, 4], ("n", (40, 4)), ("p", (30, 3))),
        (docs(5), 4, [5], None, ("p", (50, 5))),
        (docs(), 9, [], None, None),  # an offset past the end
    ],
)
def test_offset_pages(raw: Any, offset: int, ids: Any, next_at: Any, prev_at: Any) -> None:
    page = offset_page(raw, 2, offset, SCOPE)
    assert [d["_id"] for d in page.docs] == ids
    assert (position(page.next), position(page.prev)) == (next_at, prev_at)


@pytest.mark.parametrize(
    ("direction", "raw", "ids", "next_at", "prev_at"),
    [
        ("next", docs(3, 4, 5), [3, 4], ("n", (40, 4)), ("p", (30, 3))),
        ("next", docs(3, 4), [3, 4], None, ("p", (30, 3))),
        # prev runs reversed: the page comes back in display order
        ("prev", docs(4, 3, 2), [3, 4], ("n", (40, 4)), ("p", (30, 3))),
        ("prev", docs(4, 3), [3, 4], ("n", (40, 4)), None),
    ],
)
def test_cursor_pages(direction: Any, raw: Any, ids: Any, next_at: Any, prev_at: Any) -> None:
    cursor = Cursor(SCOPE, direction, (50, 5))
    page = cursor_page(raw, 2, cursor)
    assert [d["_id"] for d in page.docs] == ids
    assert (position(page.next), position(page.prev)) == (next_at, prev_at)


@pytest.mark.parametrize(("direction", "back"), [("next", "prev"), ("prev", "next")])
def test_an_empty_cursor_page_points_back_inclusively(direction: Any, back: str) -> None:
    page = cursor_page([], 2, Cursor(SCOPE, direction, (50, 5)))
    token = page.prev if back == "prev" else page.next
    assert page.docs == [] and (page.next if back == "prev" else page.prev) is None
    assert token == encode_cursor(Cursor(SCOPE, back, (50, 5), inclusive=True))  # type: ignore[arg-type]


def test_cursor_query_combines_the_range_and_the_run_sort() -> None:
    keyset, sort = cursor_query(Cursor(SCOPE, "prev", (50, 5)))
    assert keyset == keyset_filter(SCOPE.sort, (50, 5), "prev")
    assert sort == [("n", -1), ("_id", -1)]


BASE = "http://h/api/books"


@pytest.mark.parametrize(
    ("url", "nxt", "prev", "expected"),
    [
        (BASE, None, None, None),
        (BASE, "N1", None, f'<{BASE}?cursor=N1>; rel="next"'),
        (BASE, None, "P1", f'<{BASE}?cursor=P1>; rel="prev"'),
        (
            f"{BASE}?offset=20&limit=5&cursor=OLD&sort=-created",
            "N1",
            "P1",
            f'<{BASE}?limit=5&sort=-created&cursor=N1>; rel="next", '
            f'<{BASE}?limit=5&sort=-created&cursor=P1>; rel="prev"',
        ),
        (
            f"{BASE}?filter=title%3Da%2Cb&filter=isGood&populate[]=author",
            "N",
            None,
            f"<{BASE}?filter=title%3Da%2Cb&filter=isGood&populate%5B%5D=author&cursor=N>;"
            ' rel="next"',
        ),
    ],
)
def test_link_header(url: str, nxt: Any, prev: Any, expected: Any) -> None:
    assert link_header(url, nxt, prev) == expected


def test_link_header_keeps_every_other_parameter_value() -> None:
    url = f"{BASE}?where=%7B%22a%22%3A%201%7D&match=s%3D%28%3Fi%29x&count=none&offset=3"
    header = link_header(url, "T", None)
    assert header is not None
    target = header[1 : header.index(">")]
    assert parse_qs(urlsplit(target).query) == {
        "where": ['{"a": 1}'],
        "match": ["s=(?i)x"],
        "count": ["none"],
        "cursor": ["T"],
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "exact"),
        ("", "exact"),
        ("exact", "exact"),
        ("estimated", "estimated"),
        ("none", "none"),
    ],
)
def test_parse_count(raw: str | None, expected: str) -> None:
    assert parse_count(raw) == expected


def test_parse_count_uses_the_default_and_refuses_other_words() -> None:
    assert parse_count(None, default="none") == "none"
    for bad in ("EXACT", "all", "x" * 200):
        with pytest.raises(ProblemError) as info:
            parse_count(bad)
        assert (info.value.status, info.value.errors[0]["field"]) == (400, "count")
        assert len(info.value.detail) < 120


@pytest.mark.parametrize(
    ("requested", "flt", "expected"),
    [
        ("estimated", {}, "estimated"),
        ("estimated", {"author": "x"}, "exact"),
        ("exact", {}, "exact"),
        ("none", {"a": 1}, "none"),
    ],
)
def test_count_mode(requested: Any, flt: Any, expected: str) -> None:
    assert count_mode(requested, flt) == expected


@pytest.mark.parametrize(
    ("mode", "counted", "max_count", "expected"),
    [
        ("exact", 7, None, {"total": 7}),
        ("exact", 7, 7, {"total": 7}),
        ("exact", 8, 7, {"total": 7, "total_truncated": True}),
        ("estimated", 1000, 10, {"total": 1000, "total_estimated": True}),
        ("none", None, None, {"total": None}),
    ],
)
def test_total_fields(mode: Any, counted: Any, max_count: Any, expected: Any) -> None:
    assert total_fields(mode, counted, max_count) == expected


def test_count_limit_asks_for_one_more_than_the_cap() -> None:
    assert (count_limit(None), count_limit(50)) == (None, 51)
