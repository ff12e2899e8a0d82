"""Walking cursors over a real collection: every document once each way, in MongoDB's order.

Random documents (nulls, missing values, duplicates, mixed directions, 1-3 sort keys) go
into a mongomock collection; the walk runs the queries the list route runs (the effective
filter AND the keyset range, the run sort, `limit + 1`) and is compared with
`find().sort(...)` on the same collection. The same walk runs against the server named by
`MONGODB_URL` (CI's wire-protocol lane) when it is set.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import mongomock
import pytest
from beanie import Document
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoapi.cursors import Scope, decode_cursor, effective_sort, filter_digest
from autoapi.introspect import inspect_model
from autoapi.pages import Page, cursor_page, cursor_query, offset_page


class Row(Document):
    n: int | None = None
    s: str | None = None
    f: float | None = None
    t: datetime.datetime | None = None
    b: bool | None = None

    class Settings:
        name = "rows"


MODEL_SPEC = inspect_model(Row)
MISSING = object()
DAY = datetime.datetime(2024, 5, 1, 12, 0, 0, 123000)
VALUES: dict[str, list[Any]] = {
    "n": [-2, 0, 1, 7],
    "s": ["", "B", "a", "ab"],
    "f": [-1.5, 0.0, 1, 2.5],  # the int 1 in a float field: numbers compare across types
    "t": [DAY, DAY + datetime.timedelta(milliseconds=1), DAY.replace(year=1999)],
    "b": [False, True],
}
FILTERS: list[dict[str, Any]] = [{}, {"n": {"$ne": 0}}, {"b": {"$ne": True}}]


def oid(i: int) -> ObjectId:
    return ObjectId(f"{i:024x}")


@st.composite
def rows(draw: st.DrawFn, start: int = 0, most: int = 25) -> list[dict[str, Any]]:
    count = draw(st.integers(0, most))
    out = []
    for i in range(start, start + count):
        doc: dict[str, Any] = {"_id": oid(i)}
        for key, choices in VALUES.items():
            value = draw(st.sampled_from([MISSING, None, *choices]))
            if value is not MISSING:
                doc[key] = value
        out.append(doc)
    return out


sorts = st.lists(
    st.tuples(st.sampled_from([*VALUES, "_id"]), st.sampled_from([1, -1])),
    min_size=1,
    max_size=3,
    unique_by=lambda pair: pair[0],
)


class Walker:
    """Runs pages the way the list route does, against one collection."""

    def __init__(self, coll: Any, sort: list[tuple[str, int]], flt: dict[str, Any], limit: int):
        self.coll, self.flt, self.limit = coll, flt, limit
        self.scope = Scope("rows", effective_sort(sort), filter_digest(flt))

    def first(self) -> Page:
        raw = self.coll.find(self.flt).sort(list(self.scope.sort)).limit(self.limit + 1)
        return offset_page(list(raw), self.limit, 0, self.scope)

    def follow(self, token: str) -> Page:
        cursor = decode_cursor(token, self.scope, MODEL_SPEC)
        keyset, sort = cursor_query(cursor)
        query = {"$and": [self.flt, keyset]} if self.flt else keyset
        raw = self.coll.find(query).sort(sort).limit(self.limit + 1)
        return cursor_page(list(raw), self.limit, cursor)

    def expected(self) -> list[ObjectId]:
        return [d["_id"] for d in self.coll.find(self.flt).sort(list(self.scope.sort))]

    def forward(self, between: Any = None) -> tuple[list[ObjectId], Page]:
        page = self.first()
        seen = ids(page)
        while page.next is not None:
            if between is not None:
                between()
            page = self.follow(page.next)
            seen += ids(page)
        return seen, page

    def backward(self, last: Page, between: Any = None) -> list[ObjectId]:
        seen, page = ids(last), last
        while page.prev is not None:
            if between is not None:
                between()
            page = self.follow(page.prev)
            seen = ids(page) + seen
        return seen


def ids(page: Page) -> list[ObjectId]:
    return [d["_id"] for d in page.docs]


def check_walks(coll: Any, docs: list[dict[str, Any]], sort: Any, flt: Any, limit: int) -> None:
    coll.delete_many({})
    if docs:
        coll.insert_many(docs)
    walker = Walker(coll, sort, flt, limit)
    expected = walker.expected()
    forward, last = walker.forward()
    assert forward == expected
    assert walker.backward(last) == expected
    assert (last.next, last.prev is None) == (None, len(expected) <= limit)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), sorts, st.sampled_from(FILTERS), st.integers(1, 6))
def test_walks_visit_every_document_once_each_way_in_sort_order(
    docs: list[dict[str, Any]], sort: list[tuple[str, int]], flt: dict[str, Any], limit: int
) -> None:
    check_walks(mongomock.MongoClient().db.rows, docs, sort, flt, limit)


class Churn:
    """Between two pages: maybe delete a present document, maybe insert a new one."""

    def __init__(self, coll: Any, extra: list[dict[str, Any]], data: st.DataObject) -> None:
        self.coll, self.pending, self.data = coll, list(extra), data
        self.removed: set[ObjectId] = set()

    def __call__(self) -> None:
        present = [d["_id"] for d in self.coll.find({}, {"_id": 1})]
        if present and self.data.draw(st.booleans()):
            gone = self.data.draw(st.sampled_from(present))
            self.coll.delete_one({"_id": gone})
            self.removed.add(gone)
        if self.pending and self.data.draw(st.booleans()):
            self.coll.insert_one(self.pending.pop())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), rows(start=1000, most=15), sorts, st.integers(1, 4), st.booleans(), st.data())
def test_walks_survive_inserts_and_deletes_between_pages(
    docs: list[dict[str, Any]],
    extra: list[dict[str, Any]],
    sort: list[tuple[str, int]],
    limit: int,
    backwards: bool,
    data: st.DataObject,
) -> None:
    coll = mongomock.MongoClient().db.rows
    if docs:
        coll.insert_many(docs)
    walker = Walker(coll, sort, {}, limit)
    initial = set(walker.expected())
    churn = Churn(coll, extra, data)
    if backwards:
        _, last = walker.forward()
        seen = walker.backward(last, churn)  # pages put back in display order
    else:
        seen, _ = walker.forward(churn)
    assert len(seen) == len(set(seen)), "a document was visited twice"
    assert initial - churn.removed <= set(seen), "a document that stayed was skipped"
    still_there = [i for i in walker.expected() if i in set(seen)]
    assert [i for i in seen if i in set(still_there)] == still_there, "out of order"


def test_an_empty_collection_is_one_page_without_tokens() -> None:
    walker = Walker(mongomock.MongoClient().db.rows, [("n", 1)], {}, 3)
    page = walker.first()
    assert (page.docs, page.next, page.prev) == ([], None, None)


def test_a_page_emptied_by_deletes_leads_back_to_the_page_it_came_from() -> None:
    coll = mongomock.MongoClient().db.rows
    coll.insert_many([{"_id": oid(i), "n": i} for i in range(4)])
    walker = Walker(coll, [("n", 1)], {}, 2)
    first = walker.first()
    assert first.next is not None
    coll.delete_many({"n": {"$gte": 2}})
    empty = walker.follow(first.next)
    assert (empty.docs, empty.next) == ([], None)
    assert empty.prev is not None
    assert ids(walker.follow(empty.prev)) == [oid(0), oid(1)]


WIRE_URL = os.environ.get("MONGODB_URL")


@pytest.mark.skipif(WIRE_URL is None, reason="MONGODB_URL is not set (CI's wire lane sets it)")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(most=15), sorts, st.sampled_from(FILTERS), st.integers(1, 4))
def test_walks_on_a_server(
    docs: list[dict[str, Any]], sort: list[tuple[str, int]], flt: dict[str, Any], limit: int
) -> None:
    import pymongo

    client: Any = pymongo.MongoClient(WIRE_URL, serverSelectionTimeoutMS=5000)
    try:
        check_walks(client.autoapi_pages_walk.rows, docs, sort, flt, limit)
    finally:
        client.close()


def test_null_and_missing_sort_lowest_and_tie_by_id() -> None:
    # What the walks compare with: the stand-in's own sort, here pinned down once.
    coll = mongomock.MongoClient().db.rows
    coll.insert_many([{"_id": oid(1), "n": 2}, {"_id": oid(2), "n": None}, {"_id": oid(3)}])
    walker = Walker(coll, [("n", 1)], {}, 5)
    assert walker.expected() == [oid(2), oid(3), oid(1)]  # null and missing sort lowest, by id
    forward, _ = walker.forward()
    assert forward == [oid(2), oid(3), oid(1)]
