"""The deferred render (ids, links and dates left to the response encoder) writes the same
bytes as rendering every field eagerly, on every path through it. No database needed."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from beanie import Document
from bson import Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary
from bson.son import SON
from pydantic import Field

from autoapi import AutoAPI
from autoapi.introspect import ModelSpec
from autoapi.serialize import (
    JSONResponse,
    jsonable,
    render_deferred,
    render_field,
    render_page,
    render_stored,
)
from tests.models import ALL_MODELS, Author, Book, Thing, Versioned


class Dated(Document):
    """A date field: rendered without its time even when the document is copied whole."""

    name: str
    day: datetime.date | None = None
    days: list[datetime.date] = Field(default_factory=list)

    class Settings:
        name = "dated"


SPECS = AutoAPI(models=[*ALL_MODELS, Dated]).specs
OID, REF = ObjectId("5f1d7f3e9b1e8a3c4d5e6f70"), ObjectId("5f1d7f3e9b1e8a3c4d5e6f71")
WHEN = datetime.datetime(2021, 3, 4, 5, 6, 7, 891234)


def eager(spec: ModelSpec, raw: dict[str, Any], version_key: bool) -> dict[str, Any]:
    """The obvious render: every visible field through `render_field`, in declaration order."""
    out = {"_id": jsonable(raw["_id"])} if "_id" in raw else {}
    for key, fld in spec.fields.items():
        if not fld.hidden and key in raw:
            out[key] = render_field(fld, raw[key])
    if version_key and spec.use_revision and "revision_id" in raw:
        out["revision_id"] = jsonable(raw["revision_id"])
    return out


def book(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "_id": OID,
        "title": "t",
        "isbn": "i",
        "isGood": True,
        "pages": 3,
        "price": 1.5,
        "tags": ["a", "b"],
        "author": DBRef("authors", REF),
        "coauthor": None,
        "created": WHEN,
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not ...}


def author(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "_id": OID,
        "firstName": "f",
        "lastName": "l",
        "biography": {"description": "d"},
        "birthday": datetime.datetime(1990, 1, 2),
        "created": WHEN,
        "meta": {"k": [REF, WHEN]},
        "publisher": DBRef("publishers", REF),
        "inspired": [DBRef("books", REF)],
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not ...}


CASES = [
    pytest.param(Book, book(), id="book as declared"),
    pytest.param(Book, book(tags=[OID, WHEN, None, 1.5]), id="list of deferred values"),
    pytest.param(Book, book(tags=[Decimal128("1.1")]), id="list holding a rare type"),
    pytest.param(Book, book(isbn=Binary(uuid.UUID(int=1).bytes, 4)), id="uuid binary"),
    pytest.param(Book, book(pages=Decimal128("2.5")), id="decimal128"),
    pytest.param(Book, book(pages=Int64(7), isbn=Code("x = 1")), id="int64 and code"),
    pytest.param(Book, book(isbn=b"\x00\xff", title=Regex("^a", 2)), id="bytes and regex"),
    pytest.param(Book, book(tags=[Timestamp(5, 1), MinKey(), MaxKey()]), id="timestamp, keys"),
    pytest.param(Book, book(tags=[uuid.UUID(int=3), {"at": WHEN}]), id="uuid, nested date"),
    pytest.param(Book, book(tags=SON([("b", OID), ("a", SON([("c", 1)]))])), id="son"),
    pytest.param(Book, book(tags={"nested": [OID]}), id="a dict where a list was declared"),
    pytest.param(Book, book(author=DBRef("authors", "text-id")), id="link to a string id"),
    pytest.param(Book, book(author=REF), id="link stored as a bare id"),
    pytest.param(Book, book(extra="not declared"), id="undeclared key"),
    pytest.param(Book, {"title": "t", "_id": OID}, id="keys out of order"),
    pytest.param(Book, book(price=float("nan")), id="nan"),
    pytest.param(Book, book(created=WHEN.replace(tzinfo=datetime.UTC)), id="aware datetime"),
    pytest.param(Author, author(), id="date, embedded model, dict, links"),
    pytest.param(Author, author(birthday=None, biography=None), id="null date and embedded"),
    pytest.param(Author, author(secret="s"), id="hidden field stored"),
    pytest.param(Thing, {"_id": "x", "label": "l"}, id="string id"),
    pytest.param(Dated, {"_id": OID, "name": "n", "day": WHEN, "days": [WHEN]}, id="dates"),
    pytest.param(Dated, {"_id": OID, "name": "n", "day": None, "days": []}, id="no dates"),
    pytest.param(
        Versioned, {"_id": OID, "revision_id": uuid.UUID(int=2), "name": "v"}, id="revision"
    ),
    pytest.param(Versioned, {"_id": OID, "name": "v"}, id="revision model without one"),
]


@pytest.mark.parametrize(("model", "raw"), CASES)
@pytest.mark.parametrize("version_key", [True, False])
def test_deferred_render_writes_the_eager_bytes(
    model: type, raw: dict[str, Any], version_key: bool
) -> None:
    spec = SPECS[model]
    expected = JSONResponse({"items": [eager(spec, raw, version_key)]}).body
    assert JSONResponse({"items": [render_deferred(spec, raw, version_key)]}).body == expected


@pytest.mark.parametrize(("model", "raw"), CASES)
def test_render_stored_is_json_ready(model: type, raw: dict[str, Any]) -> None:
    """What a custom `api_values` receives holds no BSON value at all."""
    spec = SPECS[model]
    assert render_stored(spec, raw, True) == eager(spec, raw, True)


def test_deferred_values_survive_the_json_fallback() -> None:
    """A str subclass sends the body down the `json` path; the deferred values still convert."""

    class Name(str):
        pass

    content = {"n": Name("x"), "items": [render_deferred(SPECS[Book], book(), True)]}
    expected = {"n": "x", "items": [eager(SPECS[Book], book(), True)]}
    assert JSONResponse(content).body == JSONResponse(expected).body
    assert b'"author":"5f1d7f3e9b1e8a3c4d5e6f71"' in JSONResponse(content).body


@pytest.mark.parametrize("model", [Book, Author, Thing, Dated, Versioned])
def test_a_page_writes_the_bytes_of_its_documents(model: type) -> None:
    """A page renders as its documents one by one: as declared or not, in any mix."""
    spec = SPECS[model]
    raws = [param.values[1] for param in CASES if param.values[0] is model]
    declared = [raw for raw in raws if tuple(raw) == ("_id", *spec.fields)]
    for page in (raws, declared, declared[:1] * 3, []):
        expected = [render_deferred(spec, raw, True) for raw in page]
        assert JSONResponse(render_page(spec, page, True)).body == JSONResponse(expected).body


def test_a_page_takes_its_documents_over_and_one_document_is_copied() -> None:
    """A page renders a document stored as declared as itself (nothing new for the GC to
    count); a single document is copied, as its caller may still digest what was read."""
    raw = book()
    assert render_page(SPECS[Book], [raw], True)[0] is raw
    rendered = render_deferred(SPECS[Book], raw, True)
    rendered["kind"] = "book"
    assert rendered is not raw and "kind" not in raw
